"""Feed autodiscovery: from a site's address to the address of its feed."""

from __future__ import annotations

import logging
from typing import Protocol

from lxml import etree, html

from herald.exceptions import FeedParseError, FetchError, SourceError
from herald.ingest.parse import parse_feed
from herald.ingest.urls import is_http_url, origin, resolve
from herald.types import FetchResult, ParsedFeed

__all__ = ["COMMON_FEED_PATHS", "FEED_TYPES", "FeedFetcher", "discover_feed", "feed_links"]

logger = logging.getLogger(__name__)

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
    }
)
COMMON_FEED_PATHS = (
    "/feed",
    "/rss",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/feeds/posts/default",
    "/feed.json",
)


class FeedFetcher(Protocol):
    """What discovery needs of a fetcher (``herald.ingest.fetch.Fetcher`` is one)."""

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


async def discover_feed(fetcher: FeedFetcher, url: str) -> tuple[str, ParsedFeed]:
    """The address and content of the feed of ``url``, which may be a feed or a web page.

    Tries, in order: ``url`` itself as a feed; the ``<link rel="alternate">`` feeds the page
    announces; the usual feed paths of the site (``/feed``, ``/rss.xml``...). The address
    returned is the one the feed was finally served from (after redirects).
    Raises :class:`SourceError` when no feed is found.
    """
    if not is_http_url(url):
        raise SourceError(f"{url!r} is not an http(s) address")
    try:
        page = await fetcher.fetch(url)
    except FetchError as e:
        raise SourceError(f"could not fetch {url}: {e}") from e
    found = _as_feed(page)
    if found is not None:
        return found
    tried: list[str] = []
    for candidate in _candidates(page):
        found = await _try_candidate(fetcher, candidate)
        if found is not None:
            return found
        tried.append(candidate)
    raise SourceError(_nothing_found(url, tried))


def _candidates(page: FetchResult) -> list[str]:
    links = feed_links(page.content, page.url)
    site = origin(page.url)
    common = [site + path for path in COMMON_FEED_PATHS]
    return list(dict.fromkeys(link for link in [*links, *common] if link != page.url))


async def _try_candidate(fetcher: FeedFetcher, url: str) -> tuple[str, ParsedFeed] | None:
    try:
        result = await fetcher.fetch(url)
    except FetchError as e:
        logger.debug("no feed at %s: %s", url, e)
        return None
    return _as_feed(result)


def _as_feed(result: FetchResult) -> tuple[str, ParsedFeed] | None:
    content_type = result.headers.get("content-type", "")
    try:
        return result.url, parse_feed(result.content, result.url, content_type)
    except FeedParseError as e:
        logger.debug("%s is not a feed: %s", result.url, e)
        return None


def feed_links(content: bytes, base_url: str) -> list[str]:
    """Absolute URLs of the feeds an HTML page announces with ``<link rel="alternate">``."""
    root = _parse_html(content)
    if root is None:
        return []
    base = _document_base(root, base_url)
    links = []
    for link in root.iter("link"):
        rels = str(link.get("rel") or "").lower().split()
        kind = str(link.get("type") or "").split(";")[0].strip().lower()
        href = str(link.get("href") or "").strip()
        if "alternate" in rels and kind in FEED_TYPES and href:
            absolute = resolve(base, href)
            if is_http_url(absolute):
                links.append(absolute.split("#", 1)[0])
    return list(dict.fromkeys(links))


def _parse_html(content: bytes) -> etree._Element | None:
    if not content.strip():
        return None
    parser = html.HTMLParser(no_network=True, remove_comments=True)
    try:
        return html.document_fromstring(content, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def _document_base(root: etree._Element, url: str) -> str:
    for base in root.iter("base"):
        href = str(base.get("href") or "").strip()
        if href:
            return resolve(url, href)
    return url


def _nothing_found(url: str, tried: list[str]) -> str:
    sample = ", ".join(tried[:3]) + (", ..." if len(tried) > 3 else "")
    return (
        f"no feed found for {url}: it is not a feed, announces no feed that could be read, "
        f"and none of the {len(tried)} usual feed addresses answered with one ({sample})"
    )
