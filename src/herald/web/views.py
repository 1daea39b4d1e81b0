"""View models: typed stage data turned into what the templates and feeds show."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from herald.rank.topics import topic_name
from herald.store.newsroom import related_to, story_corrections
from herald.store.store import Store
from herald.types import (
    ArticleKind,
    Correction,
    CorrectionAction,
    Evidence,
    FeedCard,
    RelatedStory,
    ReportKind,
    Sentence,
    Source,
    SourceRef,
    Story,
    TimelinePoint,
    Writeup,
    WriteupStatus,
)
from herald.web.security import safe_url
from herald.write.dateline import dateline as make_dateline

LINKS_ONLY_REASON = (
    "Herald writes an article only when at least two independent publishers cover a story."
)
SENSITIVE_NOTE = (
    "This story touches on a sensitive subject. Herald kept to what the cited outlets "
    "reported; read them for the full context."
)


def is_article(writeup: Writeup | None) -> bool:
    """Whether a writeup is a published article (anything else is shown as links)."""
    return (
        writeup is not None
        and writeup.status is WriteupStatus.PUBLISHED
        and bool(writeup.sentences)
    )


NOT_WRITTEN_YET = "Herald has not written an article about this story yet."


def links_reason(writeup: Writeup | None, outlets: int = 0) -> str:
    """Why a story is shown as links: its writeup's reason; without one, that a single
    publisher covers it, or (with two or more ``outlets``) that it is not written yet."""
    if writeup is not None and writeup.reason.strip():
        return writeup.reason.strip()
    return NOT_WRITTEN_YET if outlets >= 2 else LINKS_ONLY_REASON


def relative_time(when: datetime, now: datetime) -> str:
    """'just now', '5 minutes ago', '3 hours ago', '2 days ago'."""
    seconds = max((now - when).total_seconds(), 0.0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        n = int(seconds // size)
        if n >= 1:
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"


# --------------------------------------------------------------------------- cards


class CardView(NamedTuple):
    """What a feed card shows. A named tuple, not a dataclass: rendered cards are kept by it
    (``herald.web.cards``), and a tuple hashes and compares in C (twenty look-ups a page)."""

    story_id: int
    headline: str
    working_title: bool
    summary: str
    outlet_count: int
    when: datetime
    when_text: str
    reason: str
    topic: str
    topic_name: str
    labels: tuple[str, ...]
    trending: bool


def card_view(card: FeedCard, now: datetime) -> CardView:
    story, writeup = card.story, card.writeup
    article = is_article(writeup)
    summary = (
        writeup.summary
        if writeup is not None and article
        else links_reason(writeup, card.outlet_count)
    )
    return CardView(
        story_id=story.id,
        headline=writeup.headline if writeup is not None and article else story.title,
        working_title=not article,
        summary=summary,
        outlet_count=card.outlet_count,
        when=story.last_seen,
        when_text=relative_time(story.last_seen, now),
        reason=card.reason,
        topic=story.topic,
        topic_name=topic_name(story.topic),
        labels=card.labels,
        trending=story.trending,
    )


# --------------------------------------------------------------------------- story page


@dataclass(frozen=True)
class CitationView:
    number: int
    url: str
    outlet: str
    title: str
    passage: str
    note_id: str


@dataclass(frozen=True)
class SentenceView:
    text: str
    citations: tuple[CitationView, ...]


@dataclass(frozen=True)
class CoverageView:
    """One member article in the outlet list, with the passages Herald cited from it."""

    outlet: str
    title: str
    url: str
    published: datetime
    citation: int | None
    passages: tuple[str, ...]
    kind: ArticleKind = ArticleKind.NEWS

    @property
    def kind_label(self) -> str:
        """ "Opinion" or "Review" for a piece Herald does not write from, else ""."""
        return "" if self.kind is ArticleKind.NEWS else self.kind.value.capitalize()


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    start: datetime


@dataclass(frozen=True)
class TimelineView:
    bars: tuple[Bar, ...]
    width: int
    height: int
    peak: int
    total: int
    first: datetime | None
    last: datetime | None


def _evidence_for(sentence: Sentence, number: int) -> Evidence | None:
    return next((e for e in sentence.evidence if e.citation == number), None)


def _citation(
    sentence: Sentence, number: int, refs: dict[int, SourceRef], note_id: str
) -> CitationView:
    ref = refs.get(number)
    evidence = _evidence_for(sentence, number)
    return CitationView(
        number=number,
        url=safe_url(ref.url) if ref else "",
        outlet=ref.outlet if ref else "",
        title=ref.title if ref else "",
        passage=evidence.passage if evidence else "",
        note_id=note_id,
    )


def paragraphs(writeup: Writeup) -> list[list[SentenceView]]:
    """The body grouped by paragraph, each sentence with its citations."""
    refs = {r.index: r for r in writeup.sources}
    grouped: dict[int, list[SentenceView]] = {}
    for i, s in enumerate(writeup.sentences):
        cites = tuple(_citation(s, n, refs, f"cite-{i}-{n}") for n in s.citations)
        grouped.setdefault(s.paragraph, []).append(SentenceView(s.text, cites))
    return [grouped[k] for k in sorted(grouped)]


class CoverageArticle(Protocol):
    """What the outlet list needs of an article (``Article`` or a lighter row)."""

    @property
    def id(self) -> int: ...
    @property
    def outlet(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def published(self) -> datetime: ...
    @property
    def kind(self) -> ArticleKind: ...


def coverage(articles: Sequence[CoverageArticle], writeup: Writeup | None) -> list[CoverageView]:
    """Every member article (cited ones first, by number), with its cited passages; only a
    published article cites (a pulled one's citations are not shown)."""
    cited = writeup if writeup is not None and is_article(writeup) else None
    numbers = {r.article_id: r.index for r in cited.sources} if cited else {}
    passages: dict[int, list[str]] = {}
    for s in cited.sentences if cited else ():
        for e in s.evidence:
            found = passages.setdefault(e.article_id, [])
            if e.passage and e.passage not in found:
                found.append(e.passage)
    ordered = sorted(
        articles,
        key=lambda a: (a.id not in numbers, numbers.get(a.id, 0), -a.published.timestamp(), a.id),
    )
    return [
        CoverageView(
            a.outlet,
            a.title,
            safe_url(a.url),
            a.published,
            numbers.get(a.id),
            tuple(passages.get(a.id, ())),
            a.kind,
        )
        for a in ordered
    ]


def timeline_points(
    times: Sequence[datetime], bucket: timedelta = timedelta(hours=1)
) -> list[TimelinePoint]:
    """Articles per ``bucket`` from the first hour on (``Store.story_timeline``, from times
    already loaded)."""
    if not times:
        return []
    start = min(times).replace(minute=0, second=0, microsecond=0)
    counts: dict[int, int] = {}
    for t in times:
        key = int((t - start) / bucket)
        counts[key] = counts.get(key, 0) + 1
    last = max(counts)
    return [TimelinePoint(start + i * bucket, counts.get(i, 0)) for i in range(last + 1)]


MAX_BAR_WIDTH = 48.0
"""A chart's bars are at most this wide (in its 600-unit view box), centred in their slot."""


def timeline(points: list[TimelinePoint], width: int = 600, height: int = 120) -> TimelineView:
    """Bars of an inline SVG chart of coverage over time."""
    if not points:
        return TimelineView((), width, height, 0, 0, None, None)
    peak = max(p.count for p in points) or 1
    slot = width / len(points)
    bar = max(min(slot * 0.8, MAX_BAR_WIDTH), 1.0)  # one hour's bar is not the whole chart
    plot = height - 4
    bars = tuple(
        Bar(
            x=round(i * slot + (slot - bar) / 2, 2),
            y=round(height - plot * p.count / peak, 2),
            width=round(bar, 2),
            height=round(plot * p.count / peak, 2),
            count=p.count,
            start=p.start,
        )
        for i, p in enumerate(points)
    )
    total = sum(p.count for p in points)
    return TimelineView(bars, width, height, peak, total, points[0].start, points[-1].start)


def story_dateline(story: Story, writeup: Writeup | None) -> str:
    if writeup is not None and writeup.dateline:
        return writeup.dateline
    return make_dateline(story.first_seen)


# Report kinds in the order the form offers them, with their labels.
REPORT_KINDS: tuple[tuple[str, str], ...] = (
    (ReportKind.FACTUAL.value, "A factual error"),
    (ReportKind.MISLEADING.value, "Misleading"),
    (ReportKind.OUTDATED.value, "Outdated"),
    (ReportKind.OTHER.value, "Something else"),
)
ACTION_LABELS = {
    CorrectionAction.PULLED.value: "Withdrawn",
    CorrectionAction.CORRECTED.value: "Corrected",
}


def story_trust(
    store: Store,
    story: Story,
    related: list[RelatedStory] | None = None,
    corrections: list[Correction] | None = None,
) -> dict[str, Any]:
    """The story page's corrections notice, withdrawal note, related stories and report form
    (``related`` and ``corrections``: as given, else looked up)."""
    found = story_corrections(store, story.id) if corrections is None else corrections
    pulls = [c for c in found if c.action is CorrectionAction.PULLED]
    return {
        "corrections": found,
        "withdrawn": pulls[0] if pulls else None,
        "related": related_to(store, story) if related is None else related,
        "report_kinds": REPORT_KINDS,
        "action_labels": ACTION_LABELS,
    }


def json_ld(story: Story, writeup: Writeup, url: str, site: str) -> dict[str, Any]:
    """schema.org NewsArticle metadata with Herald as author and an AI disclosure."""
    herald = {"@type": "Organization", "name": "Herald", "url": site}
    sources = [safe_url(r.url) for r in writeup.sources if safe_url(r.url)]
    disclosure = (
        f"Generated with AI by Herald from {len(sources)} cited source articles; "
        "every sentence links to the source passage that supports it. "
        "Generative AI is experimental."
    )
    return {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": writeup.headline,
        "description": writeup.summary,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": writeup.created_at.isoformat(),
        "dateModified": max(writeup.created_at, story.updated_at).isoformat(),
        "dateline": writeup.dateline,
        "articleSection": topic_name(story.topic),
        "keywords": list(story.entities),
        "isBasedOn": sources,
        "author": herald,
        "publisher": herald,
        "creditText": disclosure,
        "backstory": disclosure,
        "isAccessibleForFree": True,
    }


def script_json(data: Any) -> str:
    """JSON safe to place inside a <script> element (no '</script>' breakouts)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass(frozen=True)
class SourceHealth:
    """One source's health as the settings page shows it."""

    outlet: str
    url: str
    state: str
    last_success: datetime | None
    last_error: str
    next_attempt: datetime | None
    items_per_day: float


SOURCES_SHOWN = 200


def source_health(sources: Sequence[Source], rates: Mapping[int, float]) -> list[SourceHealth]:
    """Sources with their health, failing ones first, at most ``SOURCES_SHOWN``."""
    rows = [
        SourceHealth(
            outlet=s.outlet_name,
            url=s.url,
            state="paused" if s.paused else ("failing" if s.failures else "ok"),
            last_success=s.last_success,
            last_error=s.last_error or "",
            next_attempt=s.next_attempt,
            items_per_day=round(rates.get(s.id, 0.0), 1),
        )
        for s in sources
    ]
    order = {"failing": 0, "paused": 1, "ok": 2}
    return sorted(rows, key=lambda r: (order[r.state], r.outlet.casefold()))[:SOURCES_SHOWN]
