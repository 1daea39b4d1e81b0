"""HTML page -> article text and metadata, with an explicit status and reason.

``extract_article`` is a pure function: bytes in, an ``Extraction`` out, never an exception
for bad input. Trafilatura (balanced mode, comments excluded, tables kept; its Readability
comparison skipped when its own text is clearly good, see ``fallback.py``; its XPath
expressions rewritten to skip needless regular-expression callbacks, same answers, see
``xpaths.py``) finds the main text; Herald then drops link blocks and closing
boilerplate, restores a dropped lede (see ``body.py``), reads the canonical URL, lead image,
language and publication time from the page's own metadata, and decides the status:

* ``error``: the input is empty, binary, not HTML, or the extractor failed on it;
* ``not_article``: no main content, or the page is a front page or listing (its structured
  data says so, or most of its main text is link text); the text is left empty;
* ``too_short``: fewer than ``min_chars`` characters of text (the text is kept);
* ``ok``: otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from herald.cluster.sections import label_topic
from herald.exceptions import ExtractionError
from herald.extract.body import (
    anchor_share,
    body_paragraphs,
    drop_link_blocks,
    drop_trailer,
    link_share,
    normalize_space,
    visible_text,
    with_lede,
)
from herald.extract.decode import decode_html
from herald.extract.fallback import clearly_good_skips_comparison
from herald.extract.kind import article_kind
from herald.extract.metadata import PageMetadata, parse_datetime, read_metadata
from herald.extract.trafmeta import TrafilaturaMetadata, trafilatura_metadata
from herald.extract.xpaths import install as install_faster_xpaths
from herald.types import Extraction, ExtractStatus

__all__ = [
    "LISTING_LINK_SHARE",
    "choose_title",
    "clean_title",
    "extract_article",
    "parse_html",
    "warm_up",
]

LISTING_LINK_SHARE = 0.6
"""A body with at least this share of its characters in link text is a listing (on the
trafilatura and Readability test pages, articles stay below 0.4)."""

MAX_ELEMENTS = 100_000
"""Pages with more elements are refused (extraction time grows with the element count)."""
MAX_TAG_CHARS = 20_000
"""Start tags longer than this lose their attributes before parsing (libxml2 checks
attributes pairwise, so a tag with 50,000 attributes takes seconds to parse)."""
_FASTER_XPATHS = install_faster_xpaths()  # same answers, fewer callbacks: see xpaths.py
_HUGE_TAG = re.compile(rf"<([A-Za-z][\w:-]*)\s[^<>]{{{MAX_TAG_CHARS},}}>")
_TITLE_SEPARATORS = re.compile(r"(\s+(?:\||-|–|—|::|·|»|_|/)\s+)")


@dataclass(frozen=True)
class _Found:
    """What trafilatura returned, reduced to plain values."""

    title: str
    author: str
    date: str
    site_name: str
    description: str
    body: etree._Element | None


_NOTHING = _Found("", "", "", "", "", None)


def extract_article(
    html: bytes | str,
    url: str = "",
    min_chars: int = 200,
    encoding: str | None = None,
    *,
    search_date: bool = True,
    search_author: bool = True,
) -> Extraction:
    """Extract the article of one page; ``encoding`` is the HTTP charset hint, if any.

    ``search_date=False`` skips htmldate's search of the page text for a publication date
    when the page's own metadata states none (about 7 ms, an eighth of extraction time, on
    such pages): ``published`` is then only what the metadata says. The extract step passes
    it, since it stores no publication time from the page (the feed entry's time is kept).

    ``search_author=False`` likewise skips trafilatura's search of the page's markup for a
    byline (a copy of the whole page pruned and searched with three XPath expressions,
    about 12 ms on pages whose metadata names no author, a sixth of extraction time on the
    bench's pages): ``author`` is then what the page's metadata (JSON-LD, meta tags) says.

    Never raises for bad input: a page that cannot be read is an ``error`` extraction.
    """
    try:
        return _extract(parse_html(html, encoding), url, min_chars, search_date, search_author)
    except ExtractionError as e:
        return Extraction(ExtractStatus.ERROR, str(e))
    except Exception as e:  # third-party code on hostile input: a failure is data
        return Extraction(ExtractStatus.ERROR, f"extraction failed: {type(e).__name__}: {e}")


def _extract(
    tree: HtmlElement, url: str, min_chars: int, search_date: bool, search_author: bool
) -> Extraction:
    metadata = read_metadata(tree, url)
    extra = trafilatura_metadata(
        tree,
        url,
        need_date=search_date and metadata.published is None,
        need_author=search_author and not metadata.author,
    )
    found = _run_trafilatura(tree, url or extra.url, extra)
    return _decide(tree, url, metadata, found, min_chars)


_WARM_PAGE = (
    "<html lang='en'><head><title>Warm-up | Herald</title></head><body><article>"
    "<h1>Warm-up</h1><p>Published on March 3rd, 2014 by Herald.</p>"
    + "<p>This page only loads the extractor's modules and caches before real work.</p>" * 5
    + "</article></body></html>"
)


def warm_up() -> None:
    """Load the extractor's modules and lazy caches (run once in each worker process)."""
    extract_article(_WARM_PAGE, "https://example.com/2014/03/03/warm-up")


def parse_html(html: bytes | str, encoding: str | None = None) -> HtmlElement:
    """Decode and parse a page, or raise ExtractionError."""
    text = _HUGE_TAG.sub(r"<\1>", decode_html(html, encoding).text)
    tree = _load(text)
    if tree is None:  # a fragment: trafilatura wants a whole document
        tree = _load(f"<html><body>{text}</body></html>")
    if tree is None:
        raise ExtractionError("the HTML parser found no document")
    elements = int(tree.xpath("count(//*)"))
    if elements > MAX_ELEMENTS:
        raise ExtractionError(f"page too large: {elements} elements (limit {MAX_ELEMENTS})")
    return tree


def _load(text: str) -> HtmlElement | None:
    try:
        tree = trafilatura.load_html(text)
    except (ValueError, TypeError, etree.LxmlError) as e:
        raise ExtractionError(f"malformed HTML: {e}") from e
    return tree if isinstance(tree, HtmlElement) else None


def _run_trafilatura(tree: HtmlElement, url: str, extra: TrafilaturaMetadata) -> _Found:
    with clearly_good_skips_comparison():  # see herald.extract.fallback
        document = trafilatura.bare_extraction(
            tree,
            url=url or None,
            include_comments=False,
            include_tables=True,
            include_links=True,
            include_formatting=False,
            with_metadata=False,
        )
    if document is None:
        return _NOTHING
    return _Found(
        title=normalize_space(extra.title),
        author=normalize_space(extra.author),
        date=normalize_space(extra.date),
        site_name=normalize_space(extra.site_name),
        description=normalize_space(extra.description),
        body=getattr(document, "body", None),
    )


def _decide(
    tree: HtmlElement, url: str, metadata: PageMetadata, found: _Found, min_chars: int
) -> Extraction:
    base = _with_metadata(Extraction(ExtractStatus.OK, ""), metadata, found, url)
    body = found.body
    not_article = _page_kind_reason(url, metadata, body)
    if not_article or body is None:
        return replace(base, status=ExtractStatus.NOT_ARTICLE, reason=not_article)
    share = link_share(body)
    drop_link_blocks(body)
    paragraphs = body_paragraphs(body)
    share = max(share, anchor_share(tree, paragraphs))
    if share >= LISTING_LINK_SHARE:
        reason = f"{share:.0%} of the main text is link text: a listing, not an article"
        return replace(base, status=ExtractStatus.NOT_ARTICLE, reason=reason)
    description = found.description or metadata.description
    paragraphs = with_lede(drop_trailer(paragraphs), description, lambda: visible_text(tree))
    text = "\n\n".join(paragraphs)
    if len(text) < min_chars:
        reason = f"text has {len(text)} characters, fewer than {min_chars}"
        return replace(base, status=ExtractStatus.TOO_SHORT, reason=reason, text=text)
    return replace(base, reason=f"extracted {len(text)} characters", text=text)


def _page_kind_reason(url: str, metadata: PageMetadata, body: etree._Element | None) -> str:
    """Why the page is not an article, judged before looking at its text; "" if it may be."""
    if body is None or not normalize_space("".join(body.itertext())):
        return "no main content found"
    if metadata.says_listing:
        kinds = ", ".join(sorted(metadata.types))
        return f"the page describes itself as a listing ({kinds})"
    if url and not metadata.says_article and _is_front_page(url):
        return "the page is a site's front page"
    return ""


def _is_front_page(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.path in ("", "/") and not parts.query


def _with_metadata(
    extraction: Extraction, metadata: PageMetadata, found: _Found, url: str
) -> Extraction:
    title = choose_title(found.title, metadata.headlines)
    author = metadata.author or found.author
    return replace(
        extraction,
        title=clean_title(title, found.site_name or metadata.site_name, url, author),
        author=author,
        published=metadata.published or parse_datetime(found.date),
        language=metadata.language,
        canonical_url=metadata.canonical_url,
        image_url=metadata.image_url,
        kind=article_kind(
            urls=(url, metadata.canonical_url),
            title=title,
            labels=metadata.labels,
            types=metadata.types,
        ),
        section=label_topic(metadata.labels),
    )


def choose_title(extracted: str, headlines: tuple[str, ...]) -> str:
    """Trafilatura's title when the page's metadata backs it, else the best metadata headline.

    Trafilatura sometimes takes a section heading ("Aktuelles", "Hi, I'm Nicolas.") for the
    title; a title found inside a metadata headline is kept since it is usually the cleaner.
    """
    if extracted and (not headlines or any(_fold(extracted) in _fold(h) for h in headlines)):
        return extracted
    return headlines[0] if headlines else extracted


def clean_title(title: str, site_name: str = "", url: str = "", author: str = "") -> str:
    """The title without a leading or trailing segment naming the site or the author
    ("Story | Site")."""
    pieces = _TITLE_SEPARATORS.split(title)  # parts at even indexes, separators at odd ones
    names = {n for n in (_fold(site_name), _fold(_host_label(url)), _fold(author)) if len(n) > 2}
    if len(pieces) < 3 or not names:
        return title
    if _names_site(pieces[-1], names):
        return "".join(pieces[:-2]).strip()
    if _names_site(pieces[0], names):
        return "".join(pieces[2:]).strip()
    return title


def _names_site(segment: str, names: set[str]) -> bool:
    folded = _fold(segment)
    if len(folded) < 3:
        return False
    return any(folded == name or folded in name or name in folded for name in names)


def _host_label(url: str) -> str:
    """The registrable-ish name of a host: "www.nytimes.com" -> "nytimes"."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp")]
    return labels[-2] if len(labels) >= 2 else ""


def _fold(text: str) -> str:
    """Lower-case letters and digits only, accents removed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())
