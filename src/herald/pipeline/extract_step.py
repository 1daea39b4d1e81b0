"""Extract step: fetch pending article pages, extract their text, link wire copies."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from herald.app import Herald
from herald.exceptions import BlockedError, HeraldError, WorkerError, WorkerTimeoutError
from herald.extract.dedupe import NearDuplicateIndex
from herald.extract.page import ExtractedPage, extract_page, page_signature
from herald.ingest.fetch import Fetcher
from herald.pipeline.progress import NoProgress, Progress
from herald.store.store import ExtractionUpdate
from herald.types import Extraction, ExtractStatus
from herald.workers import WorkerPool

BATCH = 100
REBUILD_SHARE = 0.25
_CACHE_KEY = "extract.wire_index"
IN_FLIGHT_PER_CONNECTION = 2


@dataclass
class ExtractReport:
    """What one extract round did."""

    pages: int = 0
    ok: int = 0
    failed: int = 0
    duplicates: int = 0


def extract(h: Herald, progress: Progress | None = None) -> ExtractReport:
    """Extract every pending article, in batches, until none is left."""
    return asyncio.run(extract_async(h, progress or NoProgress()))


async def extract_async(h: Herald, progress: Progress) -> ExtractReport:
    """Fetch and extract pending pages; extraction runs in worker processes (``workers``),
    each page under the ``work_timeout`` limit, while the event loop keeps fetching.

    Pages are in flight continuously (at most ``IN_FLIGHT_PER_CONNECTION`` per allowed
    connection); results are stored in the order of the pending list, ``BATCH`` at a time,
    so the near-duplicate check always sees the earlier article first and a killed round
    leaves only unsaved pages pending."""
    report = ExtractReport()
    index = _load_index(h)
    pending = h.store.pending_extractions(limit=100_000)
    progress.start("Extracting articles", len(pending))
    results: list[ExtractedPage | None] = [None] * len(pending)
    saved = 0

    def save_ready(final: bool) -> None:
        nonlocal saved
        ready = saved
        while ready < len(pending) and results[ready] is not None:
            ready += 1
        if ready - saved < BATCH and not (final and ready > saved):
            return
        updates = [
            _update(aid, page, index, report)
            for (aid, _, _), page in zip(pending[saved:ready], results[saved:ready], strict=True)
            if page is not None
        ]
        h.store.save_extractions(updates)
        progress.advance(ready - saved)
        saved = ready

    todo = iter(enumerate(pending))  # shared by the lanes below
    lanes = min(len(pending), max(1, h.settings.total_concurrency) * IN_FLIGHT_PER_CONNECTION)
    async with Fetcher(h.settings) as fetcher:

        async def lane() -> None:
            for i, (_, url, summary) in todo:
                results[i] = await _fetch_extract(h, fetcher, h.pool, url, summary)
                save_ready(final=False)

        await asyncio.gather(*(lane() for _ in range(lanes)))
    save_ready(final=True)
    progress.finish()
    return report


async def _fetch_extract(
    h: Herald, fetcher: Fetcher, pool: WorkerPool, url: str, summary: str
) -> ExtractedPage:
    """One page fetched and extracted; every failure is an extraction with a reason."""
    try:
        result = await fetcher.fetch(url)
    except BlockedError as e:
        return page_signature(Extraction(ExtractStatus.BLOCKED, str(e)), summary)
    except HeraldError as e:
        return page_signature(Extraction(ExtractStatus.ERROR, str(e)), summary)
    encoding = _charset(result.headers.get("content-type", ""))
    args = (result.content, result.url, h.settings.min_article_chars, encoding, summary)
    try:
        return await pool.run_async(extract_page, *args)
    except WorkerTimeoutError as e:
        return page_signature(Extraction(ExtractStatus.ERROR, f"extraction {e}"), summary)
    except WorkerError as e:
        return page_signature(Extraction(ExtractStatus.ERROR, f"extraction failed: {e}"), summary)


@dataclass
class _WireIndex:
    """The wire-copy index kept between rounds, and how far into the articles it has read."""

    index: NearDuplicateIndex[int]
    last_id: int
    built: datetime


def _load_index(h: Herald) -> NearDuplicateIndex[int]:
    """The recent originals' index: built from storage on the first round, then topped up
    with originals whose id is above the last one read (pages this process extracts are
    added as it goes); rebuilt every ``REBUILD_SHARE`` of the window, so old articles leave
    it and anything another process extracted out of id order is read."""
    now = h.clock.now()
    window = timedelta(hours=h.settings.cluster_window_hours)
    cached = h.caches.get(_CACHE_KEY)
    if not isinstance(cached, _WireIndex) or now - cached.built > window * REBUILD_SHARE:
        cached = _WireIndex(NearDuplicateIndex(), 0, now)
        h.caches[_CACHE_KEY] = cached
    for article_id, body in h.store.recent_originals(now - window, after_id=cached.last_id):
        if article_id not in cached.index:
            cached.index.add(article_id, body)
        cached.last_id = article_id
    return cached.index


def _update(
    article_id: int,
    page: ExtractedPage,
    index: NearDuplicateIndex[int],
    report: ExtractReport,
) -> ExtractionUpdate:
    report.pages += 1
    extraction = page.extraction
    ok = extraction.status is ExtractStatus.OK
    if ok:
        report.ok += 1
    else:
        report.failed += 1
    duplicate_of = index.find_signature(page.signature)
    if duplicate_of is not None:
        report.duplicates += 1
    else:
        index.add_signature(article_id, page.signature)
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
    )


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"'")
    return None
