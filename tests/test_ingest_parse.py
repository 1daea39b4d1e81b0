"""parse_feed on the feed shapes and the breakage real servers produce."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from herald.exceptions import FeedParseError
from herald.ingest.parse import parse_feed
from herald.types import FeedFormat

URL = "https://news.example.com/feeds/main.xml"


def rss(items: str, channel: str = "<title>Example</title>", encoding: str = "utf-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
        f"{channel}{items}</channel></rss>"
    ).encode(encoding)


# --------------------------------------------------------------------------- formats


def test_rss2_item_fields() -> None:
    feed = parse_feed(
        rss(
            "<item><title>Hello</title><link>https://news.example.com/a</link>"
            "<guid isPermaLink='false'>id-1</guid><description>Body</description>"
            "<author>jo@example.com (Jo Writer)</author>"
            "<pubDate>Tue, 10 Jun 2003 04:00:00 +0200</pubDate></item>",
            "<title>Example</title><link>https://news.example.com/</link>",
        ),
        URL,
    )
    assert feed.format is FeedFormat.RSS
    assert (feed.title, feed.link, feed.warnings) == ("Example", "https://news.example.com/", ())
    [item] = feed.items
    assert (item.guid, item.url, item.title, item.summary) == (
        "id-1",
        "https://news.example.com/a",
        "Hello",
        "Body",
    )
    assert item.author == "Jo Writer"
    assert item.published == datetime(2003, 6, 10, 2, 0, tzinfo=UTC)


def test_atom_10_and_03() -> None:
    atom10 = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
      <title type="html">A &lt;b&gt;bold&lt;/b&gt; feed &amp;amp; more</title>
      <link href="/"/>
      <entry><id>tag:x,2024:1</id><title>One</title><link href="/one"/>
        <updated>2024-03-01T10:00:00-05:00</updated>
        <content type="html">&lt;p&gt;First para.&lt;/p&gt;&lt;p&gt;Second.&lt;/p&gt;</content>
      </entry></feed>"""
    feed = parse_feed(atom10, URL)
    assert feed.format is FeedFormat.ATOM
    assert feed.title == "A bold feed & more"
    assert feed.link == "https://news.example.com/"
    [item] = feed.items
    assert item.url == "https://news.example.com/one"
    assert item.summary == "First para.\n\nSecond."
    assert item.published == datetime(2024, 3, 1, 15, 0, tzinfo=UTC)

    atom03 = b"""<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">
      <title>Old</title><entry><title>E</title><id>urn:e</id>
      <link rel="alternate" type="text/html" href="http://old.example.com/e"/>
      <issued>2004-01-02T03:04:05Z</issued></entry></feed>"""
    old = parse_feed(atom03, URL)
    assert old.format is FeedFormat.ATOM
    assert old.items[0].url == "http://old.example.com/e"
    assert old.items[0].published == datetime(2004, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_rdf_rss_10() -> None:
    rdf = b"""<?xml version="1.0"?>
    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
             xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="http://x.example/"><title>RDF</title><link>http://x.example/</link></channel>
      <item rdf:about="http://x.example/1"><title>One</title><link>http://x.example/1</link>
        <dc:date>2020-05-06T07:08:09+02:00</dc:date><dc:creator>Ann</dc:creator></item>
    </rdf:RDF>"""
    feed = parse_feed(rdf, URL)
    assert feed.format is FeedFormat.RDF
    [item] = feed.items
    assert (item.url, item.author) == ("http://x.example/1", "Ann")
    assert item.published == datetime(2020, 5, 6, 5, 8, 9, tzinfo=UTC)


def test_json_feed_11_and_10() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JF",
        "home_page_url": "/",
        "items": [
            {
                "id": 1,
                "url": "/posts/1",
                "title": "Caf&eacute; <em>news</em>",
                "content_html": "<p>One</p><p>Two</p>",
                "date_published": "2021-02-03T04:05:06+01:00",
                "authors": [{"name": "A"}, {"name": "B"}],
                "image": "/img.png",
            },
            {
                "id": "2",
                "external_url": "https://elsewhere.example/2",
                "content_text": "Plain",
                "date_modified": "Fri, 31 May 2019 12:17:58 -0700",
                "author": {"name": "ignored in 1.1 when authors exist"},
            },
            "not an item",
        ],
    }
    feed = parse_feed(json.dumps(doc).encode(), URL, "application/feed+json")
    assert feed.format is FeedFormat.JSON
    assert (feed.title, feed.link) == ("JF", "https://news.example.com/")
    first, second = feed.items
    assert (first.guid, first.url, first.title) == (
        "1",
        "https://news.example.com/posts/1",
        "Café news",
    )
    assert first.summary == "One\n\nTwo"
    assert first.author == "A, B"
    assert first.image_url == "https://news.example.com/img.png"
    assert first.published == datetime(2021, 2, 3, 3, 5, 6, tzinfo=UTC)
    assert second.url == "https://elsewhere.example/2"
    assert second.published == datetime(2019, 5, 31, 19, 17, 58, tzinfo=UTC)
    assert second.author == "ignored in 1.1 when authors exist"
    assert feed.warnings == ("1 entries without title, link or text were dropped",)


def test_json_feed_with_bad_dates_and_missing_items() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1",
        "items": [{"id": "x", "title": "T", "date_published": "soon"}],
    }
    feed = parse_feed(json.dumps(doc).encode(), URL)
    assert feed.items[0].published is None
    assert feed.warnings == ("1 entries have a date that could not be read",)
    with pytest.raises(FeedParseError, match="'items' is missing"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1.1"}', URL)


# --------------------------------------------------------------------------- not feeds


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the document is empty"),
        (b"   \n\t ", "the document is empty"),
        (b"<!DOCTYPE html><html><head><title>Hi</title></head><body>x</body></html>", "HTML page"),
        (b"<html><body><p>Just a page</p></body></html>", "HTML page"),
        (b"\x00\x01\x02garbage\xff\xfe", "neither XML nor JSON"),
        (b"hello world", "neither XML nor JSON"),
        (b"<catalog><book/></catalog>", "root element <catalog>"),
        (b'{"hello": "world"}', "without a jsonfeed.org version"),
        (b"[1, 2]", "not an object"),
        (b"{broken", "invalid JSON"),
        (b"/etc/passwd", "neither XML nor JSON"),  # never opened as a file by feedparser
    ],
)
def test_documents_that_are_not_feeds_raise_with_a_reason(content: bytes, reason: str) -> None:
    with pytest.raises(FeedParseError, match="not a feed") as error:
        parse_feed(content, URL)
    assert reason in str(error.value)


def test_truncated_feed_with_entries_is_kept_with_a_warning() -> None:
    content = rss("<item><title>One</title><link>https://x.example/1</link></item><item><title>Tw")
    feed = parse_feed(content[: content.index(b"<title>Tw") + 9], URL)
    assert feed.items[0].title == "One"
    assert any(w.startswith("malformed XML, read leniently") for w in feed.warnings)


def test_broken_feed_without_entries_raises() -> None:
    with pytest.raises(FeedParseError, match="malformed feed with no readable entries"):
        parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>', URL)


def test_valid_empty_feed_is_a_feed() -> None:
    feed = parse_feed(rss(""), URL)
    assert (feed.items, feed.warnings) == ((), ())


def test_undefined_entities_are_recovered() -> None:
    feed = parse_feed(rss("<item><title>Caf&eacute; &amp; bar&nbsp;x</title></item>"), URL)
    assert feed.items[0].title == "Café & bar x"


# --------------------------------------------------------------------------- encodings


def test_latin1_declared_in_xml() -> None:
    feed = parse_feed(rss("<item><title>Crème brûlée</title></item>", encoding="iso-8859-1"), URL)
    assert feed.items[0].title == "Crème brûlée"
    assert feed.warnings == ()


def test_wrong_charset_in_content_type_is_overridden_with_a_warning() -> None:
    content = rss("<item><title>Crème brûlée</title></item>", encoding="iso-8859-1")
    feed = parse_feed(content, URL, "application/rss+xml; charset=utf-8")
    assert feed.items[0].title == "Crème brûlée"
    assert feed.warnings[0].startswith("wrong character encoding")


def test_latin1_bytes_declared_as_utf8() -> None:
    content = rss("<item><title>Crème</title></item>").replace("è".encode(), b"\xe8")
    feed = parse_feed(content, URL)
    assert feed.items[0].title == "Crème"
    assert feed.warnings and "encoding" in feed.warnings[0]


def test_text_content_type_without_charset_does_not_force_ascii() -> None:
    feed = parse_feed(rss("<item><title>Zoë</title></item>"), URL, "text/html")
    assert (feed.items[0].title, feed.warnings) == ("Zoë", ())


def test_bom_and_blank_lines_before_the_declaration() -> None:
    feed = parse_feed(b"\xef\xbb\xbf\n\n  " + rss("<item><title>A</title></item>"), URL)
    assert (feed.items[0].title, feed.warnings) == ("A", ())


def test_utf16_feed() -> None:
    text = (
        '<?xml version="1.0" encoding="utf-16"?>'
        '<rss version="2.0"><channel><title>Ü</title></channel></rss>'
    )
    assert parse_feed(text.encode("utf-16"), URL).title == "Ü"


# --------------------------------------------------------------------------- items


def test_relative_links_resolve_against_the_feed_url_and_xml_base() -> None:
    feed = parse_feed(
        rss(
            "<item><title>a</title><link>../posts/a</link></item>"
            "<item xml:base='https://cdn.example.org/x/'><title>b</title><link>b.html</link></item>"
            "<item><title>c</title><link>javascript:alert(1)</link></item>"
        ),
        URL,
    )
    assert [i.url for i in feed.items] == [
        "https://news.example.com/posts/a",
        "https://cdn.example.org/x/b.html",
        "",
    ]


def test_html_in_titles_and_summaries_becomes_text() -> None:
    feed = parse_feed(
        rss(
            "<item><title>&lt;b&gt;Breaking&lt;/b&gt;: rates &amp;amp; "
            "&lt;i&gt;more&lt;/i&gt;</title>"
            "<description><![CDATA[<p>First <a href='/x'>para</a>.</p><script>evil()</script>"
            "<p>Second<br/>line</p><ul><li>one</li><li>two</li></ul>]]></description></item>"
        ),
        URL,
    )
    [item] = feed.items
    assert item.title == "Breaking: rates & more"
    assert item.summary == "First para.\n\nSecond\nline\n\none\n\ntwo"


def test_longest_of_description_and_content_encoded_is_the_summary() -> None:
    feed = parse_feed(
        rss(
            "<item><title>t</title><description>Teaser</description>"
            "<content:encoded xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
            "<![CDATA[<p>The full text.</p><p>More.</p>]]></content:encoded></item>"
        ),
        URL,
    )
    assert feed.items[0].summary == "The full text.\n\nMore."


def test_duplicate_ids_keep_the_first() -> None:
    feed = parse_feed(
        rss(
            "<item><guid>same</guid><title>First</title></item>"
            "<item><guid>same</guid><title>Second</title></item>"
            "<item><guid>other</guid><title>Third</title></item>"
        ),
        URL,
    )
    assert [i.title for i in feed.items] == ["First", "Third"]
    assert feed.warnings == ("1 entries with a duplicate id were dropped",)


def test_missing_guid_falls_back_to_link_then_to_a_content_hash() -> None:
    content = rss(
        "<item><title>Linked</title><link>https://x.example/a</link></item>"
        "<item><title>Bare</title><description>Text</description></item>"
    )
    linked, bare = parse_feed(content, URL).items
    assert linked.guid == "https://x.example/a"
    assert bare.guid.startswith("sha256:") and len(bare.guid) == 39
    assert parse_feed(content, "https://elsewhere.example/feed").items[1].guid == bare.guid


def test_relative_guid_is_not_rewritten() -> None:
    feed = parse_feed(
        rss("<item><guid isPermaLink='false'>t3_abc</guid><title>x</title></item>"), URL
    )
    assert feed.items[0].guid == "t3_abc"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Mon, 06 Sep 2021 16:45:00 EST", datetime(2021, 9, 6, 21, 45, tzinfo=UTC)),
        ("2021-09-06T16:45:00+09:00", datetime(2021, 9, 6, 7, 45, tzinfo=UTC)),
        ("2021-09-06", datetime(2021, 9, 6, tzinfo=UTC)),
        ("mer, 16 nov 2022 00:38:15 +0100", datetime(2022, 11, 15, 23, 38, 15, tzinfo=UTC)),
        ("Di, 07 Mär 2023 10:00:00 +0200", datetime(2023, 3, 7, 8, 0, tzinfo=UTC)),
        ("yesterday-ish", None),
        ("", None),
    ],
)
def test_dates_are_utc_or_none(date: str, expected: datetime | None) -> None:
    feed = parse_feed(rss(f"<item><title>t</title><pubDate>{date}</pubDate></item>"), URL)
    published = feed.items[0].published
    assert published == expected
    if published is not None:
        assert published.utcoffset() is not None and published.utcoffset().total_seconds() == 0
    assert ("1 entries have a date that could not be read" in feed.warnings) == (
        bool(date) and expected is None
    )


def test_absurd_dates_do_not_crash() -> None:
    feed = parse_feed(
        rss("<item><title>t</title><pubDate>Mon, 01 Jan 99999 00:00:00 GMT</pubDate></item>"), URL
    )
    assert feed.items[0].published is None


def test_image_from_media_thumbnail_or_image_enclosure() -> None:
    feed = parse_feed(
        rss(
            "<item xmlns:media='http://search.yahoo.com/mrss/'><title>a</title>"
            "<media:thumbnail url='/thumb.jpg'/></item>"
            "<item><title>b</title>"
            "<enclosure url='https://img.example/b.png' type='image/png' length='1'/></item>"
            "<item><title>c</title>"
            "<enclosure url='https://x.example/c.mp3' type='audio/mpeg' length='1'/></item>"
        ),
        URL,
    )
    assert [i.image_url for i in feed.items] == [
        "https://news.example.com/thumb.jpg",
        "https://img.example/b.png",
        "",
    ]


def test_entries_without_anything_are_dropped() -> None:
    feed = parse_feed(rss("<item></item><item><title>kept</title></item>"), URL)
    assert [i.title for i in feed.items] == ["kept"]
    assert feed.warnings == ("1 entries without title, link or text were dropped",)


def test_entity_expansion_and_external_entities_are_not_honoured() -> None:
    levels = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    content = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}'
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<rss version="2.0"><channel><title>&l9;</title>'
        "<item><title>&xxe; x</title><description>&l0;</description></item></channel></rss>"
    ).encode()
    feed = parse_feed(content, URL)
    assert len(feed.title) < 100
    assert "root:" not in feed.items[0].title
