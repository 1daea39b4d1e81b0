"""OPML subscription lists in and out.

Reading accepts what feed readers export: nested folder outlines (the folder path becomes the
category, joined with ``/``), ``xmlUrl``, ``htmlUrl``, ``text``/``title``, ``language`` and
``category`` attributes. Writing groups sources into one folder per category and keeps
Herald's own fields in ``herald*`` attributes (``heraldOutlet``, ``heraldCountry``,
``heraldFetchPages``), so that ``read_opml(write_opml(specs)) == specs``.

Parsing is safe against hostile files: no DTDs, no entity expansion, no network access.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from lxml import etree

from herald.exceptions import SourceError
from herald.types import Source, SourceSpec

__all__ = ["read_opml", "write_opml"]

MAX_OPML_BYTES = 20_000_000
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_DOCTYPE_REFUSED = "OPML files with a DOCTYPE are refused (their entities are unsafe)"
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def read_opml(content: bytes) -> list[SourceSpec]:
    """The feeds listed in an OPML document, in document order, each URL once.

    Raises :class:`SourceError` when the document is not OPML or is unsafe (has a DTD).
    """
    root = _parse(content)
    body = root.find("body")
    if body is None:
        raise SourceError("not an OPML file: it has no <body>")
    specs: dict[str, SourceSpec] = {}
    for outline, folders in _feed_outlines(body, ()):
        spec = _spec(outline, folders)
        specs.setdefault(spec.url, spec)
    return list(specs.values())


def _parse(content: bytes) -> Any:
    if len(content) > MAX_OPML_BYTES:
        raise SourceError(f"OPML file too large (more than {MAX_OPML_BYTES:,} bytes)")
    if _DOCTYPE.search(content):
        raise SourceError(_DOCTYPE_REFUSED)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        tree = etree.ElementTree(etree.fromstring(content.lstrip(), parser=parser))
    except (etree.XMLSyntaxError, ValueError) as e:
        raise SourceError(f"not an OPML file: invalid XML ({e})") from e
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise SourceError(_DOCTYPE_REFUSED)
    root = tree.getroot()
    if not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        raise SourceError(f"not an OPML file: the root element is <{root.tag}>")
    return root


def _feed_outlines(parent: Any, folders: tuple[str, ...]) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """(outline, folder path) for every outline with an ``xmlUrl``, depth first."""
    for outline in parent.iterchildren("outline"):
        if _attr(outline, "xmlUrl", "xmlurl"):
            yield outline, folders
            continue
        name = _attr(outline, "text", "title")
        yield from _feed_outlines(outline, (*folders, name) if name else folders)


def _spec(outline: Any, folders: tuple[str, ...]) -> SourceSpec:
    title = outline.get("title")
    return SourceSpec(
        url=_attr(outline, "xmlUrl", "xmlurl"),
        title=(title if title is not None else _attr(outline, "text")).strip(),
        outlet=_attr(outline, "heraldOutlet"),
        site_url=_attr(outline, "htmlUrl", "htmlurl"),
        country=_attr(outline, "heraldCountry"),
        language=_attr(outline, "language", "heraldLanguage"),
        category=_category(outline, folders),
        fetch_pages=_flag(_attr(outline, "heraldFetchPages"), default=True),
    )


def _attr(element: Any, *names: str) -> str:
    for name in names:
        value = element.get(name)
        if value is not None and value.strip():
            return str(value).strip()
    return ""


def _category(outline: Any, folders: tuple[str, ...]) -> str:
    if folders:
        return "/".join(folders)
    first = _attr(outline, "category").split(",")[0].strip()
    return first.strip("/")


def _flag(value: str, *, default: bool) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    return default


# --------------------------------------------------------------------------- writing


def write_opml(
    sources: Sequence[Source] | Sequence[SourceSpec], title: str = "Herald sources"
) -> bytes:
    """An OPML 2.0 document listing ``sources``, grouped in one folder per category."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    folders: dict[str, Any] = {}
    for source in sources:
        parent = _folder(body, folders, source.category)
        etree.SubElement(parent, "outline", _attributes(source))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _folder(body: Any, folders: dict[str, Any], category: str) -> Any:
    if not category:
        return body
    if category not in folders:
        folders[category] = etree.SubElement(body, "outline", text=category, title=category)
    return folders[category]


def _attributes(source: Source | SourceSpec) -> dict[str, str]:
    attributes = {
        "type": "rss",
        "text": source.title or source.outlet or source.url,
        "title": source.title,
        "xmlUrl": source.url,
        "htmlUrl": source.site_url,
        "language": source.language,
        "heraldOutlet": source.outlet,
        "heraldCountry": source.country,
        "heraldFetchPages": "true" if source.fetch_pages else "false",
    }
    return {name: value for name, value in attributes.items() if value or name == "title"}
