"""The demo feed server: the bundled snapshot served as live outlets over real HTTP."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
import httpx
import pytest

from herald.demo.feedserver import FeedServer, slugify
from herald.demo.snapshot import (
    SnapshotArticle,
    by_outlet,
    load_snapshot,
    snapshot_end,
    snapshot_start,
    split_sentences,
)


@pytest.fixture(scope="module")
def snapshot() -> tuple[SnapshotArticle, ...]:
    return load_snapshot()


@pytest.fixture(scope="module")
def server(snapshot: tuple[SnapshotArticle, ...]) -> Iterator[FeedServer]:
    with FeedServer(snapshot) as fs:
        yield fs


@pytest.fixture()
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


Item = tuple[str, str, str, datetime]


def parse_items(content: bytes, url: str) -> list[Item]:
    """(id, link, title, published) of a feed's items; RSS/Atom by feedparser, JSON Feed by json."""
    if url.endswith(".json"):
        doc = json.loads(content)
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        assert doc["title"] and doc["feed_url"] == url
        out: list[Item] = []
        for item in doc["items"]:
            assert item.get("content_text") or item.get("content_html")
            published = datetime.fromisoformat(item["date_published"].replace("Z", "+00:00"))
            out.append((item["id"], item["url"], item["title"], published))
        return out
    parsed = feedparser.parse(content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    expected = "atom10" if url.endswith(".atom") else "rss20"
    assert parsed.version == expected
    return [
        (e.id, e.link, e.title, datetime(*e.published_parsed[:6]).replace(tzinfo=UTC))
        for e in parsed.entries
    ]


# --------------------------------------------------------------------------- snapshot


def test_snapshot_content(snapshot: tuple[SnapshotArticle, ...]) -> None:
    origins = Counter(a.origin for a in snapshot)
    assert 100 <= origins["multinews"] <= 250 and 600 <= origins["uci"] <= 900
    mn_stories = Counter(a.story for a in snapshot if a.origin == "multinews")
    assert 35 <= len(mn_stories) <= 45 and min(mn_stories.values()) >= 3
    assert 10 <= len({a.story for a in snapshot if a.origin == "uci"}) <= 14
    assert len({a.id for a in snapshot}) == len(snapshot)
    assert list(snapshot) == sorted(snapshot, key=lambda a: (a.published, a.id))
    for a in snapshot:
        assert a.published.tzinfo is not None and a.title
        assert snapshot_start(snapshot) <= a.published <= snapshot_end(snapshot)
        if a.origin == "multinews":
            assert (
                a.url == ""
                and len(a.text) >= 900
                and a.outlet.startswith("Multi-News archive source")
            )
        else:
            assert a.text == "" and a.url.startswith("http")
    # the documents of one Multi-News story come from distinct outlets
    for story in mn_stories:
        outlets = [a.outlet for a in snapshot if a.story == story]
        assert len(outlets) == len(set(outlets))
    # one feed format per outlet
    for items in by_outlet(snapshot).values():
        assert len({a.feed_format for a in items}) == 1
    assert snapshot_end() == snapshot_end(snapshot)
    assert snapshot_end(snapshot) - snapshot_start(snapshot) < timedelta(days=3)


def test_split_sentences_keeps_abbreviations() -> None:
    text = (
        'Mr. Smith went to Washington, D.C. on Monday. He met Gov. Jones. "It was fine." '
        "Then U.S. officials left!"
    )
    assert split_sentences(text) == [
        "Mr. Smith went to Washington, D.C. on Monday.",
        "He met Gov. Jones.",
        '"It was fine."',
        "Then U.S. officials left!",
    ]


def test_slugify() -> None:
    assert slugify("24/7 Wall St.") == "24-7-wall-st"
    assert slugify("Zürich Times (blog)") == "zurich-times-blog"
    assert slugify("!!!") == "outlet"


# --------------------------------------------------------------------------- feeds


def test_every_outlet_feed_parses_with_all_its_items(
    server: FeedServer, snapshot: tuple[SnapshotArticle, ...], client: httpx.Client
) -> None:
    groups = by_outlet(snapshot)
    urls = server.feed_urls()
    assert len(urls) == len(groups)
    formats = Counter(url.rsplit(".", 1)[1] for _, url, _ in urls)
    assert set(formats) == {"xml", "atom", "json"}
    for outlet, url, fetch_pages in urls:
        resp = client.get(url)
        assert resp.status_code == 200, url
        kind = {
            "xml": "application/rss+xml",
            "atom": "application/atom+xml",
            "json": "application/feed+json",
        }
        assert resp.headers["content-type"].startswith(kind[url.rsplit(".", 1)[1]])
        items = parse_items(resp.content, url)
        expected = groups[outlet]
        assert len(items) == len(expected), outlet
        assert {i[0] for i in items} == {f"urn:herald-demo:{a.id}" for a in expected}
        assert {i[3] for i in items} == {a.published for a in expected}
        assert fetch_pages == all(a.origin == "multinews" for a in expected)
        for _, link, _, _ in items:
            if fetch_pages:
                assert link.startswith(server.base_url + "/articles/")
            else:
                assert not link.startswith(server.base_url)


def test_feeds_escape_markup_and_carry_summaries(server: FeedServer, client: httpx.Client) -> None:
    rss = next(u for o, u, fp in server.feed_urls() if fp and u.endswith(".xml"))
    parsed = feedparser.parse(client.get(rss).content)
    entry = parsed.entries[0]
    assert entry.summary and len(entry.summary) < 1500
    assert entry.published_parsed is not None
    special = next(u for o, u, fp in server.feed_urls() if "&" in o)
    body = client.get(special).content
    if special.endswith(".json"):
        assert "&" in json.loads(body)["title"]
    else:
        ET.fromstring(body)  # well-formed despite the ampersand
        assert b"&amp;" in body


def test_article_pages_are_real_html(
    server: FeedServer, snapshot: tuple[SnapshotArticle, ...], client: httpx.Client
) -> None:
    docs = [a for a in snapshot if a.origin == "multinews"]
    for a in docs[:: max(1, len(docs) // 20)]:
        resp = client.get(server.article_url(a.id))
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/html")
        page = resp.text
        assert f'<link rel="canonical" href="{server.article_url(a.id)}">' in page
        assert (
            f'<meta property="article:published_time" content="{a.published:%Y-%m-%dT%H:%M:%SZ}">'
            in page
        )
        assert "<article>" in page and "<nav>" in page and "<footer>" in page
        assert page.count("<p>") >= len(a.paragraphs)
    # headline-only items have no page here: their links are external
    uci = next(a for a in snapshot if a.origin == "uci")
    assert client.get(server.article_url(uci.id)).status_code == 404
    assert client.get(server.base_url + "/articles/nope.html").status_code == 404


def test_article_page_extracts_with_trafilatura(
    server: FeedServer, snapshot: tuple[SnapshotArticle, ...], client: httpx.Client
) -> None:
    trafilatura = pytest.importorskip("trafilatura")
    a = next(a for a in snapshot if a.origin == "multinews")
    html = client.get(server.article_url(a.id)).text
    text = trafilatura.extract(html, url=server.article_url(a.id))
    assert text is not None
    assert a.paragraphs[-1][:60] in text
    assert "All feeds (OPML)" not in text


def test_opml_lists_every_feed(server: FeedServer, client: httpx.Client) -> None:
    resp = client.get(server.base_url + "/opml")
    assert resp.status_code == 200
    root = ET.fromstring(resp.content)
    assert root.tag == "opml" and root.get("version") == "2.0"
    outlines = root.findall("./body/outline")
    listed = {
        (o.get("text"), o.get("xmlUrl"), o.get("heraldFetchPages") == "true") for o in outlines
    }
    assert listed == set(server.feed_urls())
    for o in outlines:
        assert o.get("title") == o.get("text") and o.get("type") == "rss"
        assert (o.get("htmlUrl") or "").startswith("http")


def test_robots_and_outlet_pages(server: FeedServer, client: httpx.Client) -> None:
    robots = client.get(server.base_url + "/robots.txt")
    assert robots.status_code == 200 and "Allow: /" in robots.text
    outlet, url, _ = server.feed_urls()[0]
    site = next(o for o in server.outlets if o.name == outlet)
    page = client.get(f"{server.base_url}{site.page_path}")
    assert page.status_code == 200 and f'href="{url}"' in page.text
    assert client.get(server.base_url + "/").status_code == 200
    assert client.get(server.base_url + "/feeds/nope.xml").status_code == 404
    wrong_ext = url.rsplit(".", 1)[0] + (".atom" if not url.endswith(".atom") else ".xml")
    assert client.get(wrong_ext).status_code == 404


# --------------------------------------------------------------------------- conditional GET


def test_etag_and_last_modified_give_304(server: FeedServer, client: httpx.Client) -> None:
    for url in (server.feed_urls()[0][1], server.base_url + "/opml", server.feed_urls()[-1][1]):
        first = client.get(url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert parsedate_to_datetime(modified).tzinfo is not None
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
        older = parsedate_to_datetime(modified) - timedelta(seconds=1)
        stale = older.strftime("%a, %d %b %Y %H:%M:%S GMT")
        assert client.get(url, headers={"If-Modified-Since": stale}).status_code == 200
    assert client.head(server.feed_urls()[0][1]).status_code == 200


# --------------------------------------------------------------------------- replay cut-off


def test_cutoff_hides_future_items_until_it_moves(
    snapshot: tuple[SnapshotArticle, ...], client: httpx.Client
) -> None:
    docs = [a for a in snapshot if a.origin == "multinews"]
    middle = docs[len(docs) // 2].published
    with FeedServer(snapshot, visible_until=middle) as fs:
        outlet = docs[-1].outlet
        url = fs.feed_url(outlet)
        before = client.get(url)
        ids = {i[0] for i in parse_items(before.content, url)}
        expected = {
            f"urn:herald-demo:{a.id}"
            for a in snapshot
            if a.outlet == outlet and a.published <= middle
        }
        assert ids == expected
        assert all(i[3] <= middle for i in parse_items(before.content, url))
        assert client.get(fs.article_url(docs[-1].id)).status_code == 404
        assert client.get(fs.article_url(docs[0].id)).status_code == 200

        fs.set_visible_until(None)
        after = client.get(url, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200
        assert len(parse_items(after.content, url)) == sum(a.outlet == outlet for a in snapshot)
        assert client.get(fs.article_url(docs[-1].id)).status_code == 200

        fs.set_visible_until(snapshot_start(snapshot) - timedelta(seconds=1))
        assert parse_items(client.get(url).content, url) == []
        assert fs.visible_until == snapshot_start(snapshot) - timedelta(seconds=1)


def test_server_lifecycle_and_fixed_port(snapshot: tuple[SnapshotArticle, ...]) -> None:
    fs = FeedServer(snapshot[:10])
    with pytest.raises(RuntimeError):
        fs.feed_urls()
    base = fs.start()
    assert base.startswith("http://127.0.0.1:") and fs.start() == base
    port = int(base.rsplit(":", 1)[1])
    fs.stop()
    fs.stop()
    with FeedServer(snapshot[:10], port=port) as again:
        assert again.base_url == base
        assert httpx.get(base + "/robots.txt").status_code == 200
        assert ("/robots.txt", 200) in again.requests()
