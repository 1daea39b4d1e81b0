"""Trafilatura's rewritten XPath expressions select exactly what the originals select."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import trafilatura.metadata
from lxml import etree

import herald.extract.html  # noqa: F401  (installs the rewrite, as every extraction does)
from herald.extract.html import parse_html
from herald.extract.xpaths import REGEXP_NS, guarded, install, rewritten

PAGES_PER_SET = 40


def test_a_test_that_needs_a_character_is_guarded_by_the_attribute() -> None:
    path = "//*[re:test(@class, 'author|byline') or re:test(@id|@class, '^comment[s-]')]"
    assert guarded(path) == (
        "//*[(@class and re:test(@class, 'author|byline')) or "
        "(@id|@class and re:test(@id|@class, '^comment[s-]'))]"
    )
    assert guarded("//*[re:test(@class, 'cookie', 'i')]") == (
        "//*[(@class and re:test(@class, 'cookie', 'i'))]"
    )


@pytest.mark.parametrize(
    "path",
    [
        "//*[re:test(@class, 'x?')]",  # matches "": an element without a class passes
        "//*[re:test(@class, '^|foo')]",
        "//*[re:test(@class, 'foo', 'x')]",  # flags other than i are left alone
        "//*[re:test(@class, '(unclosed')]",  # not a pattern Python compiles
        "//*[re:test(text(), 'foo')]",  # only attribute tests are rewritten
        "//*[contains(@class, 'foo')]",
    ],
)
def test_other_tests_are_left_as_they_are(path: str) -> None:
    assert guarded(path) == path


def test_guarded_expressions_select_the_same_elements_on_edge_cases() -> None:
    document = etree.fromstring(
        "<html><body><div class='byline'>a</div><div>b</div><div id='x' class='author'>c</div>"
        "<div class='' id='comments'>d</div><span id='comments' class='other'>e</span>"
        "<p class='Byline'>f</p></body></html>"
    )
    for path in (
        "//*[re:test(@class, 'author|byline')]",
        "//*[re:test(@id|@class, '^comment[s-]')]",  # the first attribute in document order
        "//*[re:test(@class, 'byline', 'i')]",
        "//*[not(re:test(@class, 'author'))]",
        "//*[re:test(@class, 'x?')]",
    ):
        original = etree.XPath(path, namespaces={"re": REGEXP_NS})
        faster = etree.XPath(guarded(path), namespaces={"re": REGEXP_NS})
        assert faster(document) == original(document), path


def test_install_rewrites_trafilaturas_expressions_once() -> None:
    pairs = rewritten()
    assert len(pairs) >= 15  # trafilatura 2.3 has 21 such expressions
    assert install() == len(pairs)  # already done: nothing changes
    news = {id(new) for _, new in pairs}
    assert all(id(x) in news or "re:test" not in x.path for x in trafilatura.metadata.AUTHOR_XPATHS)
    for original, new in pairs:
        assert new.path == guarded(original.path) != original.path


def _real_pages(shared_data: Path) -> list[bytes]:
    extraction = shared_data / "extraction"
    folders = (extraction / "readability_test_pages").iterdir()
    readability = sorted(f for f in folders if (f / "source.html").is_file())[:PAGES_PER_SET]
    evaluation = sorted((extraction / "trafilatura_eval" / "html").glob("*.gz"))
    pages = [(folder / "source.html").read_bytes() for folder in readability]
    pages += [gzip.decompress(p.read_bytes()) for p in evaluation[::20][:PAGES_PER_SET]]
    return pages


def test_rewritten_expressions_select_the_same_elements_on_real_pages(shared_data: Path) -> None:
    pairs = rewritten()
    pages = _real_pages(shared_data)
    assert len(pages) == 2 * PAGES_PER_SET
    selected = 0
    for page in pages:
        tree = parse_html(page)
        for original, new in pairs:
            found = original(tree)
            assert new(tree) == found, original.path
            selected += len(found)
    assert selected > 100  # the expressions do select things on these pages
