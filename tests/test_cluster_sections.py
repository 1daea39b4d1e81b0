"""The sections publishers file articles under, as evidence for a story's topic."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from herald.cluster.sections import (
    SECTION_WORDS,
    label_topic,
    section_shares,
    section_topics,
    section_words,
)
from herald.cluster.topics import TOPICS, topic_for, topic_of_centroid
from herald.eval.topic_eval import evaluate, read_articles
from herald.extract.html import extract_article
from herald.nlp.embed import MiniLMEmbedder
from herald.pipeline.ingest_step import to_entry
from herald.types import FeedItem


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_every_section_word_names_a_topic_of_the_taxonomy() -> None:
    assert set(SECTION_WORDS.values()) == set(TOPICS)
    assert all(w == w.lower() and w.isalpha() for w in SECTION_WORDS)


def test_section_words_skip_the_domain_the_slug_and_the_query() -> None:
    # real addresses of the shared UCI file
    assert section_words(
        "http://www.brandonsun.com/business/breaking-news/mcdonalds-us-sales-fall-249265051.html"
    ) == ["business", "breaking", "news"]
    assert (
        section_words(
            "http://www.huffingtonpost.com/2014/03/10/mcdonalds-sales-winter_n_4933738.html"
            "\\?utm_hp_ref=food&amp;ir=Food"
        )
        == []
    )
    assert section_words("http://money.cnn.com/2014/03/10/news/companies/mcdonalds/") == [
        "money",
        "news",
        "companies",
    ]
    assert section_words("http://feeds.bbci.co.uk/sport/rss.xml") == ["feeds", "sport"]
    assert section_words("not a url") == []
    # a feed's file name is its section (real feeds of the shared source list)
    feed = "https://www.news18.com/commonfeeds/v1/eng/rss/business.xml"
    assert section_words(feed, feed=True) == ["commonfeeds", "v", "eng", "rss", "business"]
    assert section_words("http://[::1") == []  # malformed: no words, no error


def test_section_topics_of_an_article_its_feed_and_its_source() -> None:
    assert section_topics(["http://www.bbc.co.uk/news/entertainment-arts-26521234"]) == set()
    assert section_topics(["https://www.bbc.co.uk/news/world/asia/story"]) == {"world"}
    assert section_topics(
        ["https://example.com/2014/story.html"], feeds=["http://feeds.bbci.co.uk/sport/rss.xml"]
    ) == {"sports"}
    assert section_topics([], ["NBA"]) == {"sports"}
    assert section_topics(feeds=["https://rss.orf.at/science.xml"]) == {"science"}
    feed = "https://www.click2houston.com/arc/outboundfeeds/rss/category/sports/?outputType=xml"
    assert section_topics(feeds=[feed]) == {"sports"}
    assert section_topics(["https://rss.orf.at/science.xml"]) == set()  # an article's slug
    # a feed named after its outlet (the demo's feeds): a name, not a section
    for name in ("kplc-tv.xml", "network-world.xml", "business-insider.atom"):
        assert section_topics(feeds=[f"http://127.0.0.1:8001/feeds/{name}"]) == set()
    assert section_topics(feeds=["http://rss.cnn.com/rss/money_latest.rss"]) == {"business"}
    assert section_topics([], ["USA | Texas", "Positive News"]) == set()  # no one topic
    assert section_topics(["https://x.com/international-business/a"]) == {"world", "business"}


@pytest.mark.parametrize(
    ("labels", "topic"),
    [
        (["World News"], "world"),
        (["News/Politics"], "politics"),
        (["Arts & Entertainment"], "entertainment"),
        (["Sport - Football"], "sports"),
        (["Politics", "Donald Trump"], "politics"),  # a tag naming no section adds nothing
        (["World Cup"], ""),  # whole parts only
        (["Money Heist"], ""),
        (["US News"], ""),
        (["World", "Business"], ""),  # two topics: none
        ([], ""),
    ],
)
def test_label_topic(labels: list[str], topic: str) -> None:
    assert label_topic(labels) == topic


@pytest.mark.parametrize(
    ("page", "topic"),
    [
        ("breitbart", "technology"),  # article:section "Tech"
        ("wikia", "entertainment"),  # JSON-LD articleSection "Movies"
        ("wapo-1", "world"),
        ("bbc-1", ""),
    ],
)
def test_real_pages_name_their_section(shared_data: Path, page: str, topic: str) -> None:
    html = (
        shared_data / "extraction" / "readability_test_pages" / page / "source.html"
    ).read_bytes()
    assert extract_article(html, "").section == topic


def test_feed_categories_file_the_stored_entry() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    item = FeedItem("g", "https://e.example/a", "A", "", "", now, categories=("Sport", "Nadal"))
    assert to_entry(item, now).section == "sports"
    assert to_entry(replace(item, categories=()), now).section == ""


def test_section_shares_count_only_filed_articles() -> None:
    assert section_shares([]) == {}
    assert section_shares([frozenset()]) == {}
    assert section_shares([frozenset({"sports"})]) == {"sports": 0.5}
    unfiled = [frozenset[str]()] * 50
    shares = section_shares([*unfiled, *[frozenset({"entertainment"})] * 3])
    assert shares == {"entertainment": 0.75}  # unfiled articles do not dilute
    split = section_shares([frozenset({"world", "business"}), frozenset({"business"})])
    assert split == {"world": 0.5 / 3, "business": 1.5 / 3}


def test_publishers_sections_outweigh_a_misleading_headline(embedder: MiniLMEmbedder) -> None:
    # the shared UCI file's True Detective finale reads like crime; every outlet that files
    # it files it under entertainment
    titles = [
        "'True Detective' is, finally, a tale of male friendship",
        "True Detective finale: Rust and Marty face the killer",
    ]
    centroid = embedder.embed(titles).mean(axis=0)
    assert topic_for(titles, embedder) == "crime"
    filed = section_shares([frozenset({"entertainment"})] * 8 + [frozenset()] * 20)
    assert topic_of_centroid(centroid, embedder, filed) == "entertainment"
    # one article filed elsewhere does not overturn a clear text
    sport = embedder.embed(["Nadal wins the tennis open final in four sets"])[0]
    assert topic_of_centroid(sport, embedder, section_shares([frozenset({"business"})])) == (
        "sports"
    )


def test_sections_improve_labels_on_real_categorised_articles(
    embedder: MiniLMEmbedder, shared_data: Path
) -> None:
    rows = read_articles(shared_data / "clustering" / "uci_headlines_dev.jsonl")
    assert len(rows) == 3528 and sum(bool(r.filed) for r in rows) > 500
    report = evaluate(rows[::4], embedder)
    assert report["accuracy"] > report["accuracy_without_sections"]
    assert report["stories"]["accuracy"] >= report["stories"]["accuracy_without_sections"]
