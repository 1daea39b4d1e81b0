"""Quality measurement of article extraction on the two real test sets in shared/data/extraction.

* ``trafilatura_eval``: 990 annotated pages (``evaldata.json``, keyed by URL), each with
  strings the extracted text must contain (``with``) and must not (``without``); the HTML
  files are ``html/<file>.gz`` and not every entry has one. A chunk counts as found when its
  whitespace-normalised form is a substring of the whitespace-normalised text (trafilatura's
  own scorer, ``tests/eval_common.py``). We report the accuracy-style share
  ``(found with + absent without) / all chunks`` and trafilatura's figure, the F1 over
  ``with`` (true positives), ``without`` found (false positives) and ``with`` missing (false
  negatives); trafilatura pins its floors on that F1.
* ``readability_test_pages``: Mozilla Readability's cases (``source.html``, ``expected.html``);
  the scores are the bag-of-words token F1 and the bag-of-shingles F1 (4-word shingles, the
  measure of the article-extraction benchmarks) of the extracted text against the text of
  the expected HTML, averaged over pages whose expected text has tokens.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html

from herald.ingest.text import BLOCK_TAGS

Extractor = Callable[[bytes, str], str]
"""(page bytes, page URL) -> extracted text."""

_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+")
_BLOCK_TAGS = BLOCK_TAGS | {"br", "nav", "td", "th"}


@dataclass(frozen=True)
class EvalPage:
    """One annotated page of the trafilatura evaluation set."""

    url: str
    path: Path
    with_: tuple[str, ...]
    without: tuple[str, ...]


@dataclass(frozen=True)
class ChunkCounts:
    """Confusion counts over ``with``/``without`` chunks."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: ChunkCounts) -> ChunkCounts:
        return ChunkCounts(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        )

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / total if total else 0.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "accuracy": round(self.accuracy, 4),
            "f1": round(self.f1, 4),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
        }


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


# --------------------------------------------------------------------------- trafilatura set


def load_eval_pages(folder: Path, limit: int | None = None) -> tuple[list[EvalPage], int]:
    """The annotated pages whose HTML file exists, in evaldata order, and how many lack one."""
    data: dict[str, dict[str, Any]] = json.loads((folder / "evaldata.json").read_text("utf-8"))
    pages: list[EvalPage] = []
    missing = 0
    for url, item in data.items():
        path = folder / "html" / f"{item['file']}.gz"
        if not path.is_file():
            missing += 1
            continue
        pages.append(EvalPage(url, path, tuple(item["with"]), tuple(item["without"])))
    return pages[:limit] if limit is not None else pages, missing


def count_chunks(page: EvalPage, text: str) -> ChunkCounts:
    found = normalize(text)
    tp = sum(1 for chunk in page.with_ if found and normalize(chunk) in found)
    fp = sum(1 for chunk in page.without if found and normalize(chunk) in found)
    return ChunkCounts(tp, fp, len(page.with_) - tp, len(page.without) - fp)


def score_eval_pages(texts: Iterable[str], pages: Iterable[EvalPage]) -> ChunkCounts:
    total = ChunkCounts()
    for page, text in zip(pages, texts, strict=True):
        total += count_chunks(page, text)
    return total


def read_eval_page(page: EvalPage) -> bytes:
    return gzip.decompress(page.path.read_bytes())


# --------------------------------------------------------------------------- readability set


def readability_cases(folder: Path) -> list[Path]:
    """Case folders holding both a source and an expected page."""
    return sorted(
        case
        for case in folder.iterdir()
        if (case / "source.html").is_file() and (case / "expected.html").is_file()
    )


def expected_text(case: Path) -> str:
    """The text of a case's expected article HTML, a line break after each block element."""
    tree = lxml.html.document_fromstring((case / "expected.html").read_text("utf-8"))
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return str(tree.text_content())


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.lower()))


def token_f1(predicted: str, expected: str) -> float:
    """Bag-of-words F1 of two texts (lower-cased word tokens)."""
    return _bag_f1(tokens(predicted), tokens(expected))


SHINGLE_SIZE = 4


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """The bag of ``size``-word shingles of a text (lower-cased word tokens); a text shorter
    than ``size`` words is one shingle."""
    words = _TOKEN.findall(text.lower())
    if len(words) < size:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def shingle_f1(predicted: str, expected: str) -> float:
    """Bag-of-shingles F1 (4-word shingles), the article-extraction benchmark measure: it
    rewards getting the text in order and penalizes boilerplate and missing paragraphs."""
    return _bag_f1(shingles(predicted), shingles(expected))


def _bag_f1(guess: Counter[Any], gold: Counter[Any]) -> float:
    common = sum((guess & gold).values())
    if not common:
        return 0.0
    precision = common / sum(guess.values())
    recall = common / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


# --------------------------------------------------------------------------- running


def run_parallel(function: Callable[[Any], Any], jobs: list[Any], workers: int) -> Iterator[Any]:
    """function over jobs in order, in worker processes when workers > 1."""
    if workers <= 1:
        return map(function, jobs)
    pool = ProcessPoolExecutor(workers)
    try:
        return iter(list(pool.map(function, jobs, chunksize=4)))
    finally:
        pool.shutdown()


def herald_extract(html: bytes, url: str) -> tuple[str, str]:
    from herald.extract.html import extract_article

    extraction = extract_article(html, url)
    return extraction.text, extraction.status.value


def trafilatura_extract(html: bytes, url: str) -> tuple[str, str]:
    """Plain trafilatura defaults, as in trafilatura's own gate ("fallback" runner)."""
    return _trafilatura(html, fast=False)


def trafilatura_fast_extract(html: bytes, url: str) -> tuple[str, str]:
    """Plain trafilatura without its fallback extractors (its "fast" runner)."""
    return _trafilatura(html, fast=True)


def _trafilatura(html: bytes, fast: bool) -> tuple[str, str]:
    import trafilatura

    text = trafilatura.extract(
        html, fast=fast, include_comments=False, include_tables=True, include_formatting=False
    )
    return (text or "", "ok" if text else "none")


SYSTEMS: dict[str, Callable[[bytes, str], tuple[str, str]]] = {
    "trafilatura": trafilatura_extract,
    "trafilatura_fast": trafilatura_fast_extract,
    "herald": herald_extract,
}


def _safe(system: str, html: bytes, url: str) -> tuple[str, str]:
    try:
        return SYSTEMS[system](html, url)
    except Exception as e:  # a crash counts as a full miss, as in trafilatura's scorer
        return "", f"crash: {type(e).__name__}"


def _eval_job(job: tuple[str, EvalPage]) -> tuple[str, str]:
    system, page = job
    return _safe(system, read_eval_page(page), page.url)


def _readability_job(job: tuple[str, Path]) -> tuple[str, str]:
    system, case = job
    return _safe(system, (case / "source.html").read_bytes(), "")


def evaluate_trafilatura_set(
    folder: Path, systems: list[str], limit: int | None = None, workers: int = 1
) -> dict[str, Any]:
    """Chunk scores of each system on the annotated pages (the first ``limit`` ones)."""
    pages, missing = load_eval_pages(folder, limit)
    report: dict[str, Any] = {"pages": len(pages), "entries_without_file": missing}
    for system in systems:
        results = list(run_parallel(_eval_job, [(system, page) for page in pages], workers))
        scores = score_eval_pages((text for text, _ in results), pages).as_dict()
        report[system] = {**scores, "statuses": dict(Counter(s for _, s in results))}
    return report


def evaluate_readability_set(folder: Path, systems: list[str], workers: int = 1) -> dict[str, Any]:
    """Mean token F1 and bag-of-shingles F1 of each system against the expected text."""
    cases = [case for case in readability_cases(folder) if tokens(expected_text(case))]
    golds = [expected_text(case) for case in cases]
    report: dict[str, Any] = {"pages": len(cases)}
    for system in systems:
        results = list(run_parallel(_readability_job, [(system, c) for c in cases], workers))
        pairs = list(zip((text for text, _ in results), golds, strict=True))
        scores = [token_f1(text, gold) for text, gold in pairs]
        shingle_scores = [shingle_f1(text, gold) for text, gold in pairs]
        report[system] = {
            "token_f1": round(sum(scores) / len(scores), 4) if scores else 0.0,
            "shingle_f1": (
                round(sum(shingle_scores) / len(shingle_scores), 4) if shingle_scores else 0.0
            ),
            "statuses": dict(Counter(s for _, s in results)),
        }
    return report
