"""Which pieces are opinion or reviews, as their publishers label them: in the address, the
title, the page's sections and tags and structured data, and the feed's categories. Real
pages from the shared extraction sets, a real feed file, and the labels' edge cases."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from herald.extract.html import extract_article
from herald.extract.kind import article_kind, feed_kind, kind_of_label
from herald.ingest.parse import parse_feed
from herald.pipeline.ingest_step import to_entry
from herald.types import ArticleKind, FeedItem

NEWS, OPINION, REVIEW = ArticleKind.NEWS, ArticleKind.OPINION, ArticleKind.REVIEW


def _page(shared_data: Path, relative: str) -> bytes:
    path = shared_data / "extraction" / relative
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


@pytest.mark.parametrize(
    ("relative", "url", "kind"),
    [
        # article:section "Opinion"
        (
            "trafilatura_eval/html/aoc.media.archaisme.html.gz",
            "https://aoc.media/opinion/2019/12/09/pour-le-neoliberalisme-la-retraite-est-un-archaisme/",
            OPINION,
        ),
        # no address given: its article:tag says "review"
        ("readability_test_pages/engadget/source.html", "", REVIEW),
        # no address given: its canonical address is under /news/opinion/
        ("readability_test_pages/herald-sun-1/source.html", "", OPINION),
        # news pages of news sites
        ("readability_test_pages/nytimes-1/source.html", "", NEWS),
        ("readability_test_pages/bbc-1/source.html", "", NEWS),
        ("readability_test_pages/guardian-1/source.html", "", NEWS),
    ],
)
def test_real_pages_say_what_they_are(
    shared_data: Path, relative: str, url: str, kind: ArticleKind
) -> None:
    extraction = extract_article(_page(shared_data, relative), url)
    assert extraction.kind is kind


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://www.scmp.com/comment/opinion/article/3046526/taiwanese-president-tsai", OPINION),
        ("https://www.theguardian.com/commentisfree/2020/jan/01/the-decade", OPINION),
        ("https://www.tichyseinblick.de/kolumnen/spahns-spitzwege/no-peace-for-our-time", OPINION),
        ("https://opinion.inquirer.net/123456/a-column", OPINION),
        ("https://variety.com/2023/film/reviews/oppenheimer-review-1235670123/", REVIEW),
        ("https://www.elmundo.es/opinion/2024/01/02/x.html", OPINION),
        ("https://www.bbc.com/news/world-europe-123", NEWS),
        ("https://www.gov.uk/government/news/strategic-defence-review", NEWS),  # a slug
        ("https://example.com/opinion", NEWS),  # the section's own page is no article
        ("https://tribune.com.pk/story/2345/budget-passes", NEWS),  # a newspaper's name
        ("https://editorial.aristeguinoticias.com/2024/01/02/x/", NEWS),
        ("https://www.lemonde.fr/tribune/article/2024/x.html", NEWS),
        ("not a url at all", NEWS),
        ("http://[::1", NEWS),  # unparseable
    ],
)
def test_addresses(url: str, kind: ArticleKind) -> None:
    assert article_kind(urls=[url]) is kind


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Opinion: The budget is a mess", OPINION),
        ("OP-ED | Why the council is wrong", OPINION),
        ("The case for tax reform | Opinion", OPINION),
        ("Why the strike matters - Opinion", OPINION),
        ("Spider-Man - Review", REVIEW),
        ("Bank cuts rates-opinion polls suggest", NEWS),
        ("Letters to the editor: readers on the strike", OPINION),
        ("Review: 'Oppenheimer' is long and loud", REVIEW),
        ("TV Review: 'Lindsay'", REVIEW),
        ("Budget review finds gaps in defence spending", NEWS),
        ("Opinion polls show a close race", NEWS),
        ("Column of smoke seen over the city", NEWS),
    ],
)
def test_titles(title: str, kind: ArticleKind) -> None:
    assert article_kind(title=title) is kind


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("Opinion", OPINION),
        ("Blogs & Opinion", OPINION),
        ("News/Columnists", OPINION),
        ("Meinung", OPINION),
        ("Album/Single Reviews,Reviews", REVIEW),
        ("Editorial independence", NEWS),
        ("Budget review", NEWS),
        ("Politics", NEWS),
        ("", NEWS),
    ],
)
def test_labels_name_the_kind_only_as_a_whole_part(label: str, kind: ArticleKind) -> None:
    assert kind_of_label(label) is kind


def test_structured_data_types_and_opinion_over_review() -> None:
    assert article_kind(types=["OpinionNewsArticle"]) is OPINION
    assert article_kind(types=["ReviewNewsArticle"]) is REVIEW
    assert article_kind(types=["NewsArticle", "Review"]) is NEWS  # a rating inside a report
    assert article_kind(title="Review: a film", labels=["Opinion"]) is OPINION


def test_feed_categories_reach_the_stored_entry(shared_data: Path) -> None:
    path = shared_data / "feeds" / "feedjira" / "spec" / "sample_feeds" / "TypePadNews.xml"
    feed = parse_feed(path.read_bytes(), "https://example.com/feed")
    assert ("News",) in {item.categories for item in feed.items}
    now = datetime(2026, 11, 30, tzinfo=UTC)
    column = FeedItem(
        "g1", "https://example.com/2026/11/30/x", "A view", "", "", now, categories=("Opinion",)
    )
    report = FeedItem("g2", "https://example.com/2026/11/30/y", "A fact", "", "", now, ("News",))
    assert to_entry(column, now).kind is OPINION
    assert to_entry(report, now).kind is NEWS
    assert to_entry(report, now, OPINION).kind is OPINION  # an entry of an opinion feed


@pytest.mark.parametrize(
    ("url", "title", "kind"),
    [
        # real addresses from the shared source list (kite_feeds.json)
        ("https://indianexpress.com/section/opinion/feed/", "", OPINION),
        ("https://www.nintendolife.com/feeds/reviews", "", REVIEW),
        ("https://www.heraldscotland.com/politics/viewpoint/rss/", "", OPINION),
        ("https://tribune.com.pk/feed/business", "", NEWS),
        ("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC News - World", NEWS),
        ("https://example.com/rss", "NYT > Opinion", OPINION),
        ("https://example.com/rss", "Comment | The Guardian", OPINION),
        ("https://example.com/rss", "Commentary Magazine", NEWS),
    ],
)
def test_feeds_of_opinion_or_reviews(url: str, title: str, kind: ArticleKind) -> None:
    assert feed_kind(url, title) is kind


def test_rss_and_json_feed_categories() -> None:
    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>A</title><link>https://e.example/a</link>"
        b"<category>Opinion</category><category>Opinion</category><category> </category>"
        b"</item></channel></rss>"
    )
    assert parse_feed(rss, "https://e.example/feed").items[0].categories == ("Opinion",)
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": '
        b'[{"id": "1", "url": "https://e.example/b", "title": "B", "tags": ["Reviews", 3]}]}'
    )
    assert parse_feed(json_feed, "https://e.example/feed.json").items[0].categories == ("Reviews",)
