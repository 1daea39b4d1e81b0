"""View models of the topic, entity, outlet and search pages (web/browse.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from herald.rank.topics import topic_name
from herald.store.search import ArticleHit, StoryHit
from herald.store.search_text import Snippet
from herald.store.store import Store
from herald.types import Article, Source, Story, TimelinePoint, Writeup, WriteupStatus
from herald.web.security import safe_url
from herald.web.views import TimelineView, is_article, relative_time, timeline


def topic_url(topic: str) -> str:
    return "/topics/" + quote(topic, safe="")


def entity_url(name: str) -> str:
    return "/entities/" + quote(name, safe="")


def outlet_url(name: str) -> str:
    return "/outlets/" + quote(name, safe="")


# --------------------------------------------------------------------------- story lists


@dataclass(frozen=True)
class StoryItem:
    """One story in a list: Herald's headline when it wrote an article, else a working title."""

    story_id: int
    headline: str
    working_title: bool
    pulled: bool
    summary: str
    topic: str
    topic_name: str
    entities: tuple[str, ...]
    outlets: tuple[str, ...]
    outlet_count: int
    when: datetime
    when_text: str
    trending: bool


def story_item(
    story: Story, writeup: Writeup | None, outlets: Sequence[str], now: datetime
) -> StoryItem:
    written = is_article(writeup)
    pulled = writeup is not None and writeup.status is WriteupStatus.PULLED
    return StoryItem(
        story_id=story.id,
        headline=writeup.headline if writeup is not None and written else story.title,
        working_title=not written,
        pulled=pulled,
        summary=writeup.summary if writeup is not None and written else "",
        topic=story.topic,
        topic_name=topic_name(story.topic),
        entities=story.entities,
        outlets=tuple(outlets),
        outlet_count=max(story.outlet_count, len(outlets)),
        when=story.last_seen,
        when_text=relative_time(story.last_seen, now),
        trending=story.trending,
    )


def story_items(store: Store, found: Sequence[Story], now: datetime) -> list[StoryItem]:
    ids = [s.id for s in found]
    writeups = store.writeups_for(ids)
    outlets = store.story_outlets(ids)
    return [story_item(s, writeups.get(s.id), outlets.get(s.id, []), now) for s in found]


def story_hit_item(hit: StoryHit, now: datetime) -> StoryItem:
    story = hit.story
    return StoryItem(
        story_id=story.id,
        headline=hit.headline,
        working_title=not hit.written,
        pulled=hit.pulled,
        summary=hit.summary,
        topic=story.topic,
        topic_name=topic_name(story.topic),
        entities=story.entities,
        outlets=hit.outlets,
        outlet_count=max(story.outlet_count, len(hit.outlets)),
        when=story.last_seen,
        when_text=relative_time(story.last_seen, now),
        trending=story.trending,
    )


# --------------------------------------------------------------------------- articles


@dataclass(frozen=True)
class ArticleItem:
    """A source article in a list; ``title`` and ``snippet`` are (text, matched) segments."""

    id: int
    story_id: int | None
    title: tuple[tuple[str, bool], ...]
    url: str
    outlet: str
    published: datetime
    when_text: str
    snippet: tuple[tuple[str, bool], ...]


def article_hit_item(hit: ArticleHit, now: datetime) -> ArticleItem:
    return ArticleItem(
        id=hit.id,
        story_id=hit.story_id,
        title=tuple(Snippet(hit.title, hit.title_spans).segments()),
        url=safe_url(hit.url),
        outlet=hit.outlet,
        published=hit.published,
        when_text=relative_time(hit.published, now),
        snippet=tuple(hit.snippet.segments()),
    )


def article_item(article: Article, now: datetime) -> ArticleItem:
    return ArticleItem(
        id=article.id,
        story_id=article.story_id,
        title=((article.title, False),),
        url=safe_url(article.url),
        outlet=article.outlet,
        published=article.published,
        when_text=relative_time(article.published, now),
        snippet=(),
    )


# --------------------------------------------------------------------------- outlets


@dataclass(frozen=True)
class FeedView:
    """One feed of an outlet as its page lists it."""

    url: str
    site_url: str
    title: str
    language: str
    country: str
    state: str


def feed_view(source: Source) -> FeedView:
    return FeedView(
        url=safe_url(source.url),
        site_url=safe_url(source.site_url),
        title=source.title or source.url,
        language=source.language,
        country=source.country,
        state="paused" if source.paused else ("failing" if source.failures else "ok"),
    )


def daily_counts(times: Sequence[datetime], now: datetime, days: int) -> list[TimelinePoint]:
    """Articles per UTC day for the ``days`` days ending today, oldest first."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=days - 1)
    counts = [0] * days
    for t in times:
        index = (t - first).days
        if 0 <= index < days:
            counts[index] += 1
    return [TimelinePoint(first + timedelta(days=i), n) for i, n in enumerate(counts)]


def daily_chart(times: Sequence[datetime], now: datetime, days: int = 30) -> TimelineView:
    """The bars of an inline SVG chart of articles per day."""
    points = daily_counts(times, now, days)
    if not any(p.count for p in points):
        return timeline([])
    return timeline(points)


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Pager:
    """Previous and next links of a paged list; work without JavaScript."""

    page: int
    start: int
    prev_url: str
    next_url: str


def pager(path: str, params: dict[str, str], page: int, size: int, has_next: bool) -> Pager:
    def url(n: int) -> str:
        return path + "?" + urlencode({**params, "page": str(n)})

    return Pager(
        page=page,
        start=(page - 1) * size + 1,
        prev_url=url(page - 1) if page > 1 else "",
        next_url=url(page + 1) if has_next else "",
    )
