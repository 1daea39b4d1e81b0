"""Page metadata read from an lxml tree: canonical URL, lead image, language, publication time.

Publication times keep the offset the page states (``2015-07-24T05:36:09+01:00``) and are
returned in UTC; a time without an offset is taken as UTC. Sources, most trusted first:
JSON-LD ``datePublished`` of an article object, ``article:published_time`` and similar meta
tags, ``<time itemprop=datePublished>``, then any JSON-LD ``datePublished``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

_MAX_JSONLD_CHARS = 1_000_000
_MIN_YEAR = 1990
_MAX_YEAR = 2100

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "scholarlyarticle",
        "techarticle",
        "report",
        "review",
        "recipe",
    }
)
LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})

_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "article:published",
    "datepublished",
    "published_time",
    "parsely-pub-date",
    "sailthru.date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "article.published",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "citation_publication_date",
    "date",
)
_IMAGE_META = (
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "twitter:image",
    "twitter:image:src",
)
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PageMetadata:
    """What the page says about itself in its head and structured data."""

    canonical_url: str = ""
    image_url: str = ""
    language: str = ""
    published: datetime | None = None
    types: frozenset[str] = frozenset()
    site_name: str = ""
    description: str = ""
    headlines: tuple[str, ...] = ()
    author: str = ""
    labels: tuple[str, ...] = ()  # its sections and tags, as the page names them

    @property
    def says_article(self) -> bool:
        return bool(self.types & ARTICLE_TYPES)

    @property
    def says_listing(self) -> bool:
        return bool(self.types & LISTING_TYPES) and not self.says_article


def read_metadata(tree: HtmlElement, url: str = "") -> PageMetadata:
    """Collect the page's self-description; never raises for odd markup."""
    meta = _meta_values(tree)
    objects = list(_jsonld_objects(tree))
    articles = [obj for obj in objects if _object_types(obj) & ARTICLE_TYPES]
    base = _base_url(tree, url)
    return PageMetadata(
        canonical_url=_canonical(tree, meta, base),
        image_url=_image(tree, meta, base),
        language=_language(tree, meta),
        published=_published(tree, meta, objects, articles),
        types=_types(meta, objects),
        site_name=_clean(meta.get("og:site_name", "")),
        description=_clean(meta.get("og:description") or meta.get("description", "")),
        headlines=_headlines(tree, meta, articles),
        author=_jsonld_author(articles),
        labels=_labels(tree, meta, articles),
    )


# --------------------------------------------------------------------------- sections and tags

_SECTION_META = ("article:section", "og:article:section", "parsely-section", "section")
_TAG_META = "article:tag"
_MAX_LABELS = 40


def _labels(
    tree: HtmlElement, meta: dict[str, str], articles: list[dict[str, Any]]
) -> tuple[str, ...]:
    """The page's sections and tags: section meta tags, every ``article:tag``, and the
    article objects' ``articleSection`` and ``genre`` (at most ``_MAX_LABELS``)."""
    found = [meta[key] for key in _SECTION_META if key in meta]
    found += [
        str(element.get("content") or "")
        for element in tree.iter("meta")
        if (element.get("property") or element.get("name") or "").lower() == _TAG_META
    ]
    for obj in articles:
        for key in ("articleSection", "genre"):
            value = obj.get(key)
            values = value if isinstance(value, list) else [value]
            found += [v for v in values if isinstance(v, str)]
    labels = [_clean(v) for v in found if v.strip()]
    return tuple(dict.fromkeys(labels))[:_MAX_LABELS]


# --------------------------------------------------------------------------- meta tags


def _meta_values(tree: HtmlElement) -> dict[str, str]:
    """First content of each meta name/property/itemprop/http-equiv, keys lower-cased."""
    values: dict[str, str] = {}
    for element in tree.iter("meta"):
        content = element.get("content")
        if content is None or not content.strip():
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            for key in (element.get(attribute) or "").lower().split():
                values.setdefault(key, content.strip())
    return values


def _clean(text: str) -> str:
    """Whitespace-normalised text with HTML entities (often double-escaped in meta) resolved."""
    return _SPACE.sub(" ", html.unescape(text)).strip()


def _base_url(tree: HtmlElement, url: str) -> str:
    for element in tree.iter("base"):
        href = (element.get("href") or "").strip()
        if href:
            return _absolute(url, str(href)) or url
    return url


def _absolute(base: str, href: str) -> str:
    """An absolute http(s) URL, or "" for anything else (data:, javascript:, garbage)."""
    href = href.strip()
    if not href:
        return ""
    try:
        joined = urljoin(base, href)
        scheme = urlsplit(joined).scheme
    except ValueError:
        return ""
    return joined if scheme in ("http", "https") else ""


def _link_href(tree: HtmlElement, rel: str) -> str:
    for element in tree.iter("link"):
        rels = (element.get("rel") or "").lower().split()
        href = element.get("href") or ""
        if rel in rels and href.strip():
            return href
    return ""


def _canonical(tree: HtmlElement, meta: dict[str, str], base: str) -> str:
    return _absolute(base, _link_href(tree, "canonical")) or _absolute(base, meta.get("og:url", ""))


def _image(tree: HtmlElement, meta: dict[str, str], base: str) -> str:
    for key in _IMAGE_META:
        found = _absolute(base, meta.get(key, ""))
        if found:
            return found
    return _absolute(base, _link_href(tree, "image_src"))


def _language(tree: HtmlElement, meta: dict[str, str]) -> str:
    root = tree.getroottree().getroot()
    candidates = (
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        root.get("xml:lang"),
        meta.get("content-language", "").split(",")[0],
        meta.get("og:locale"),
        meta.get("language"),
        meta.get("dc.language"),
    )
    for candidate in candidates:
        code = language_code(candidate)
        if code:
            return code
    return ""


def language_code(value: str | None) -> str:
    """The lower-case primary subtag of a BCP 47 tag ("en-US" -> "en"), or ""."""
    match = _LANGUAGE.match((value or "").strip())
    return match.group(1).lower() if match else ""


# --------------------------------------------------------------------------- JSON-LD


def _jsonld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = script.text or ""
        if not text.strip() or len(text) > _MAX_JSONLD_CHARS:
            continue
        data = _loads_lenient(text)
        if data is not None:
            yield from _walk(data, depth=0)


_JSON_WRAPPERS = re.compile(r"^\s*(?:<!\[CDATA\[|<!--|//\s*<!\[CDATA\[)|(?:\]\]>|-->|;)\s*$")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def _loads_lenient(text: str) -> Any:
    """JSON-LD as pages write it: CDATA-wrapped, with raw newlines or trailing commas."""
    text = _JSON_WRAPPERS.sub("", text.strip())
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
    return None


def _walk(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if key in data:
                yield from _walk(data[key], depth + 1)


def _object_types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower().rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _types(meta: dict[str, str], objects: list[dict[str, Any]]) -> frozenset[str]:
    found: set[str] = set()
    for obj in objects:
        found |= _object_types(obj)
    og_type = meta.get("og:type", "").lower()
    if og_type:
        found.add(og_type.rsplit(":", 1)[-1])
    return frozenset(found)


# --------------------------------------------------------------------------- headline and author


def _headlines(
    tree: HtmlElement, meta: dict[str, str], articles: list[dict[str, Any]]
) -> tuple[str, ...]:
    """Headline candidates, most trusted first: JSON-LD headline, og:title, <title>."""
    found = [obj.get("headline") for obj in articles]
    found += [meta.get("og:title"), meta.get("twitter:title")]
    found += [element.text_content() for element in tree.iter("title")][:1]
    cleaned = (_clean(text) for text in found if isinstance(text, str))
    return tuple(dict.fromkeys(text for text in cleaned if text))


def _jsonld_author(articles: list[dict[str, Any]]) -> str:
    """The article's author names from JSON-LD, joined by "; "."""
    for obj in articles:
        names = _person_names(obj.get("author") or obj.get("creator"))
        if names:
            unique = {name.casefold(): name for name in reversed(names)}  # first spelling wins
            return "; ".join(reversed(unique.values()))
    return ""


def _person_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = [item.get("name") if isinstance(item, dict) else item for item in items]
    cleaned = (_clean(name) for name in names if isinstance(name, str))
    return [name for name in cleaned if name and not name.startswith(("http:", "https:"))]


# --------------------------------------------------------------------------- publication time


def _published(
    tree: HtmlElement,
    meta: dict[str, str],
    objects: list[dict[str, Any]],
    articles: list[dict[str, Any]],
) -> datetime | None:
    for found in (
        _first_jsonld_date(articles),
        _first_meta_date(meta),
        _first_time_element(tree),
        _first_jsonld_date(objects),
        _parsely_date(meta),
    ):
        if found is not None:
            return found
    return None


def _first_jsonld_date(objects: list[dict[str, Any]]) -> datetime | None:
    for obj in objects:
        for key in ("datePublished", "dateCreated"):
            value = obj.get(key)
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is not None:
                return parsed
    return None


def _first_meta_date(meta: dict[str, str]) -> datetime | None:
    for key in _PUBLISHED_META:
        parsed = parse_datetime(meta.get(key))
        if parsed is not None:
            return parsed
    return None


def _first_time_element(tree: HtmlElement) -> datetime | None:
    for element in tree.iter("time"):
        itemprop = (element.get("itemprop") or "").lower()
        if itemprop == "datepublished" or element.get("pubdate") is not None:
            parsed = parse_datetime(element.get("datetime") or element.text_content())
            if parsed is not None:
                return parsed
    return None


def _parsely_date(meta: dict[str, str]) -> datetime | None:
    raw = meta.get("parsely-page")
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    value = data.get("pub_date") if isinstance(data, dict) else None
    return parse_datetime(value) if isinstance(value, str) else None


def parse_datetime(value: str | None) -> datetime | None:
    """Parse an ISO 8601, RFC 2822 or Unix-epoch time into an aware UTC datetime, or None."""
    text = (value or "").strip()
    if not text or len(text) > 64:
        return None
    parsed = _parse_iso(text) or _parse_rfc2822(text) or _parse_epoch(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # an offset pushing year 1 or 9999 out of range
        return None
    return parsed if _MIN_YEAR <= parsed.year <= _MAX_YEAR else None


_ISO_LOOSE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})"  # day
    r"(?:[T ](\d{1,2}:\d{2}(?::\d{2})?)"  # clock
    r"(\.\d+)?"  # fraction
    r"\s*(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?$",  # offset
    re.I,
)


def _parse_iso(text: str) -> datetime | None:
    match = _ISO_LOOSE.match(text)
    if not match:
        return None
    day, clock, fraction, offset = match.groups()
    clock = (clock or "00:00").zfill(5)
    fraction = (fraction or "")[:7]
    offset = (offset or "").upper()
    try:
        return datetime.fromisoformat(f"{day}T{clock}{fraction}{offset}")
    except ValueError:
        return None


def _parse_rfc2822(text: str) -> datetime | None:
    if not re.search(r"[A-Za-z]{3}", text):
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _parse_epoch(text: str) -> datetime | None:
    if not text.isdigit() or len(text) not in (10, 13):
        return None
    seconds = int(text) / (1000 if len(text) == 13 else 1)
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    except OverflowError:
        return None
