"""The extract step over real HTTP: real news pages, worker processes, wire copies, errors,
time limits. Pages come from Mozilla Readability's test cases (real articles)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from herald.app import Herald, make_herald
from herald.config import Settings
from herald.ingest.urls import canonicalize
from herald.pipeline.extract_step import extract
from herald.store.store import NewEntry
from herald.types import SourceSpec
from tests.support.httpserver import LocalServer

PAGES = ("nytimes-1", "bbc-1", "guardian-1", "cnn", "lemonde-1")


@pytest.fixture()
def server(shared_data: Path) -> Iterator[LocalServer]:
    folder = shared_data / "extraction" / "readability_test_pages"
    with LocalServer() as srv:
        for name in PAGES:
            body = (folder / name / "source.html").read_bytes()
            srv.route(f"/news/{name}", body=body, content_type="text/html; charset=utf-8")
        # the same wire story on a second site, published later
        nyt = (folder / "nytimes-1" / "source.html").read_bytes()
        srv.route("/wire/nytimes-1-copy", body=nyt, content_type="text/html; charset=utf-8")
        yield srv


def _queue(h: Herald, server: LocalServer, paths: list[str]) -> None:
    now = h.clock.now()
    for path in paths:
        name = path.strip("/").replace("/", "-")
        source = h.store.add_source(
            SourceSpec(url=server.url(f"/feed-{name}.xml"), title=name, fetch_pages=True), now
        )
        url = server.url(path)
        entry = NewEntry(
            guid=url,
            url=url,
            canonical_url=canonicalize(url),
            title=path,
            summary="",
            author="",
            published=now,
        )
        h.store.add_entries(source.id, [entry], now, fetch_pages=True)


def _rows(h: Herald) -> dict[str, tuple[str, str, int | None]]:
    with h.store.tx() as conn:
        rows = conn.execute(
            text("SELECT url, extract_status, extract_reason, duplicate_of, id FROM articles")
        ).all()
    ids = {row.id: row.url for row in rows}
    return {
        row.url.split("/", 3)[3]: (
            row.extract_status,
            row.extract_reason,
            ids.get(row.duplicate_of) if row.duplicate_of else None,
        )
        for row in rows
    }


def test_pages_are_extracted_in_workers_and_wire_copies_linked(
    settings: Settings, server: LocalServer
) -> None:
    h = make_herald(replace(settings, workers=2))
    try:
        paths = [f"/news/{n}" for n in PAGES] + ["/wire/nytimes-1-copy", "/news/gone"]
        _queue(h, server, paths)
        report = extract(h)
        rows = _rows(h)
        assert h.store.pending_extractions() == []
        assert len(h.pool.pids()) == 2  # the work ran in worker processes
    finally:
        h.close()
    assert report.pages == len(paths)
    for name in PAGES:
        status, reason, _ = rows[f"news/{name}"]
        assert status == "ok", (name, reason)
        assert reason.startswith("extracted ")
    assert rows["wire/nytimes-1-copy"][2] == server.url("/news/nytimes-1")
    assert report.duplicates == 1
    status, reason, _ = rows["news/gone"]
    assert status == "error" and "404" in reason


def test_a_page_past_the_time_limit_is_an_error_and_the_round_goes_on(
    settings: Settings, server: LocalServer
) -> None:
    h = make_herald(replace(settings, workers=1, work_timeout=0.001))
    try:
        _queue(h, server, ["/news/nytimes-1", "/news/bbc-1"])
        report = extract(h)
        rows = _rows(h)
        assert h.store.pending_extractions() == []
        assert extract(h).pages == 0  # nothing is redone
    finally:
        h.close()
    assert report.pages == 2 and report.failed == 2
    for key in ("news/nytimes-1", "news/bbc-1"):
        status, reason, _ = rows[key]
        assert status == "error"
        assert "took longer than 0.001 s" in reason


def test_no_workers_setting_extracts_in_this_process(
    settings: Settings, server: LocalServer
) -> None:
    h = make_herald(replace(settings, workers=-1))
    try:
        _queue(h, server, ["/news/guardian-1"])
        report = extract(h)
        assert h.pool.pids() == []
        assert _rows(h)["news/guardian-1"][0] == "ok"
    finally:
        h.close()
    assert report.ok == 1


def test_the_wire_index_is_kept_between_rounds_and_topped_up(
    settings: Settings, server: LocalServer
) -> None:
    h = make_herald(replace(settings, workers=1))
    try:
        _queue(h, server, ["/news/nytimes-1"])
        extract(h)
        cached = h.caches["extract.wire_index"]
        _queue(h, server, ["/wire/nytimes-1-copy"])
        report = extract(h)
        assert h.caches["extract.wire_index"] is cached  # not rebuilt
        assert report.duplicates == 1
        rows = _rows(h)
    finally:
        h.close()
    assert rows["wire/nytimes-1-copy"][2] == server.url("/news/nytimes-1")
