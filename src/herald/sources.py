"""Adding sources: by feed or site address (with discovery), and from OPML."""

from __future__ import annotations

import asyncio
from pathlib import Path

from herald.app import Herald
from herald.exceptions import SourceError
from herald.types import Source, SourceSpec


def add_source(
    h: Herald, url: str, *, outlet: str = "", fetch_pages: bool = True, category: str = ""
) -> Source:
    """Add the feed at ``url``, or the feed discovered from the site at ``url``."""
    feed_url, title, link = asyncio.run(_discover(h, url))
    spec = SourceSpec(
        url=feed_url,
        title=title,
        outlet=outlet or title,
        site_url=link,
        fetch_pages=fetch_pages,
        category=category,
    )
    return h.store.add_source(spec, h.clock.now())


async def _discover(h: Herald, url: str) -> tuple[str, str, str]:
    from herald.ingest.discover import discover_feed
    from herald.ingest.fetch import Fetcher

    async with Fetcher(h.settings) as fetcher:
        feed_url, parsed = await discover_feed(fetcher, url)
    return feed_url, parsed.title, parsed.link


def import_opml(h: Herald, location: str) -> tuple[int, int]:
    """Import the sources of an OPML file or address; returns (added, listed)."""
    from herald.ingest.opml import read_opml

    data = (
        asyncio.run(_fetch_bytes(h, location))
        if location.startswith(("http://", "https://"))
        else _read(location)
    )
    specs = read_opml(data)
    return h.store.add_sources(specs, h.clock.now()), len(specs)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise SourceError(f"cannot read OPML file {path}: {e}") from e


async def _fetch_bytes(h: Herald, url: str) -> bytes:
    from herald.ingest.fetch import Fetcher

    async with Fetcher(h.settings) as fetcher:
        return (await fetcher.fetch(url)).content
