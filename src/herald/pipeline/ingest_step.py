"""Ingest step: poll due sources over HTTP, parse their feeds, store new entries."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from herald.app import Herald
from herald.exceptions import FeedParseError, HeraldError, WorkerTimeoutError
from herald.ingest.fetch import Fetcher
from herald.ingest.parse import parse_feed
from herald.ingest.schedule import next_attempt_after_failure, next_attempt_after_success
from herald.ingest.urls import canonicalize
from herald.pipeline.progress import NoProgress, Progress
from herald.store.store import NewEntry
from herald.types import FeedItem, FetchResult, ParsedFeed, Source
from herald.workers import WorkerPool


@dataclass
class IngestReport:
    """What one ingest round did."""

    sources: int = 0
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    new_entries: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def ingest(h: Herald, progress: Progress | None = None, *, force: bool = False) -> IngestReport:
    """Fetch every due source (all unpaused sources when ``force``) and store new entries."""
    return asyncio.run(ingest_async(h, progress or NoProgress(), force=force))


async def ingest_async(h: Herald, progress: Progress, *, force: bool = False) -> IngestReport:
    now = h.clock.now()
    due = [s for s in h.store.list_sources() if not s.paused] if force else h.store.due_sources(now)
    report = IngestReport(sources=len(due))
    progress.start("Fetching feeds", len(due))
    async with Fetcher(h.settings) as fetcher:

        async def one(source: Source) -> None:
            try:
                result = await fetcher.fetch(
                    source.url, etag=source.etag, last_modified=source.last_modified
                )
                parsed = None if result.not_modified else await _parse(h.pool, result)
                _store_feed(h, source, result, parsed, report)
            except HeraldError as e:
                _record_failure(h, source, str(e), report)
            progress.advance()

        await asyncio.gather(*(one(s) for s in due))
    progress.finish()
    return report


async def _parse(pool: WorkerPool, result: FetchResult) -> ParsedFeed:
    """The fetched feed parsed in a worker process (under the ``work_timeout`` limit)."""
    content_type = result.headers.get("content-type", "")
    try:
        return await pool.run_async(parse_feed, result.content, result.url, content_type)
    except WorkerTimeoutError as e:
        raise FeedParseError(f"parsing the feed {e}") from e


def _store_feed(
    h: Herald,
    source: Source,
    result: FetchResult,
    parsed: ParsedFeed | None,
    report: IngestReport,
) -> None:
    now = h.clock.now()
    next_at = next_attempt_after_success(now, h.settings.poll_interval)
    if parsed is None:
        report.not_modified += 1
        h.store.record_fetch_success(source.id, now, source.etag, source.last_modified, next_at)
        return
    entries = [to_entry(item, now) for item in parsed.items]
    report.new_entries += h.store.add_entries(source.id, entries, now, source.fetch_pages)
    report.fetched += 1
    h.store.record_fetch_success(source.id, now, result.etag, result.last_modified, next_at)


def _record_failure(h: Herald, source: Source, error: str, report: IngestReport) -> None:
    now = h.clock.now()
    s = h.settings
    next_at = next_attempt_after_failure(
        now, source.failures + 1, s.source_backoff_base, s.source_backoff_max
    )
    h.store.record_fetch_failure(source.id, now, error, next_at)
    report.failed += 1
    report.errors[source.url] = error


def to_entry(item: FeedItem, now: datetime) -> NewEntry:
    """A parsed feed item as a storable entry (missing or future dates become ``now``)."""
    published = (
        item.published if item.published and item.published <= now + timedelta(hours=1) else now
    )
    guid = item.guid or item.url or hashlib.sha256((item.title + item.summary).encode()).hexdigest()
    return NewEntry(
        guid=guid,
        url=item.url,
        canonical_url=canonicalize(item.url) if item.url else "",
        title=item.title,
        summary=item.summary,
        author=item.author,
        published=published,
        image_url=item.image_url,
    )
