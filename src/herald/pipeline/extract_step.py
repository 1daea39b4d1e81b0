"""Extract step: fetch pending article pages, extract their text, link wire copies."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from herald.app import Herald
from herald.exceptions import BlockedError, HeraldError
from herald.extract.dedupe import NearDuplicateIndex, fingerprint
from herald.extract.html import extract_article
from herald.ingest.fetch import Fetcher
from herald.pipeline.progress import NoProgress, Progress
from herald.store.store import ExtractionUpdate
from herald.types import Extraction, ExtractStatus, FetchResult

BATCH = 200


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
    report = ExtractReport()
    index = _load_index(h)
    pending = h.store.pending_extractions(limit=100_000)
    progress.start("Extracting articles", len(pending))
    async with Fetcher(h.settings) as fetcher:
        for start in range(0, len(pending), BATCH):
            batch = pending[start : start + BATCH]
            results = await fetcher.fetch_many([url for _, url, _ in batch])
            updates = [
                _update(h, aid, summary, res, index, report)
                for (aid, _, summary), res in zip(batch, results, strict=True)
            ]
            h.store.save_extractions(updates)
            progress.advance(len(batch))
    progress.finish()
    return report


def _load_index(h: Herald) -> NearDuplicateIndex[int]:
    index: NearDuplicateIndex[int] = NearDuplicateIndex()
    since = h.clock.now() - timedelta(hours=h.settings.cluster_window_hours)
    for article_id, body in h.store.recent_originals(since):
        index.add(article_id, body)
    return index


def _update(
    h: Herald,
    article_id: int,
    summary: str,
    result: FetchResult | HeraldError,
    index: NearDuplicateIndex[int],
    report: ExtractReport,
) -> ExtractionUpdate:
    report.pages += 1
    extraction = _extraction(h, result)
    text = extraction.text if extraction.status is ExtractStatus.OK else ""
    if extraction.status is ExtractStatus.OK:
        report.ok += 1
    else:
        report.failed += 1
    body = text or summary
    fp = fingerprint(body) if body else ""
    duplicate_of = index.find(body) if body else None
    if duplicate_of is not None:
        report.duplicates += 1
    elif body:
        index.add(article_id, body)
    return ExtractionUpdate(
        article_id=article_id,
        status=extraction.status,
        reason=extraction.reason,
        text=text,
        author=extraction.author,
        language=extraction.language,
        image_url=extraction.image_url,
        content_hash=fp,
        duplicate_of=duplicate_of,
    )


def _extraction(h: Herald, result: FetchResult | HeraldError) -> Extraction:
    if isinstance(result, BlockedError):
        return Extraction(ExtractStatus.BLOCKED, str(result))
    if isinstance(result, HeraldError):
        return Extraction(ExtractStatus.ERROR, str(result))
    encoding = _charset(result.headers.get("content-type", ""))
    return extract_article(
        result.content, result.url, min_chars=h.settings.min_article_chars, encoding=encoding
    )


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"'")
    return None
