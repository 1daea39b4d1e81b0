"""Feed autodiscovery against a real HTTP server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from herald.config import Settings
from herald.exceptions import SourceError
from herald.ingest.discover import discover_feed, feed_links
from herald.ingest.fetch import Fetcher
from herald.types import FeedFormat, ParsedFeed
from tests.support.httpserver import LocalServer

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Site news</title>
<item><title>Hello</title><link>/hello</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom news</title>
<entry><id>urn:1</id><title>One</title></entry></feed>"""


@pytest.fixture()
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def discover(settings: Settings, url: str) -> tuple[str, ParsedFeed]:
    async def main() -> tuple[str, ParsedFeed]:
        async with Fetcher(settings) as fetcher:
            return await discover_feed(fetcher, url)

    return asyncio.run(main())


def page(head: str) -> str:
    return f"<!DOCTYPE html><html><head><title>Site</title>{head}</head><body>Hi</body></html>"


def test_a_feed_url_is_its_own_feed(
    server: LocalServer, settings: Settings, shared_data: Path
) -> None:
    feeds = shared_data / "feeds" / "feedjira" / "spec" / "sample_feeds"
    server.serve_dir("/feeds/", feeds)
    url, feed = discover(settings, server.url("/feeds/TechCrunch.xml"))
    assert url == server.url("/feeds/TechCrunch.xml")
    assert (feed.title, len(feed.items)) == ("TechCrunch", 20)


def test_link_alternate_in_the_page(server: LocalServer, settings: Settings) -> None:
    server.route(
        "/blog/",
        page(
            '<link rel="stylesheet" href="/s.css">'
            '<link rel="alternate" type="application/atom+xml" href="atom.xml" title="Atom">'
            '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        ),
        content_type="text/html; charset=utf-8",
    )
    server.route("/blog/atom.xml", ATOM, content_type="application/atom+xml")
    url, feed = discover(settings, server.url("/blog/"))
    assert url == server.url("/blog/atom.xml")
    assert (feed.format, feed.title) == (FeedFormat.ATOM, "Atom news")


def test_broken_announced_feed_falls_back_to_the_next(
    server: LocalServer, settings: Settings
) -> None:
    server.route(
        "/",
        page(
            '<link rel="alternate" type="application/rss+xml" href="/gone.xml">'
            '<link rel="alternate" type="application/feed+json" href="/feed.json">'
        ),
        content_type="text/html",
    )
    server.route(
        "/feed.json",
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "JSON news", "items": []}',
        content_type="application/feed+json",
    )
    url, feed = discover(settings, server.url("/"))
    assert (url, feed.format) == (server.url("/feed.json"), FeedFormat.JSON)


def test_common_paths_when_nothing_is_announced(server: LocalServer, settings: Settings) -> None:
    server.route("/", page(""), content_type="text/html")
    server.route("/rss.xml", "<html><body>not a feed</body></html>", content_type="text/html")
    server.route("/atom.xml", ATOM, content_type="application/xml")
    url, feed = discover(settings, server.url("/"))
    assert url == server.url("/atom.xml")
    assert feed.title == "Atom news"
    tried = [r.path for r in server.requests if r.path != "/robots.txt"]
    assert tried == ["/", "/feed", "/rss", "/rss.xml", "/atom.xml"]


def test_redirected_feed_reports_its_final_address(server: LocalServer, settings: Settings) -> None:
    server.redirect("/old-feed", "/new-feed", status=301)
    server.route("/new-feed", RSS, content_type="application/rss+xml")
    url, feed = discover(settings, server.url("/old-feed"))
    assert url == server.url("/new-feed")
    assert feed.items[0].url == server.url("/hello")


def test_nothing_found(server: LocalServer, settings: Settings) -> None:
    server.route("/", page(""), content_type="text/html")
    with pytest.raises(
        SourceError, match=r"no feed found for .*none of the 8 usual feed addresses"
    ):
        discover(settings, server.url("/"))


def test_site_that_cannot_be_fetched(server: LocalServer, settings: Settings) -> None:
    with pytest.raises(SourceError, match=r"could not fetch .*HTTP 404 Not Found"):
        discover(settings, server.url("/missing"))
    with pytest.raises(SourceError, match="not an http"):
        discover(settings, "ftp://example.com/")
    with pytest.raises(SourceError, match="non-public address"):
        discover(settings.with_overrides(allow_networks=""), server.url("/"))


def test_feed_links_parsing() -> None:
    html = b"""<html><head><base href="https://cdn.example.org/base/">
      <link rel="alternate" type="application/rss+xml" href="rss">
      <link rel="Alternate" type="Application/Atom+XML; charset=utf-8" href="/atom#x">
      <link rel="alternate" type="text/html" href="/fr/">
      <link rel="alternate home" type="application/json" href="https://api.example/feed.json">
      <link rel="alternate" type="application/rss+xml" href="rss">
      <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
      <link rel="alternate" type="application/rss+xml">
    </head><body></body></html>"""
    assert feed_links(html, "https://example.com/page") == [
        "https://cdn.example.org/base/rss",
        "https://cdn.example.org/atom",
        "https://api.example/feed.json",
    ]
    assert feed_links(b"", "https://example.com/") == []
    assert feed_links(b"\x00\x01 binary", "https://example.com/") == []
