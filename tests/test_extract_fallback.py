"""Trafilatura's Readability comparison is skipped on clearly good extractions, and only there."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import trafilatura
import trafilatura.external

from herald.extract import extract_article
from herald.extract.fallback import clearly_good_skips_comparison, installed

ARTICLE = "<html><body><article><h1>Title</h1>{}</article><nav>{}</nav></body></html>"


def _page(paragraphs: int) -> str:
    body = "".join(
        f"<p>Paragraph {i} of a real-looking article about the council budget vote.</p>"
        for i in range(paragraphs)
    )
    return ARTICLE.format(body, "<a href='/a'>Home</a> <a href='/b'>News</a>")


@pytest.fixture
def readability_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts calls of trafilatura's Readability fallback (it is still run, unchanged)."""
    calls: list[int] = []
    original = trafilatura.external.try_readability

    def counted(tree: object) -> object:
        calls.append(1)
        return original(tree)

    monkeypatch.setattr(trafilatura.external, "try_readability", counted)
    return calls


def test_this_trafilatura_has_the_step() -> None:
    assert installed()


def test_clearly_good_extraction_skips_readability(readability_calls: list[int]) -> None:
    result = extract_article(_page(12), "https://example.com/news/budget")
    assert result.status.value == "ok"
    assert "Paragraph 11" in result.text
    assert readability_calls == []


def test_short_extraction_still_gets_readability(readability_calls: list[int]) -> None:
    extract_article(_page(1), "https://example.com/news/budget")
    assert readability_calls  # under trafilatura's minimum size: the comparison runs


def test_plain_trafilatura_is_unchanged_outside_herald(readability_calls: list[int]) -> None:
    trafilatura.extract(_page(12))
    assert len(readability_calls) == 1
    with clearly_good_skips_comparison():
        trafilatura.extract(_page(12))
    assert len(readability_calls) == 1  # inside the block: skipped
    trafilatura.extract(_page(12))
    assert len(readability_calls) == 2  # the block ended: plain trafilatura again


def test_real_pages_mostly_skip_it(shared_data: Path, readability_calls: list[int]) -> None:
    """On real news pages most of trafilatura's own extractions are clearly good."""
    folder = shared_data / "extraction" / "trafilatura_eval" / "html"
    pages = sorted(folder.glob("*.html.gz"))[:40]
    results = [extract_article(gzip.decompress(p.read_bytes())) for p in pages]
    assert sum(r.status.value == "ok" for r in results) >= 35
    assert len(readability_calls) < len(pages) / 3
