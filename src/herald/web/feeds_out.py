"""Feeds out: RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents of a ranked feed.

Entries carry Herald's headline, the dateline and article text with numbered citations
linking to the sources, the two labels, and a link to the story page. XML is built with
lxml (every string escaped, characters XML forbids removed); the HTML inside entries is
built escaped and passed through nh3.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

import nh3
from lxml import etree
from markupsafe import Markup, escape

from herald.rank.topics import topic_name
from herald.types import Article, FeedCard, Writeup
from herald.web.security import safe_url
from herald.web.views import is_article, links_reason, story_dateline

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ALLOWED_TAGS = {"p", "a", "sup", "ul", "li", "em", "strong", "br"}
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


@dataclass(frozen=True)
class FeedMeta:
    title: str
    description: str
    home_url: str
    self_url: str
    updated: datetime


@dataclass(frozen=True)
class FeedEntry:
    id: str
    url: str
    title: str
    summary: str
    content_html: str
    published: datetime
    updated: datetime
    topic: str


def xml_text(value: str) -> str:
    """``value`` without the control characters XML 1.0 forbids."""
    return _XML_INVALID.sub("", value)


# --------------------------------------------------------------------------- entry HTML


def _cited_sentence(text: str, numbers: Sequence[int], urls: dict[int, str]) -> Markup:
    cites = Markup("").join(
        Markup('<sup><a href="{}">[{}]</a></sup>').format(urls[n], n)
        if urls.get(n)
        else Markup("<sup>[{}]</sup>").format(n)
        for n in numbers
    )
    return escape(text) + cites


def article_html(writeup: Writeup, dateline: str, labels: Sequence[str], story_url: str) -> str:
    urls = {r.index: safe_url(r.url) for r in writeup.sources}
    paras: dict[int, list[Markup]] = {}
    for s in writeup.sentences:
        paras.setdefault(s.paragraph, []).append(_cited_sentence(s.text, s.citations, urls))
    parts = [Markup("<p><strong>{}</strong></p>").format(dateline)]
    parts += [Markup("<p>{}</p>").format(Markup(" ").join(paras[k])) for k in sorted(paras)]
    parts += _tail(labels, story_url, "Read on Herald with sources and evidence")
    return nh3.clean(str(Markup("\n").join(parts)), tags=ALLOWED_TAGS)


def links_html(
    reason: str, dateline: str, articles: Sequence[Article], labels: Sequence[str], story_url: str
) -> str:
    items = [
        Markup('<li><a href="{}">{}</a> ({})</li>').format(safe_url(a.url), a.title, a.outlet)
        if safe_url(a.url)
        else Markup("<li>{} ({})</li>").format(a.title, a.outlet)
        for a in articles
    ]
    parts = [
        Markup("<p><strong>{}</strong></p>").format(dateline),
        Markup("<p>{}</p>").format(reason),
        Markup("<ul>{}</ul>").format(Markup("").join(items)),
    ]
    parts += _tail(labels, story_url, "See the story on Herald")
    return nh3.clean(str(Markup("\n").join(parts)), tags=ALLOWED_TAGS)


def _tail(labels: Sequence[str], story_url: str, link_text: str) -> list[Markup]:
    out = [Markup("<p><em>[{}]</em></p>").format(label) for label in labels]
    out.append(Markup('<p><a href="{}">{}</a></p>').format(story_url, link_text))
    return out


def entry_for(
    card: FeedCard, story_url: str, articles_of: Callable[[int], Sequence[Article]]
) -> FeedEntry:
    """The feed entry of one ranked card."""
    story, writeup = card.story, card.writeup
    dateline = story_dateline(story, writeup)
    if writeup is not None and is_article(writeup):
        title, summary = writeup.headline, writeup.summary
        content = article_html(writeup, dateline, card.labels, story_url)
        published = writeup.created_at
    else:
        reason = links_reason(writeup, card.outlet_count)
        title, summary = f"Links: {story.title}", reason
        content = links_html(reason, dateline, articles_of(story.id), card.labels, story_url)
        published = story.first_seen
    return FeedEntry(
        id=story_url,
        url=story_url,
        title=title,
        summary=summary,
        content_html=content,
        published=published,
        updated=max(published, story.last_seen),
        topic=topic_name(story.topic),
    )


# --------------------------------------------------------------------------- documents


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    el = etree.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def rss(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """An RSS 2.0 document."""
    root = etree.Element("rss", version="2.0", nsmap={"atom": ATOM_NS})
    channel = _sub(root, "channel")
    _sub(channel, "title", meta.title)
    _sub(channel, "link", meta.home_url)
    _sub(channel, "description", meta.description)
    _sub(channel, "language", "en")
    _sub(channel, "generator", "Herald")
    _sub(channel, "lastBuildDate", format_datetime(meta.updated))
    _sub(channel, f"{{{ATOM_NS}}}link", href=meta.self_url, rel="self", type="application/rss+xml")
    for e in entries:
        item = _sub(channel, "item")
        _sub(item, "title", e.title)
        _sub(item, "link", e.url)
        _sub(item, "guid", e.id, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(e.published))
        _sub(item, "category", e.topic)
        _sub(item, "description", e.content_html)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def atom(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """An Atom 1.0 document."""
    root = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _sub(root, f"{{{ATOM_NS}}}id", meta.self_url)
    _sub(root, f"{{{ATOM_NS}}}title", meta.title)
    _sub(root, f"{{{ATOM_NS}}}subtitle", meta.description)
    _sub(root, f"{{{ATOM_NS}}}updated", meta.updated.isoformat())
    _sub(root, f"{{{ATOM_NS}}}link", href=meta.self_url, rel="self", type="application/atom+xml")
    _sub(root, f"{{{ATOM_NS}}}link", href=meta.home_url, rel="alternate", type="text/html")
    _sub(_sub(root, f"{{{ATOM_NS}}}author"), f"{{{ATOM_NS}}}name", "Herald")
    _sub(root, f"{{{ATOM_NS}}}generator", "Herald")
    for e in entries:
        entry = _sub(root, f"{{{ATOM_NS}}}entry")
        _sub(entry, f"{{{ATOM_NS}}}id", e.id)
        _sub(entry, f"{{{ATOM_NS}}}title", e.title)
        _sub(entry, f"{{{ATOM_NS}}}updated", e.updated.isoformat())
        _sub(entry, f"{{{ATOM_NS}}}published", e.published.isoformat())
        _sub(entry, f"{{{ATOM_NS}}}link", href=e.url, rel="alternate", type="text/html")
        _sub(entry, f"{{{ATOM_NS}}}category", term=e.topic)
        _sub(entry, f"{{{ATOM_NS}}}summary", e.summary)
        _sub(entry, f"{{{ATOM_NS}}}content", e.content_html, type="html")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def json_feed(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """A JSON Feed 1.1 document."""
    doc = {
        "version": JSON_FEED_VERSION,
        "title": meta.title,
        "home_page_url": meta.home_url,
        "feed_url": meta.self_url,
        "description": meta.description,
        "language": "en",
        "authors": [{"name": "Herald"}],
        "items": [
            {
                "id": e.id,
                "url": e.url,
                "title": e.title,
                "summary": e.summary,
                "content_html": e.content_html,
                "date_published": e.published.isoformat(),
                "date_modified": e.updated.isoformat(),
                "tags": [e.topic],
                "authors": [{"name": "Herald"}],
            }
            for e in entries
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


RENDERERS: dict[str, Callable[[FeedMeta, Sequence[FeedEntry]], bytes]] = {
    "rss": rss,
    "atom": atom,
    "json": json_feed,
}
