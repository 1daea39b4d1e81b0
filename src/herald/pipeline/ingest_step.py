"""Ingest step: poll due sources over HTTP, parse their feeds, store new entries.

Due sources are cut into shards by host (a host is in exactly one shard, so the per-host
limits hold however many workers fetch) and the executor runs the shards: each fetches its
feeds (conditional GET) and parses them under the ``work_timeout`` limit, then returns one
outcome per source. Only the driver stores outcomes, so a shard whose worker dies is run
again or, failing that, its sources stay due for the next round. The step holds the
``ingest`` lock (PostgreSQL; see :mod:`herald.executor.locks`): a second driver polls only
after the first is done, and then finds its sources no longer due.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from herald.app import Herald
from herald.cluster.sections import label_topic
from herald.exceptions import FeedParseError, HeraldError, WorkerTimeoutError
from herald.executor.base import SHARDS_PER_WORKER, WorkContext, chunks, shard_by_host
from herald.executor.locks import stage_lock
from herald.extract.kind import article_kind, feed_kind, strongest
from herald.ingest.parse import parse_feed
from herald.ingest.schedule import next_attempt_after_failure, next_attempt_after_success
from herald.ingest.urls import canonicalize
from herald.pipeline.progress import NoProgress, Progress
from herald.store.store import NewEntry
from herald.types import ArticleKind, FeedItem, FetchResult, ParsedFeed, Source
from herald.workers import WorkerPool

log = logging.getLogger(__name__)

CHUNK = 2000  # sources handed out at once (bounds the parsed items held in memory)


@dataclass
class IngestReport:
    """What one ingest round did."""

    sources: int = 0
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    new_entries: int = 0
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedJob:
    """One feed to poll, with the validators of its last answer."""

    source_id: int
    url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class FeedOutcome:
    """What polling one feed gave: a parsed feed, "not modified", or an error."""

    source_id: int
    parsed: ParsedFeed | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str = ""


def ingest(h: Herald, progress: Progress | None = None, *, force: bool = False) -> IngestReport:
    """Fetch every due source (all unpaused sources when ``force``) and store new entries."""
    with stage_lock(h.store, "ingest"):
        return asyncio.run(ingest_async(h, progress or NoProgress(), force=force))


async def ingest_async(h: Herald, progress: Progress, *, force: bool = False) -> IngestReport:
    now = h.clock.now()
    due = [s for s in h.store.list_sources() if not s.paused] if force else h.store.due_sources(now)
    report = IngestReport(sources=len(due))
    progress.start("Fetching feeds", len(due))
    for chunk in chunks(due, CHUNK):
        await _ingest_chunk(h, chunk, report, progress)
    progress.finish()
    return report


async def _ingest_chunk(
    h: Herald, sources: Sequence[Source], report: IngestReport, progress: Progress
) -> None:
    jobs = [FeedJob(s.id, s.url, s.etag, s.last_modified) for s in sources]
    by_id = {s.id: s for s in sources}
    cut = shard_by_host([j.url for j in jobs], h.executor.workers * SHARDS_PER_WORKER)
    shards = [[jobs[i] for i in positions] for positions in cut]
    async for result in h.executor.run_shards(fetch_feeds, shards):
        if result.value is None:  # the shard was lost: its sources stay due
            log.warning(
                "%d feeds left for the next round: %s", len(shards[result.index]), result.error
            )
            progress.advance(len(shards[result.index]))
            continue
        for outcome in result.value:
            _store_outcome(h, by_id[outcome.source_id], outcome, report)
            progress.advance()


async def fetch_feeds(ctx: WorkContext, jobs: Sequence[FeedJob]) -> list[FeedOutcome]:
    """A shard: poll and parse every feed of ``jobs`` (runs on a worker; stores nothing)."""
    return list(await asyncio.gather(*(_poll(ctx, job) for job in jobs)))


async def _poll(ctx: WorkContext, job: FeedJob) -> FeedOutcome:
    try:
        result = await ctx.fetcher.fetch(job.url, etag=job.etag, last_modified=job.last_modified)
        if result.not_modified:
            return FeedOutcome(job.source_id)
        parsed = await _parse(ctx.pool, result)
    except HeraldError as e:
        return FeedOutcome(job.source_id, error=str(e) or type(e).__name__)
    return FeedOutcome(job.source_id, parsed, result.etag, result.last_modified)


async def _parse(pool: WorkerPool, result: FetchResult) -> ParsedFeed:
    """The fetched feed parsed in a worker process (under the ``work_timeout`` limit)."""
    content_type = result.headers.get("content-type", "")
    try:
        return await pool.run_async(parse_feed, result.content, result.url, content_type)
    except WorkerTimeoutError as e:
        raise FeedParseError(f"parsing the feed {e}") from e


def _store_outcome(h: Herald, source: Source, outcome: FeedOutcome, report: IngestReport) -> None:
    try:
        if outcome.error:
            _record_failure(h, source, outcome.error, report)
        else:
            _store_feed(h, source, outcome, report)
    except HeraldError as e:
        _record_failure(h, source, str(e), report)


def _store_feed(h: Herald, source: Source, outcome: FeedOutcome, report: IngestReport) -> None:
    now = h.clock.now()
    next_at = next_attempt_after_success(now, h.settings.poll_interval)
    if outcome.parsed is None:
        report.not_modified += 1
        h.store.record_fetch_success(source.id, now, source.etag, source.last_modified, next_at)
        return
    # a feed of opinion pieces or reviews ("NYT > Opinion", ".../section/opinion/feed/")
    kind = feed_kind(source.url, outcome.parsed.title)
    entries = [to_entry(item, now, kind) for item in outcome.parsed.items]
    report.new_entries += h.store.add_entries(source.id, entries, now, source.fetch_pages)
    report.fetched += 1
    h.store.record_fetch_success(source.id, now, outcome.etag, outcome.last_modified, next_at)


def _record_failure(h: Herald, source: Source, error: str, report: IngestReport) -> None:
    now = h.clock.now()
    s = h.settings
    next_at = next_attempt_after_failure(
        now, source.failures + 1, s.source_backoff_base, s.source_backoff_max
    )
    h.store.record_fetch_failure(source.id, now, error, next_at)
    report.failed += 1
    report.errors[source.url] = error


def to_entry(item: FeedItem, now: datetime, kind: ArticleKind = ArticleKind.NEWS) -> NewEntry:
    """A parsed feed item as a storable entry (missing or future dates become ``now``); its
    kind is its own or its feed's (``kind``), whichever is not news."""
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
        kind=strongest(
            [kind, article_kind(urls=[item.url], title=item.title, labels=item.categories)]
        ),
        section=label_topic(item.categories),
    )
