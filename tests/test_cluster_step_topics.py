"""The cluster step labels a story with what its publishers filed it under as well as its text."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from herald.app import make_herald
from herald.clock import FixedClock
from herald.config import Settings
from herald.pipeline.cluster_step import cluster
from herald.store.store import NewEntry
from herald.types import SourceSpec
from tests.test_web_seed import NOW

# a real headline of the shared UCI file's True Detective story, which reads like crime
TITLE = "'True Detective's' predictable, simplistic finale"
FINALE = "The finale of HBO's 'True Detective' aired on Sunday."


def _story_topic(
    folder: Path, feeds: tuple[str, str], category: str = "", section: str = ""
) -> str:
    """The topic of a two-outlet story whose outlets' feeds are ``feeds``, in a new database."""
    h = make_herald(Settings(data_dir=str(folder)), clock=FixedClock(NOW))
    try:
        for n, feed in enumerate(feeds):
            spec = SourceSpec(url=feed, outlet=f"Outlet {n}", category=category)
            source = h.store.add_source(spec, NOW - timedelta(days=3)).id
            url = f"https://outlet{n}.example/2014/03/10/true-detective-finale"
            entry = NewEntry(
                f"td-{n}",
                url,
                url,
                TITLE,
                FINALE,
                "Staff",
                NOW - timedelta(hours=n),
                section=section,
            )
            h.store.add_entries(source, [entry], NOW, fetch_pages=False)
        cluster(h)
        (story,) = h.store.list_stories(limit=10)
        return story.topic
    finally:
        h.close()


PLAIN = ("https://outlet0.example/feed.xml", "https://outlet1.example/rss")


def test_a_crime_drama_filed_under_entertainment_is_entertainment(tmp_path: Path) -> None:
    assert _story_topic(tmp_path / "plain", PLAIN) == "crime"  # the text alone reads like crime
    filed = ("https://outlet0.example/entertainment/feed.xml", "https://tv.outlet1.example/rss")
    assert _story_topic(tmp_path / "filed", filed) == "entertainment"


def test_a_sources_category_files_its_articles(tmp_path: Path) -> None:
    assert _story_topic(tmp_path, PLAIN, category="Movies") == "entertainment"


def test_an_articles_own_section_files_it(tmp_path: Path) -> None:
    # from its feed entry's categories or its page's article:section
    assert _story_topic(tmp_path, PLAIN, section="entertainment") == "entertainment"
