"""Extract step: fetch pending article pages, extract their text, link wire copies.

Pending pages are handed out ``CHUNK`` at a time, cut into shards by host (a host is in
exactly one shard, so the per-host limits hold however many workers fetch); the executor
runs the shards, each fetching its pages and extracting them under the ``work_timeout``
limit. Results are stored by the driver in the order of the pending list, ``BATCH`` at a
time, so the near-duplicate check always sees the earlier article first, whichever worker
finished first; a page whose shard was lost stays pending for the next round.

The wire-copy index (recent originals' MinHash signatures) is kept between rounds in
``Herald.caches`` and synchronised with the database at the start of every round:
originals another process stored are added, and articles that left the window or the
database are dropped. The step holds the ``extract`` lock (PostgreSQL; see
:mod:`herald.executor.locks`), so a second driver neither fetches the same pages nor links
wire copies from an index that misses the first one's articles.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from herald.app import Herald
from herald.exceptions import BlockedError, HeraldError, WorkerError, WorkerTimeoutError
from herald.executor.base import SHARDS_PER_WORKER, WorkContext, chunks, shard_by_host
from herald.executor.locks import stage_lock
from herald.extract.dedupe import NearDuplicateIndex
from herald.extract.page import ExtractedPage, extract_page, page_signature
from herald.pipeline.progress import NoProgress, Progress
from herald.store.store import ExtractionUpdate
from herald.types import Extraction, ExtractStatus

log = logging.getLogger(__name__)

BATCH = 100
CHUNK = 2000  # pending pages handed out at once
REBUILD_SHARE = 0.25
SYNC_IDS = 5000  # article bodies read per query when the index is topped up
_CACHE_KEY = "extract.wire_index"
IN_FLIGHT_PER_CONNECTION = 2
_LOST = object()  # a result slot whose shard was lost: skipped, the page stays pending


@dataclass
class ExtractReport:
    """What one extract round did."""

    pages: int = 0
    ok: int = 0
    failed: int = 0
    duplicates: int = 0
    lost: int = 0  # left pending for the next round (their worker was lost)


@dataclass(frozen=True)
class PageJob:
    """One page to fetch and extract; ``position`` is its place in the pending list."""

    position: int
    url: str
    summary: str


def extract(h: Herald, progress: Progress | None = None) -> ExtractReport:
    """Extract every pending article, in batches, until none is left."""
    with stage_lock(h.store, "extract"):
        return asyncio.run(extract_async(h, progress or NoProgress()))


async def extract_async(h: Herald, progress: Progress) -> ExtractReport:
    """Fetch and extract pending pages through the executor; store them in pending order."""
    report = ExtractReport()
    pending = h.store.pending_extractions(limit=100_000)
    progress.start("Extracting articles", len(pending))
    wire = _load_index(h)
    for chunk in chunks(pending, CHUNK):
        await _extract_chunk(h, chunk, wire, report, progress)
    progress.finish()
    return report


async def _extract_chunk(
    h: Herald,
    pending: Sequence[tuple[int, str, str]],
    wire: _WireIndex,
    report: ExtractReport,
    progress: Progress,
) -> None:
    results: list[object] = [None] * len(pending)
    saved = 0

    def save_ready(final: bool) -> None:
        nonlocal saved
        ready = saved
        while ready < len(pending) and results[ready] is not None:
            ready += 1
        if ready - saved < BATCH and not (final and ready > saved):
            return
        done = [
            (aid, page)
            for (aid, _, _), page in zip(pending[saved:ready], results[saved:ready], strict=True)
            if isinstance(page, ExtractedPage)
        ]
        _save(h, done, wire, report)
        progress.advance(ready - saved)
        saved = ready

    jobs = [PageJob(i, url, summary) for i, (_, url, summary) in enumerate(pending)]
    cut = shard_by_host([j.url for j in jobs], h.executor.workers * SHARDS_PER_WORKER)
    shards = [[jobs[i] for i in positions] for positions in cut]
    async for result in h.executor.run_shards(extract_pages, shards):
        if result.value is None:
            log.warning("%d pages left pending: %s", len(shards[result.index]), result.error)
            report.lost += len(shards[result.index])
            for job in shards[result.index]:
                results[job.position] = _LOST
        else:
            for position, page in result.value:
                results[position] = page
        save_ready(final=False)
    save_ready(final=True)


def _save(
    h: Herald, done: Sequence[tuple[int, ExtractedPage]], wire: _WireIndex, report: ExtractReport
) -> None:
    """Link wire copies and store one batch."""
    h.store.save_extractions([_update(aid, page, wire, report) for aid, page in done])


async def extract_pages(
    ctx: WorkContext, jobs: Sequence[PageJob]
) -> list[tuple[int, ExtractedPage]]:
    """A shard: fetch and extract every page of ``jobs`` (runs on a worker; stores nothing).

    At most ``IN_FLIGHT_PER_CONNECTION`` pages per allowed connection are in flight, so
    fetched pages never pile up waiting for extraction."""
    lanes = asyncio.Semaphore(max(1, ctx.settings.total_concurrency) * IN_FLIGHT_PER_CONNECTION)

    async def one(job: PageJob) -> tuple[int, ExtractedPage]:
        async with lanes:
            return job.position, await _fetch_extract(ctx, job.url, job.summary)

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def _fetch_extract(ctx: WorkContext, url: str, summary: str) -> ExtractedPage:
    """One page fetched and extracted; every failure is an extraction with a reason."""
    try:
        result = await ctx.fetcher.fetch(url)
    except BlockedError as e:
        return page_signature(Extraction(ExtractStatus.BLOCKED, str(e)), summary)
    except HeraldError as e:
        return page_signature(Extraction(ExtractStatus.ERROR, str(e)), summary)
    encoding = _charset(result.headers.get("content-type", ""))
    args = (result.content, result.url, ctx.settings.min_article_chars, encoding, summary)
    try:
        return await ctx.pool.run_async(extract_page, *args)
    except WorkerTimeoutError as e:
        return page_signature(Extraction(ExtractStatus.ERROR, f"extraction {e}"), summary)
    except WorkerError as e:
        return page_signature(Extraction(ExtractStatus.ERROR, f"extraction failed: {e}"), summary)


@dataclass
class _WireIndex:
    """The wire-copy index kept between rounds: the ids it holds and when it was built."""

    index: NearDuplicateIndex[int]
    built: datetime
    since: datetime
    ids: set[int] = field(default_factory=set)


def _load_index(h: Herald) -> _WireIndex:
    """The recent originals' index, synchronised with the database: built on the first
    round, then kept and topped up; rebuilt every ``REBUILD_SHARE`` of the window so the
    space of articles that left it is given back."""
    now = h.clock.now()
    window = timedelta(hours=h.settings.cluster_window_hours)
    cached = h.caches.get(_CACHE_KEY)
    if not isinstance(cached, _WireIndex) or now - cached.built > window * REBUILD_SHARE:
        cached = _WireIndex(NearDuplicateIndex(), now, now - window)
        h.caches[_CACHE_KEY] = cached
    cached.since = now - window
    _sync(h, cached)
    return cached


def _sync(h: Herald, wire: _WireIndex) -> None:
    """Make the index hold exactly the database's recent originals (ids alone are compared;
    only the texts of missing ones are read)."""
    stored = set(h.store.recent_original_ids(wire.since))
    for gone in wire.ids - stored:
        wire.index.remove(gone)
    wire.ids &= stored
    missing = sorted(stored - wire.ids)
    for part in chunks(missing, SYNC_IDS):
        for article_id, body in h.store.article_bodies(part):
            wire.index.add(article_id, body)
            wire.ids.add(article_id)


def _update(
    article_id: int, page: ExtractedPage, wire: _WireIndex, report: ExtractReport
) -> ExtractionUpdate:
    report.pages += 1
    extraction = page.extraction
    ok = extraction.status is ExtractStatus.OK
    if ok:
        report.ok += 1
    else:
        report.failed += 1
    matches = wire.index.matches_signature(page.signature)
    duplicate_of = next((key for key, _ in matches if key != article_id), None)  # never itself
    if duplicate_of is not None:
        report.duplicates += 1
    else:
        wire.index.add_signature(article_id, page.signature)
        wire.ids.add(article_id)
    return ExtractionUpdate(
        article_id=article_id,
        status=extraction.status,
        reason=extraction.reason,
        text=extraction.text if ok else "",
        author=extraction.author,
        language=extraction.language,
        image_url=extraction.image_url,
        content_hash=page.fingerprint,
        duplicate_of=duplicate_of,
        kind=extraction.kind,
        section=extraction.section,
    )


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"'")
    return None
