"""Trafilatura's page metadata, computing only what Herald's own reading left open.

``trafilatura.bare_extraction(with_metadata=True)`` always runs htmldate's extensive date
search and a deep-copying author search; on news pages those two were 40% of extraction
time, and their answers were used only when the page's own metadata (``metadata.py``:
JSON-LD, meta tags, ``<time>``) had no date or author. This module runs trafilatura's same
metadata steps but skips the date search when Herald already has a date and the author
search when it already has an author, so results are unchanged and pages extract faster.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura import metadata as tm
from trafilatura.settings import set_date_params

__all__ = ["TrafilaturaMetadata", "trafilatura_metadata"]


@dataclass(frozen=True)
class TrafilaturaMetadata:
    """The metadata fields Herald uses from trafilatura, as plain strings ("" if absent)."""

    title: str = ""
    author: str = ""
    date: str = ""
    site_name: str = ""
    description: str = ""
    url: str = ""


def trafilatura_metadata(
    tree: HtmlElement, url: str, *, need_date: bool, need_author: bool
) -> TrafilaturaMetadata:
    """Trafilatura's metadata for ``tree`` (not modified); slow searches only when needed."""
    document = tm.examine_meta(tree)
    if document.author and " " not in document.author:
        document.author = None  # trafilatura's own rule: a single word is not a byline
    # trafilatura's JSON-LD reader can fail on odd data; its metadata is optional
    with contextlib.suppress(Exception):
        document = tm.extract_meta_json(tree, document)
    if not document.title:
        document.title = tm.extract_title(tree)
    if need_author and not document.author:
        document.author = tm.extract_author(tree)
    if not document.url:
        document.url = tm.extract_url(tree, url or None)
    if need_date:
        params: dict[str, Any] = {**set_date_params(True), "url": document.url}
        document.date = find_date(tree, **params)
    document.sitename = _site_name(tree, document.sitename, document.url)
    document.clean_and_trim()
    return TrafilaturaMetadata(
        title=_text(document.title),
        author=_text(document.author),
        date=_text(document.date),
        site_name=_text(document.sitename),
        description=_text(document.description),
        url=_text(document.url),
    )


def _site_name(tree: HtmlElement, found: str | None, url: str | None) -> str | None:
    name = found or tm.extract_sitename(tree)
    if name:
        name = name.lstrip("@")
        if name and "." not in name and not name[0].isupper():
            name = name.title()
        return name
    match = tm.META_URL.match(url) if url else None
    return match[1] if match else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
