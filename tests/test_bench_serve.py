"""``herald bench serve`` on a small scale: the seed is right, the load run works end to end.

No timing is asserted: the numbers depend on the machine (and on what else runs on it).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from herald.bench.feedprofile import profile_endpoint
from herald.bench.loadgen import run_load, summarize
from herald.bench.seed import SeedOptions, seed_database, table_counts
from herald.bench.serve import ENDPOINTS, _cookies, _tokens
from herald.cli import app
from herald.clock import to_utc
from herald.exceptions import ConfigError
from herald.store import feedcache
from herald.store.schema import articles, signals, sources, stories
from herald.store.store import Store
from herald.types import WriteupStatus

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SMALL = SeedOptions(now=NOW, readers=200, articles=2000, stories=100, seed=3)


@pytest.fixture()
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    yield s
    s.close()


def test_seed_writes_the_asked_counts(store: Store) -> None:
    report = seed_database(store, SMALL)
    counts = table_counts(store)
    assert counts == report.counts
    assert counts["sources"] == SMALL.source_count == 40
    assert counts["stories"] == 100
    assert counts["articles"] == 2000
    assert counts["readers"] == 200
    assert 0 < counts["writeups"] <= 100
    assert counts["preferences"] >= 200  # every reader follows at least one topic
    assert counts["signals"] > 200


def test_seeded_stories_match_their_articles(store: Store) -> None:
    seed_database(store, SMALL)
    members = (
        select(
            articles.c.story_id,
            func.count(),
            func.count(func.distinct(sources.c.outlet)),
            func.min(articles.c.published),
            func.max(articles.c.published),
        )
        .join(sources, sources.c.id == articles.c.source_id)
        .group_by(articles.c.story_id)
    )
    with store.tx() as conn:
        found = {r[0]: r[1:] for r in conn.execute(members)}
        centroids = list(conn.execute(select(stories.c.centroid)).scalars())
    listed = store.list_stories(limit=1000)
    assert len(listed) == 100
    for story in listed:
        n, outlets, first, last = found[story.id]
        assert (to_utc(first), to_utc(last)) == (story.first_seen, story.last_seen)
        assert (story.article_count, story.outlet_count) == (n, outlets)
        assert NOW - timedelta(days=3) <= story.last_seen <= NOW
        assert story.topic and story.entities
    vectors = np.stack([np.frombuffer(c, dtype=np.float32) for c in centroids])
    assert vectors.shape == (100, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_seeded_writeups_read_back_like_real_ones(store: Store) -> None:
    seed_database(store, SMALL)
    written = store.writeups_for([s.id for s in store.list_stories(limit=1000)])
    statuses = Counter(w.status for w in written.values())
    assert statuses[WriteupStatus.PUBLISHED] > statuses[WriteupStatus.LINKS_ONLY] > 0
    for w in written.values():
        if w.status is WriteupStatus.LINKS_ONLY:
            assert not w.sentences and w.reason
            continue
        if w.status is WriteupStatus.PULLED:  # withdrawn: the text stays for the record
            assert w.reason.startswith("Herald withdrew")
        members = {a.id: a for a in store.story_articles(w.story_id)}
        assert w.headline and w.summary and w.dateline and w.key_points
        assert len({r.outlet for r in w.sources}) == len(w.sources) >= 2
        assert all(r.article_id in members for r in w.sources)
        for sentence in w.sentences:
            assert sentence.citations
            assert {e.citation for e in sentence.evidence} == set(sentence.citations)
            assert all(1 <= c <= len(w.sources) for c in sentence.citations)


def test_seeded_readers_follow_and_read(store: Store) -> None:
    seed_database(store, SMALL)
    readers = [store.get_reader(i) for i in range(1, 201)]
    assert all(r.personalized for r in readers)
    assert all(any(not p.muted for p in r.preferences) for r in readers)
    assert any(p.muted for r in readers for p in r.preferences)
    kinds = {p.kind.value for r in readers for p in r.preferences}
    assert kinds >= {"topic", "entity", "outlet"}
    with store.tx() as conn:
        rows = conn.execute(
            select(signals.c.kind, signals.c.at, stories.c.first_seen).join(
                stories, stories.c.id == signals.c.story_id
            )
        ).all()
    assert {r.kind for r in rows} >= {"open", "read", "hide"}
    for r in rows:
        at, first = to_utc(r.at), to_utc(r.first_seen)
        assert NOW - timedelta(days=14) <= at <= NOW
        assert at >= min(first, NOW - timedelta(days=14))


def test_seed_is_deterministic(tmp_path: Path) -> None:
    dumps = []
    for name in ("a", "b"):
        s = Store(f"sqlite:///{tmp_path / name}.db")
        seed_database(s, SMALL)
        with s.tx() as conn:
            dumps.append(
                [
                    list(conn.execute(select(t).order_by(t.c.id)))
                    for t in (stories, articles, signals)
                ]
            )
        s.close()
    assert dumps[0] == dumps[1]


def test_seed_refuses_a_database_with_data(store: Store) -> None:
    seed_database(store, SeedOptions(now=NOW, readers=5, articles=20, stories=5))
    with pytest.raises(ConfigError, match="empty database"):
        seed_database(store, SeedOptions(now=NOW, readers=5, articles=20, stories=5))


def test_seed_needs_an_article_per_story() -> None:
    with pytest.raises(ConfigError):
        SeedOptions(now=NOW, articles=5, stories=10).check()


# --------------------------------------------------------------------------- feed version


def test_feed_version_changes_with_each_committed_bump(store: Store) -> None:
    store.migrate()
    assert feedcache.current(store) == ""
    first = feedcache.bump_store(store)
    assert feedcache.current(store) == first != ""
    with store.tx() as conn:
        second = feedcache.bump(conn)
    assert feedcache.current(store) == second != first


def test_feed_version_rolls_back_with_its_transaction(store: Store) -> None:
    store.migrate()
    before = feedcache.bump_store(store)
    with pytest.raises(RuntimeError), store.tx() as conn:
        feedcache.bump(conn)
        raise RuntimeError("the writer failed")
    assert feedcache.current(store) == before


def test_seeding_bumps_the_feed_version(store: Store) -> None:
    seed_database(store, SeedOptions(now=NOW, readers=5, articles=20, stories=5))
    assert feedcache.current(store) != ""


# --------------------------------------------------------------------------- load generator


class _TinyServer:
    """A real HTTP/1.1 server on loopback answering in the ways the generator must handle:
    ``/length`` with Content-Length, ``/chunked`` chunked, ``/close`` then closing,
    ``/missing`` a 404."""

    def __init__(self) -> None:
        self.port = 0
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> _TinyServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1]
                if path == b"/slow":
                    await asyncio.sleep(SLOW_SECONDS)
                writer.write(_answer(path))
                await writer.drain()
                if path == b"/close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


SLOW_SECONDS = 0.05


def _answer(path: bytes) -> bytes:
    if path == b"/chunked":
        head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        return head + b"5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"
    if path == b"/close":
        return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    if path == b"/missing":
        return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    return b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"


@pytest.mark.parametrize(
    ("path", "size", "errors"),
    [("/length", 4, 0), ("/chunked", 8, 0), ("/close", 2, 0), ("/missing", 0, 1)],
)
def test_load_generator_reads_every_kind_of_response(path: str, size: int, errors: int) -> None:
    with _TinyServer() as server:
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        result = run_load(
            "127.0.0.1", server.port, lambda _r: request, concurrency=3, warmup=0.2, duration=0.5
        )
    summary = summarize(result)
    assert summary["requests"] > 10
    if errors:
        assert summary["errors"] == summary["requests"]
        assert summary["error_kinds"] == {"http 404": summary["requests"]}
    else:
        assert summary["errors"] == 0
        assert summary["mean_body_bytes"] == size
    opened = int(str(summary["connections_opened"]))
    assert opened > 3 if path == "/close" else opened == 3


def test_open_loop_sends_at_the_asked_rate() -> None:
    with _TinyServer() as server:
        request = b"GET /length HTTP/1.1\r\nHost: x\r\n\r\n"
        result = run_load(
            "127.0.0.1",
            server.port,
            lambda _r: request,
            concurrency=4,
            warmup=0.2,
            duration=2.0,
            rate=100.0,
        )
    summary = summarize(result)
    assert summary["errors"] == 0
    # Poisson arrivals: 200 expected, a standard deviation of about 14.
    assert 140 <= int(str(summary["requests"])) <= 260


def test_open_loop_latency_counts_the_wait_for_a_free_connection() -> None:
    """One connection, a server taking 50 ms, readers arriving 40 times a second: the queue
    grows, and latencies from each arrival show it (a closed loop would report ~50 ms)."""
    with _TinyServer() as server:
        request = b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
        result = run_load(
            "127.0.0.1",
            server.port,
            lambda _r: request,
            concurrency=1,
            warmup=0.0,
            duration=1.5,
            rate=40.0,
        )
    latency = summarize(result)["latency_ms"]
    assert isinstance(latency, dict)
    assert latency["p50"] >= SLOW_SECONDS * 1000
    assert latency["max"] > 4 * SLOW_SECONDS * 1000


def test_open_loop_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="rate"):
        run_load("127.0.0.1", 9, lambda _r: b"", concurrency=1, warmup=0, duration=1, rate=0)


# --------------------------------------------------------------------------- end to end


def test_bench_serve_cli_runs_every_endpoint_without_errors() -> None:
    args = ["bench", "serve", "--readers", "200", "--articles", "2000", "--stories", "100"]
    args += ["--concurrency", "4", "--duration", "3", "--warmup", "1", "--web-workers", "2"]
    args += ["--profile", "3", "--rates", "0.5"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["benchmark"] == "serve"
    assert data["seed"]["counts"]["articles"] == 2000
    assert data["machine"]["cpu_count"] >= 1
    assert data["goal"]["met"] is None  # not run at the goal's 50 connections
    assert tuple(data["endpoints"]) == ENDPOINTS
    for name, row in data["endpoints"].items():
        latency = row["latency_ms"]
        assert row["requests"] > 0, name
        assert row["errors"] == 0, (name, row["error_kinds"])
        assert latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
        assert row["requests_per_second"] > 0
        assert row["mean_body_bytes"] > 100
        assert 0 <= row["client_cpu_share"] < 1.5
    (open_loop,) = data["feed_page_open_loop"]
    assert open_loop["share"] == 0.5
    assert open_loop["rate"] > 0
    assert open_loop["errors"] == 0 and open_loop["requests"] > 0
    sustained = data["goal"]["sustained_rate_under_target"]
    assert sustained is None or sustained == open_loop["rate"]
    assert set(data["profile"]) == {"feed_page", "api_feed"}
    assert data["profile"]["feed_page"]["requests"] == 3


def test_profile_of_the_feed_page_names_where_time_goes(tmp_path: Path) -> None:
    from herald.app import make_herald
    from herald.config import Settings
    from herald.web.app import create_app

    settings = Settings(data_dir=str(tmp_path / "data"), now=NOW.isoformat())
    herald = make_herald(settings, migrate=False)
    try:
        seed_database(herald.store, SMALL)
        cookies = _cookies(herald.secret_key, _tokens(herald.store), 1)
        found = profile_endpoint(create_app(herald), "/", cookies, requests=5)
    finally:
        herald.close()
    assert found["requests"] == 5
    assert found["mean_request_ms"] > 0
    assert "web/context.current_visit" in found["steps_ms"]
    assert any(area.startswith("herald.") for area in found["by_area_ms"])
    assert found["top_cumulative"][0]["cumulative_ms"] >= found["top_own"][0]["own_ms"]
