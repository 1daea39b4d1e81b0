"""HTML -> article text and metadata, with an explicit status on failure; wire-copy detection.

Public API::

    extract_article(html, url="", min_chars=200, encoding=None) -> Extraction
    extract_files(paths) -> {name: {title, text, author, published, language, status}}
    fingerprint(text) -> str                 64-bit SimHash over word 5-shingles, hex
    shingle_similarity(a, b) -> float        Jaccard over word 5-shingles
    NearDuplicateIndex().add(key, text) / .find(text, threshold=0.8) -> key | None
"""

from __future__ import annotations

from herald.extract.cli_json import extract_files
from herald.extract.dedupe import (
    NearDuplicateIndex,
    fingerprint,
    hamming_distance,
    shingle_similarity,
)
from herald.extract.html import extract_article

__all__ = [
    "NearDuplicateIndex",
    "extract_article",
    "extract_files",
    "fingerprint",
    "hamming_distance",
    "shingle_similarity",
]
