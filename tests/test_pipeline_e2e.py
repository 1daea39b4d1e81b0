"""End to end: snapshot feeds over real HTTP on loopback -> every stage -> web pages.

Uses a small slice of the bundled demo snapshot (real news), the real MiniLM model and a
real SQLite file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from herald.app import Herald, make_herald
from herald.config import Settings
from herald.demo.feedserver import FeedServer
from herald.demo.snapshot import SnapshotArticle, load_snapshot, snapshot_end
from herald.pipeline.run import run_round
from herald.sources import import_opml
from herald.types import WriteupStatus
from herald.web.app import create_app

DATELINE = re.compile(
    r"^(January|February|March|April|May|June|July|August|September|October|November|December) "
    r"\d{1,2}(st|nd|rd|th) \d{4}\.$"
)


def snapshot_slice(
    multinews: int = 5, uci: int = 2, per_uci_story: int = 30
) -> list[SnapshotArticle]:
    """A few full-text stories and a few headline-only stories of the bundled snapshot."""
    articles = load_snapshot()
    chosen: list[SnapshotArticle] = []
    for origin, count, cap in (("multinews", multinews, 100), ("uci", uci, per_uci_story)):
        stories: dict[str, list[SnapshotArticle]] = {}
        for a in articles:
            if a.origin == origin:
                stories.setdefault(a.story, []).append(a)
        for story in sorted(stories, key=lambda s: -len(stories[s]))[:count]:
            chosen.extend(stories[story][:cap])
    return chosen


@pytest.fixture(scope="module")
def slice_articles() -> list[SnapshotArticle]:
    return snapshot_slice()


@pytest.fixture()
def pipeline(
    tmp_path: Path, slice_articles: list[SnapshotArticle]
) -> Iterator[tuple[Herald, FeedServer]]:
    end = snapshot_end(slice_articles)
    settings = Settings(
        data_dir=str(tmp_path / "data"),
        allow_networks="127.0.0.1/32",
        now=end.isoformat(),
        per_host_concurrency=8,
        fetch_retries=0,
    )
    h = make_herald(settings)
    with FeedServer(slice_articles) as server:
        import_opml(h, f"{server.base_url}/opml")
        yield h, server
    h.close()


@pytest.mark.slow
def test_every_stage_runs_and_publishes_cited_dated_articles(
    pipeline: tuple[Herald, FeedServer],
) -> None:
    h, _server = pipeline
    report = run_round(h)
    assert report.errors == {}
    counts = h.store.stage_counts()
    assert counts["articles"] > 50
    assert counts["pending_extraction"] == 0
    assert counts["unclustered"] == 0
    assert counts["stories"] >= 5
    published = [
        w
        for w in h.store.writeups_for([s.id for s in h.store.list_stories()]).values()
        if w.status is WriteupStatus.PUBLISHED
    ]
    assert len(published) >= 3
    for w in published:
        assert DATELINE.match(w.dateline), w.dateline
        assert w.headline
        assert len({s.outlet for s in w.sources}) >= 2
        assert all(s.citations for s in w.sentences)
        assert all(s.evidence for s in w.sentences)
        cited = {c for s in w.sentences for c in s.citations}
        assert cited <= {r.index for r in w.sources}


@pytest.mark.slow
def test_a_second_round_changes_nothing(pipeline: tuple[Herald, FeedServer]) -> None:
    h, _server = pipeline
    run_round(h)
    before = h.store.stage_counts()
    writeups = h.store.writeups_for([s.id for s in h.store.list_stories()])
    second = run_round(h)
    assert h.store.stage_counts() == before
    assert second.reports["write"].unchanged == second.reports["write"].considered
    again = h.store.writeups_for([s.id for s in h.store.list_stories()])
    assert {k: v.input_hash for k, v in again.items()} == {
        k: v.input_hash for k, v in writeups.items()
    }


@pytest.mark.slow
def test_feed_page_lists_labelled_ai_articles(pipeline: tuple[Herald, FeedServer]) -> None:
    h, _server = pipeline
    run_round(h)
    client = TestClient(create_app(h))
    page = client.get("/")
    assert page.status_code == 200
    assert "Generative AI is experimental." in page.text
    assert "generated with AI" in page.text
    story = next(
        s
        for s in h.store.list_stories()
        if (w := h.store.get_writeup(s.id)) is not None and w.status is WriteupStatus.PUBLISHED
    )
    writeup = h.store.get_writeup(story.id)
    assert writeup is not None
    detail = client.get(f"/stories/{story.id}")
    assert detail.status_code == 200
    assert writeup.dateline in detail.text
    assert "NewsArticle" in detail.text
    api = client.get(f"/api/v1/stories/{story.id}").json()
    assert api["writeup"]["dateline"] == writeup.dateline


def test_snapshot_times_can_be_shifted(slice_articles: list[SnapshotArticle]) -> None:
    """The run tests re-time the snapshot to 'now'; the dataclass must allow it."""
    end = snapshot_end(slice_articles)
    shifted = [replace(a, published=a.published - (end - a.published)) for a in slice_articles[:3]]
    assert all(s.published <= end for s in shifted)
