"""One fetched page, all the CPU work the extract step needs: the job its workers run.

Extraction, the body's SimHash fingerprint and its MinHash signature for the wire-copy
index are computed together in the worker process, from one set of shingle hashes, so the
main process only fetches, looks signatures up and stores.
"""

from __future__ import annotations

from dataclasses import dataclass

from herald.extract.dedupe import NearDuplicateIndex, Signature, fingerprint_of, shingle_hashes
from herald.extract.html import extract_article
from herald.types import Extraction, ExtractStatus

__all__ = ["ExtractedPage", "extract_page", "page_signature"]

_INDEX_SHAPE: NearDuplicateIndex[int] = NearDuplicateIndex()


@dataclass(frozen=True)
class ExtractedPage:
    """An extraction plus the fingerprint and signature of its body ("" / None: no words)."""

    extraction: Extraction
    fingerprint: str
    signature: Signature | None


def extract_page(
    content: bytes, url: str, min_chars: int, encoding: str | None, summary: str
) -> ExtractedPage:
    """Extract the page; its body is the extracted text if usable, else the feed summary.

    The page's publication time is not searched for in its text, since the step does not
    store it, and its author is the one its metadata names, without the slower search of
    its markup for a byline (see ``extract_article``): stored authors are shown nowhere."""
    extraction = extract_article(
        content,
        url,
        min_chars=min_chars,
        encoding=encoding,
        search_date=False,
        search_author=False,
    )
    return page_signature(extraction, summary)


def page_signature(extraction: Extraction, summary: str) -> ExtractedPage:
    """An extraction (possibly a failed fetch) with the fingerprint of its body."""
    body = extraction.text if extraction.status is ExtractStatus.OK else ""
    body = body or summary
    hashes = shingle_hashes(body)
    return ExtractedPage(
        extraction=extraction,
        fingerprint=fingerprint_of(hashes) if body else "",
        signature=_INDEX_SHAPE.signature_of(hashes),
    )
