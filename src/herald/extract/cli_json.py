"""The data behind ``herald extract FILE... --json``: saved pages in, one JSON object per page.

Only ``.html`` and ``.html.gz`` files are read (case-insensitive); other paths are skipped.
Each page is keyed by its file name without those extensions
(``pages/example.com.story.html.gz`` -> ``example.com.story``); a later path with the same
name replaces an earlier one.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from herald.exceptions import WorkerError, WorkerTimeoutError
from herald.extract.decode import MAX_INPUT_BYTES
from herald.extract.html import extract_article
from herald.types import Extraction, ExtractStatus
from herald.workers import WorkerPool

SUFFIXES = (".html.gz", ".html")


def extract_files(
    paths: Sequence[Path], min_chars: int = 200, pool: WorkerPool | None = None
) -> dict[str, dict[str, Any]]:
    """{name: {title, text, author, published (ISO 8601 UTC or None), language, status}}.

    With a ``pool``, pages are extracted in its worker processes, each under its time limit
    (a page that runs past it is an ``error`` with the reason)."""
    named = [(name, path) for path in paths if (name := page_name(path)) is not None]
    if pool is None or pool.size == 0:
        extractions = [_extract_file(path, min_chars) for _, path in named]
    else:
        with ThreadPoolExecutor(pool.size) as threads:
            extractions = list(
                threads.map(lambda p: _in_pool(pool, p, min_chars), [p for _, p in named])
            )
    results: dict[str, dict[str, Any]] = {}
    for (name, _), extraction in zip(named, extractions, strict=True):
        results[name] = as_json(extraction)
    return results


def _in_pool(pool: WorkerPool, path: Path, min_chars: int) -> Extraction:
    try:
        return pool.run(_extract_file, path, min_chars)
    except WorkerTimeoutError as e:
        return Extraction(ExtractStatus.ERROR, f"extraction {e}")
    except WorkerError as e:
        return Extraction(ExtractStatus.ERROR, f"extraction failed: {e}")


def page_name(path: Path) -> str | None:
    """The file name without ``.html``/``.html.gz``, or None for any other file."""
    lowered = path.name.lower()
    for suffix in SUFFIXES:
        if lowered.endswith(suffix) and len(lowered) > len(suffix):
            return path.name[: -len(suffix)]
    return None


def as_json(extraction: Extraction) -> dict[str, Any]:
    """The JSON fields of one extraction."""
    published = extraction.published
    return {
        "title": extraction.title,
        "text": extraction.text,
        "author": extraction.author,
        "published": published.isoformat().replace("+00:00", "Z") if published else None,
        "language": extraction.language,
        "status": extraction.status.value,
    }


def _extract_file(path: Path, min_chars: int) -> Extraction:
    try:
        content = _read(path)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        return Extraction(ExtractStatus.ERROR, f"cannot read {path.name}: {e}")
    return extract_article(content, min_chars=min_chars)


def _read(path: Path) -> bytes:
    """At most MAX_INPUT_BYTES + 1 bytes of the (decompressed) page."""
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            return stream.read(MAX_INPUT_BYTES + 1)
    with path.open("rb") as stream:
        return stream.read(MAX_INPUT_BYTES + 1)
