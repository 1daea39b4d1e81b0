"""Feed documents (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1) to ``ParsedFeed``.

XML feeds go through feedparser, which copes with most real-world breakage; JSON Feed has
its own small parser. Whatever the format, items come out the same way: plain-text titles
and summaries, absolute http(s) links, UTC datetimes (or None), unique guids.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import time
import xml.sax
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser
from lxml import etree

from herald.exceptions import FeedParseError
from herald.ingest.dates import parse_date
from herald.ingest.text import entry_title, html_to_text, inline_text
from herald.ingest.urls import is_http_url, resolve
from herald.types import FeedFormat, FeedItem, ParsedFeed

__all__ = ["parse_feed"]

JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]")
_BOM = b"\xef\xbb\xbf"
MAX_CATEGORIES = 20
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def parse_feed(content: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse a feed document fetched from ``url``.

    ``content_type`` is the HTTP Content-Type header, if known (it may name the charset).
    Relative links are resolved against ``url`` (and ``xml:base``). Recoverable damage is
    reported in ``ParsedFeed.warnings``; a document that is not a feed at all raises
    :class:`FeedParseError` with the reason.
    """
    body = _strip_leading_junk(content)
    if not body.strip():
        raise FeedParseError("not a feed: the document is empty")
    if _looks_like_json(body, content_type):
        return _parse_json_feed(body, url)
    return _parse_xml_feed(body, url, content_type)


def _strip_leading_junk(content: bytes) -> bytes:
    """Drop whitespace before ``<?xml`` or ``{``, a common server bug that breaks parsers."""
    bom = _BOM if content.startswith(_BOM) else b""
    stripped = content[len(bom) :].lstrip(b" \t\r\n")
    if stripped.startswith((b"<", b"{", b"[")):
        return stripped
    return content


def _looks_like_json(body: bytes, content_type: str) -> bool:
    if body.startswith((b"{", b"[")):
        return True
    return "json" in content_type.lower() and not body.startswith(b"<")


# --------------------------------------------------------------------------- shared items


@dataclass
class _Collector:
    """Turns raw entries into unique ``FeedItem`` values, noting what went wrong."""

    items: list[FeedItem] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    duplicates: int = 0
    empty: int = 0
    bad_dates: int = 0

    def add(self, item: FeedItem | None) -> None:
        if item is None:
            self.empty += 1
        elif item.guid in self.seen:
            self.duplicates += 1
        else:
            self.seen.add(item.guid)
            self.items.append(item)

    def warnings(self) -> list[str]:
        notes = []
        if self.duplicates:
            notes.append(f"{self.duplicates} entries with a duplicate id were dropped")
        if self.empty:
            notes.append(f"{self.empty} entries without title, link or text were dropped")
        if self.bad_dates:
            notes.append(f"{self.bad_dates} entries have a date that could not be read")
        return notes


def _make_item(
    *,
    guid: str,
    url: str,
    title: str,
    summary: str,
    author: str,
    published: datetime | None,
    image_url: str,
    categories: Iterable[object] = (),
) -> FeedItem | None:
    if not (title or url or summary):
        return None
    return FeedItem(
        guid=guid.strip() or url or _content_hash(title, summary),
        url=url,
        title=title,
        summary=summary,
        author=author,
        published=published,
        image_url=image_url,
        categories=_categories(categories),
    )


def _categories(values: Iterable[object]) -> tuple[str, ...]:
    """Distinct non-empty category names (at most ``MAX_CATEGORIES``, each at most 200
    characters)."""
    names = [inline_text(v)[:200] for v in values if isinstance(v, str) and v.strip()]
    return tuple(dict.fromkeys(names))[:MAX_CATEGORIES]


def _content_hash(title: str, summary: str) -> str:
    digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    return f"sha256:{digest[:32]}"


def _http_url(base: str, href: object) -> str:
    """``href`` resolved against ``base`` when it is an http(s) link, else ``""``."""
    if not isinstance(href, str) or not href.strip():
        return ""
    absolute = resolve(base, href)
    return absolute if is_http_url(absolute) else ""


def _longest(*texts: str) -> str:
    return max(texts, key=len, default="")


# --------------------------------------------------------------------------- XML feeds

_FORMATS = {"atom": FeedFormat.ATOM, "rss090": FeedFormat.RDF, "rss10": FeedFormat.RDF}
_DATE_KEYS = ("published", "updated", "created")


def _parse_xml_feed(body: bytes, url: str, content_type: str) -> ParsedFeed:
    # No content-location header: feedparser would also "resolve" relative ids, changing
    # guids; links are resolved here instead. Only an explicit charset is passed on, so a
    # text/* type without one does not force us-ascii (RFC 3023) on real-world feeds.
    headers = {"content-type": _xml_content_type(content_type)}
    # Summaries become plain text here, so feedparser's HTML sanitizing and link rewriting
    # would be thrown away: skipping them halves parsing time with identical output.
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    version = str(parsed.get("version") or "")
    if not version:
        raise FeedParseError(_not_a_feed_reason(body, parsed.get("bozo_exception")))
    collector = _Collector()
    for entry in parsed.entries:
        collector.add(_xml_item(entry, url, collector))
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if problem is not None and _is_fatal(problem) and not collector.items:
        raise FeedParseError(f"malformed feed with no readable entries: {_exception_text(problem)}")
    return ParsedFeed(
        format=_xml_format(version),
        title=inline_text(str(parsed.feed.get("title") or "")),
        link=_http_url(url, parsed.feed.get("link")),
        items=tuple(collector.items),
        warnings=tuple(_bozo_warnings(problem) + collector.warnings()),
    )


def _xml_content_type(content_type: str) -> str:
    charset = _CHARSET.search(content_type)
    return f"application/xml; charset={charset.group(1)}" if charset else "application/xml"


def _bozo_warnings(problem: object) -> list[str]:
    if problem is None:
        return []
    if isinstance(problem, feedparser.CharacterEncodingOverride):
        return [f"wrong character encoding: {problem}"]
    if isinstance(problem, xml.sax.SAXException):
        return [f"malformed XML, read leniently: {_exception_text(problem)}"]
    return [f"feed problem: {_exception_text(problem)}"]


def _xml_format(version: str) -> FeedFormat:
    for prefix, kind in _FORMATS.items():
        if version.startswith(prefix):
            return kind
    return FeedFormat.RSS


def _xml_item(entry: Any, base: str, collector: _Collector) -> FeedItem | None:
    published = _entry_date(entry)
    if published is None and any(_raw(entry, key) for key in _DATE_KEYS):
        collector.bad_dates += 1
    return _make_item(
        guid=str(entry.get("id") or ""),
        url=_http_url(base, entry.get("link")),
        title=entry_title(str(entry.get("title") or "")),
        summary=_entry_summary(entry),
        author=_entry_author(entry),
        published=published,
        image_url=_entry_image(entry, base),
        categories=[tag.get("term") for tag in entry.get("tags") or [] if isinstance(tag, dict)],
    )


def _entry_summary(entry: Any) -> str:
    contents = [str(c.get("value") or "") for c in entry.get("content") or []]
    texts = [html_to_text(html) for html in [str(entry.get("summary") or ""), *contents]]
    return _longest(*texts)


def _entry_author(entry: Any) -> str:
    detail = entry.get("author_detail") or {}
    return inline_text(str(detail.get("name") or entry.get("author") or ""))


def _raw(entry: Any, key: str) -> Any:
    """``entry[key]`` without feedparser's deprecated updated->published key mapping."""
    return dict.get(entry, key)


def _entry_date(entry: Any) -> datetime | None:
    for key in _DATE_KEYS:
        value = _raw(entry, f"{key}_parsed")
        if isinstance(value, time.struct_time):
            return _struct_to_utc(value)
        fallback = parse_date(str(_raw(entry, key) or ""))
        if fallback is not None:
            return fallback
    return None


def _struct_to_utc(value: time.struct_time) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _entry_image(entry: Any, base: str) -> str:
    for candidate in _image_candidates(entry):
        url = _http_url(base, candidate)
        if url:
            return url
    return ""


def _image_candidates(entry: Any) -> Iterable[object]:
    for thumb in entry.get("media_thumbnail") or []:
        yield thumb.get("url")
    for media in entry.get("media_content") or []:
        if media.get("medium") == "image" or str(media.get("type", "")).startswith("image/"):
            yield media.get("url")
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            yield link.get("href")
    image = entry.get("image")
    if isinstance(image, Mapping):
        yield image.get("href")


def _is_fatal(exc: object) -> bool:
    """True when the bozo exception means the XML itself is broken (not just its charset)."""
    return not isinstance(exc, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType)


def _exception_text(exc: object) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        return f"{exc.getMessage()} at line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
    return str(exc) or type(exc).__name__


def _not_a_feed_reason(body: bytes, exc: object) -> str:
    if _HTML_START.search(body[:4096].lower()):
        return "not a feed: the document is an HTML page"
    root = _xml_root_name(body)
    if root:
        return (
            f"not a feed: the document is XML whose root element <{root}> is not RSS, Atom or RDF"
        )
    detail = f" ({_exception_text(exc)})" if exc is not None else ""
    return f"not a feed: the document is neither XML nor JSON{detail}"


def _xml_root_name(body: bytes) -> str:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, recover=True, huge_tree=False
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return ""
    if root is None or not isinstance(root.tag, str):
        return ""
    return str(etree.QName(root).localname)


# --------------------------------------------------------------------------- JSON Feed


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    data = _load_json(body)
    version = str(data.get("version") or "")
    if not version.startswith(JSON_FEED_VERSIONS):
        raise FeedParseError("not a feed: JSON document without a jsonfeed.org version")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedParseError("malformed JSON Feed: 'items' is missing or not a list")
    collector = _Collector()
    for raw in items:
        collector.add(_json_item(raw, url, collector) if isinstance(raw, dict) else None)
    return ParsedFeed(
        format=FeedFormat.JSON,
        title=inline_text(_json_str(data, "title")),
        link=_http_url(url, data.get("home_page_url")),
        items=tuple(collector.items),
        warnings=tuple(collector.warnings()),
    )


def _load_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        data = _load_json_text(body.decode("utf-8", errors="replace"))
    except ValueError as e:
        raise FeedParseError(f"not a feed: invalid JSON ({e})") from e
    if not isinstance(data, dict):
        raise FeedParseError("not a feed: the JSON document is not an object")
    return data


def _load_json_text(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError as e:
        raise FeedParseError(f"not a feed: invalid JSON ({e})") from e


def _json_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _json_item(raw: dict[str, Any], base: str, collector: _Collector) -> FeedItem | None:
    published = _json_date(raw)
    if published is None and (raw.get("date_published") or raw.get("date_modified")):
        collector.bad_dates += 1
    return _make_item(
        guid=_json_str(raw, "id"),
        url=_http_url(base, raw.get("url")) or _http_url(base, raw.get("external_url")),
        title=entry_title(_json_str(raw, "title")),
        summary=_longest(
            html_to_text(_json_str(raw, "content_html")),
            html_to_text(_json_str(raw, "content_text")),
            html_to_text(_json_str(raw, "summary")),
        ),
        author=_json_author(raw),
        published=published,
        image_url=_http_url(base, raw.get("image")) or _http_url(base, raw.get("banner_image")),
        categories=_json_tags(raw),
    )


def _json_tags(raw: Mapping[str, Any]) -> list[object]:
    tags = raw.get("tags")
    return tags if isinstance(tags, list) else []


def _json_date(raw: Mapping[str, Any]) -> datetime | None:
    for key in ("date_published", "date_modified"):
        value = parse_date(_json_str(raw, key).strip())
        if value is not None:
            return value
    return None


def _json_author(raw: Mapping[str, Any]) -> str:
    authors = raw.get("authors")
    candidates = authors if isinstance(authors, list) else [raw.get("author")]
    names = [inline_text(_json_str(a, "name")) for a in candidates if isinstance(a, Mapping)]
    return ", ".join(name for name in names if name)
