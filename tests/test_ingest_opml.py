"""OPML import and export."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from herald.exceptions import SourceError
from herald.ingest.opml import read_opml, write_opml
from herald.types import Source, SourceSpec

READER_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="News" title="News">
      <outline type="rss" text="BBC World" title="BBC World"
               xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"
               htmlUrl="https://www.bbc.co.uk/news/world"/>
      <outline text="Europe">
        <outline type="rss" text="Le Monde" xmlUrl="https://www.lemonde.fr/rss/une.xml"
                 language="fr"/>
      </outline>
    </outline>
    <outline type="rss" text="Loose feed" xmlUrl="https://loose.example/feed"
             category="/Tech/Open source,/Other"/>
    <outline type="link" text="Just a link" url="https://example.com/page"/>
    <outline type="rss" text="Duplicate" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
    <outline text="Empty folder"/>
  </body>
</opml>"""


def test_read_reader_export() -> None:
    specs = read_opml(READER_EXPORT)
    assert specs == [
        SourceSpec(
            url="https://feeds.bbci.co.uk/news/world/rss.xml",
            title="BBC World",
            site_url="https://www.bbc.co.uk/news/world",
            category="News",
        ),
        SourceSpec(
            url="https://www.lemonde.fr/rss/une.xml",
            title="Le Monde",
            language="fr",
            category="News/Europe",
        ),
        SourceSpec(
            url="https://loose.example/feed", title="Loose feed", category="Tech/Open source"
        ),
    ]


SPECS = [
    SourceSpec(
        url="https://a.example/feed?x=1&y=2",
        title='Quotes "and" <angles> & ampersands',
        outlet="Outlet A",
        site_url="https://a.example/",
        country="fr",
        language="fr",
        category="World/Europe",
        fetch_pages=False,
    ),
    SourceSpec(
        url="https://b.example/rss", title="", outlet="Only outlet", category="World/Europe"
    ),
    SourceSpec(url="https://c.example/atom", title="Ünïcödé 新聞", country="jp", language="ja"),
    SourceSpec(url="https://d.example/feed.json", category="Tech"),
]


def test_round_trip_loses_nothing() -> None:
    document = write_opml(SPECS, title="My sources")
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert b"<title>My sources</title>" in document
    assert read_opml(document) == SPECS


def test_write_accepts_sources() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    source = Source(
        id=1,
        url="https://a.example/feed",
        title="A",
        outlet="A News",
        site_url="https://a.example/",
        country="us",
        language="en",
        category="US",
        fetch_pages=True,
        paused=False,
        etag='"x"',
        last_modified=None,
        last_success=now,
        last_error=None,
        last_attempt=now,
        next_attempt=now,
        failures=0,
        created_at=now,
    )
    [spec] = read_opml(write_opml([source]))
    assert spec == SourceSpec(
        url=source.url,
        title="A",
        outlet="A News",
        site_url="https://a.example/",
        country="us",
        language="en",
        category="US",
        fetch_pages=True,
    )


def test_billion_laughs_and_external_entities_are_refused() -> None:
    laughs = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<opml version="2.0"><head/><body><outline text="&lol2;" xmlUrl="https://x.example/"/></body></opml>"""
    with pytest.raises(SourceError, match="DOCTYPE"):
        read_opml(laughs)
    xxe = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><head/><body><outline text="&secret;" xmlUrl="https://x.example/"/></body></opml>"""
    with pytest.raises(SourceError, match="DOCTYPE"):
        read_opml(xxe)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "invalid XML"),
        (b"<opml><body>", "invalid XML"),
        (b"<rss version='2.0'><channel/></rss>", "root element is <rss>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
    ],
)
def test_not_opml(content: bytes, reason: str) -> None:
    with pytest.raises(SourceError, match=reason):
        read_opml(content)


def test_empty_body_and_empty_list() -> None:
    assert read_opml(b"<opml version='2.0'><head/><body/></opml>") == []
    assert read_opml(write_opml([])) == []
