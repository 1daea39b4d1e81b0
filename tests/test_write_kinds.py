"""Opinion pieces and reviews in a story: stored with their kind (a page's label never
undone by a later "news"), never written from, labelled in the story's coverage and in the
API. Real Multi-News source articles, a real SQLite file, the real composer and verifier."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from herald.app import Herald, make_herald
from herald.clock import FixedClock
from herald.config import Settings
from herald.pipeline.ingest_step import ingest
from herald.pipeline.write_step import write
from herald.store.store import ExtractionUpdate
from herald.types import ArticleKind, ExtractStatus, SourceSpec, WriteupStatus
from herald.web.app import create_app
from tests.support.httpserver import LocalServer
from tests.support.multinews import story_texts
from tests.test_web_seed import NOW
from tests.test_write_fallback import MCRIB, _seed_texts


def test_entries_of_an_opinion_feed_are_stored_as_opinion(
    settings: Settings, shared_data: Path
) -> None:
    # two real feed files served over HTTP on loopback, one under a news path, the other
    # under an opinion section's path
    rss2 = shared_data / "feeds" / "feed_rs" / "fixture" / "rss2"
    with LocalServer() as server:
        server.serve_file("/news/feed.xml", rss2 / "rss_2.0_bbc.xml", "application/rss+xml")
        server.serve_file(
            "/section/opinion/feed/", rss2 / "rss_2.0_cloudflare.xml", "application/rss+xml"
        )
        h = make_herald(settings, clock=FixedClock(NOW))
        try:
            for path in ("/news/feed.xml", "/section/opinion/feed/"):
                h.store.add_source(SourceSpec(server.url(path), fetch_pages=False), NOW)
            report = ingest(h)
            stored = h.store.unclustered_articles(limit=1000)
            feeds = {s.id: s.url for s in h.store.list_sources()}
        finally:
            h.close()
    assert report.failed == 0 and report.new_entries > 0
    kinds = {(feeds[a.source_id].endswith("/opinion/feed/"), a.kind) for a in stored}
    assert kinds == {(False, ArticleKind.NEWS), (True, ArticleKind.OPINION)}


def _label(h: Herald, sid: int, outlet: str, kind: ArticleKind) -> None:
    """Store ``kind`` for ``outlet``'s article the way the extract step does."""
    article = next(a for a in h.store.story_articles(sid) if a.outlet == outlet)
    update = ExtractionUpdate(article.id, ExtractStatus.OK, "", article.body, kind=kind)
    h.store.save_extractions([update])


def _written(
    h: Herald, sources: list[tuple[str, str]], labels: list[tuple[str, ArticleKind]], title: str
) -> int:
    """A story of one article per (outlet, text), labelled in order, then written."""
    sid = _seed_texts(h, sources, title.split()[0].lower(), title)
    for outlet, kind in labels:
        _label(h, sid, outlet, kind)
    write(h, story_ids=[sid])
    return sid


def test_a_story_is_written_from_its_news_only_and_labels_the_rest(
    settings: Settings, shared_data: Path
) -> None:
    texts = story_texts(shared_data, MCRIB)
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        sources = [("Wire A", texts[0]), ("Paper B", texts[1]), ("Columns C", texts[2])]
        # a later page saying nothing ("news") keeps what an earlier one said
        labels = [("Columns C", ArticleKind.OPINION), ("Columns C", ArticleKind.NEWS)]
        sid = _written(h, sources, labels, "McRib returns")
        writeup = h.store.get_writeup(sid)
        members = h.store.story_articles(sid)
        kinds = {a.outlet: a.kind for a in members}
        column = next(a.id for a in members if a.outlet == "Columns C")
        with TestClient(create_app(h)) as client:
            page = client.get(f"/stories/{sid}").text
            api = client.get(f"/api/v1/stories/{sid}").json()
    finally:
        h.close()
    assert kinds == {"Wire A": "news", "Paper B": "news", "Columns C": "opinion"}
    assert writeup is not None and writeup.status is WriteupStatus.PUBLISHED
    assert {r.outlet for r in writeup.sources} <= {"Wire A", "Paper B"}
    assert all(e.article_id != column for s in writeup.sentences for e in s.evidence)
    assert page.count('class="kind"') == 1 and ">Opinion</span>" in page
    assert {a["outlet"]: a["kind"] for a in api["articles"]}["Columns C"] == "opinion"


def test_news_from_one_publisher_and_a_review_give_links_with_the_reason(
    settings: Settings, shared_data: Path
) -> None:
    texts = story_texts(shared_data, MCRIB)
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        sources = [("Wire A", texts[0]), ("Food Critic", texts[1])]
        sid = _written(h, sources, [("Food Critic", ArticleKind.REVIEW)], "McRib")
        writeup = h.store.get_writeup(sid)
    finally:
        h.close()
    assert writeup is not None and writeup.status is WriteupStatus.LINKS_ONLY
    assert "opinion or reviews" in writeup.reason


def test_headlines_with_an_opinion_headline_among_them_say_headlines_only(
    settings: Settings,
) -> None:
    # the demo's Lindsay Lohan story: 69 outlets' headlines, two of them columns and reviews
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        sources = [("Wire A", "Lohan series premieres."), ("Columns C", "Lohan's absorbing show.")]
        sid = _written(h, sources, [("Columns C", ArticleKind.OPINION)], "Lohan series premieres")
        writeup = h.store.get_writeup(sid)
    finally:
        h.close()
    assert writeup is not None and writeup.status is WriteupStatus.LINKS_ONLY
    assert "headlines only" in writeup.reason and "opinion" not in writeup.reason
