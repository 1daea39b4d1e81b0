"""The JSON API of search and browsing: /api/v1/search, /topics, /entities and /outlets.

Responses are declared as models so that the OpenAPI schema documents them; errors take the
one shape of ``web/errors.py`` (documented by ``api_schema``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from herald.exceptions import NotFoundError
from herald.rank.topics import TOPICS, topic_name
from herald.store import browse
from herald.store.search import COUNT_CAP, ArticleHit, SearchKind, StoryHit, count, search
from herald.store.store import Store
from herald.types import Article, Story
from herald.web.browse_views import daily_counts, feed_view, story_items
from herald.web.context import herald_of
from herald.web.security import safe_url
from herald.web.serialize import story_json

router = APIRouter(prefix="/api/v1", tags=["browse"])
MAX_LIMIT = 100
MAX_OFFSET = 1000
CHART_DAYS = 30
QUERY_HELP = 'Words, "quoted phrases", -excluded words and "or" between alternatives'

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many items to return")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many items to skip")]


class StoryOut(BaseModel):
    id: int
    title: str = Field(description="The story's working title (from its articles)")
    topic: str
    topic_name: str
    entities: list[str]
    first_seen: str
    last_seen: str
    article_count: int
    outlet_count: int
    outlets: list[str]
    trend_score: float
    trending: bool
    url: str


class StoryItemOut(BaseModel):
    story: StoryOut
    headline: str = Field(description="Herald's headline when it wrote an article, else the title")
    summary: str = Field(description="The article's summary; empty when none was written")
    written: bool = Field(description="Herald wrote (and verified) an article for this story")
    pulled: bool = Field(description="Herald withdrew its article about this story")


class StoryListOut(BaseModel):
    limit: int
    offset: int
    total: int
    items: list[StoryItemOut]


class TopicOut(StoryListOut):
    topic: str
    name: str


class EntityOut(StoryListOut):
    name: str


class FeedOut(BaseModel):
    url: str
    site_url: str
    title: str
    language: str
    country: str
    state: Literal["ok", "failing", "paused"]


class DayOut(BaseModel):
    date: str
    articles: int


class ArticleOut(BaseModel):
    id: int
    outlet: str
    title: str
    url: str
    published: str
    kind: str = Field(description="news, opinion or review, as the publisher labels it")
    story_id: int | None
    story_url: str | None


class OutletOut(StoryListOut):
    name: str
    feeds: list[FeedOut]
    articles_per_day: list[DayOut]
    recent_articles: list[ArticleOut]


class StoryHitOut(StoryItemOut):
    type: Literal["story"]
    rank: float = Field(description="Relevance; higher is better (comparable within one query)")


class ArticleHitOut(ArticleOut):
    type: Literal["article"]
    rank: float = Field(description="Relevance; higher is better (comparable within one query)")
    snippet: str = Field(description="A passage of the article around the match")
    highlights: list[tuple[int, int]] = Field(description="(start, end) of matches in snippet")
    title_highlights: list[tuple[int, int]] = Field(description="(start, end) matches in title")


class SearchOut(BaseModel):
    query: str
    kind: SearchKind
    limit: int
    offset: int
    total: int = Field(description="How many hits there are, counted up to total_cap + 1")
    total_cap: int
    items: list[Annotated[StoryHitOut | ArticleHitOut, Field(discriminator="type")]]


# --------------------------------------------------------------------------- shapes


def _story_items(store: Store, found: list[Story], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "story": story_json(s, item.outlets),
            "headline": item.headline,
            "summary": item.summary,
            "written": not item.working_title,
            "pulled": item.pulled,
        }
        for s, item in zip(found, story_items(store, found, now), strict=True)
    ]


def _article(a: Article) -> dict[str, Any]:
    return {
        "id": a.id,
        "outlet": a.outlet,
        "title": a.title,
        "url": safe_url(a.url),
        "published": a.published.isoformat(),
        "kind": a.kind.value,
        "story_id": a.story_id,
        "story_url": f"/stories/{a.story_id}" if a.story_id else None,
    }


def _story_hit(h: StoryHit) -> dict[str, Any]:
    return {
        "type": "story",
        "rank": h.rank,
        "story": story_json(h.story, h.outlets),
        "headline": h.headline,
        "summary": h.summary,
        "written": h.written,
        "pulled": h.pulled,
    }


def _article_hit(h: ArticleHit) -> dict[str, Any]:
    return {
        "type": "article",
        "rank": h.rank,
        "id": h.id,
        "outlet": h.outlet,
        "title": h.title,
        "url": safe_url(h.url),
        "published": h.published.isoformat(),
        "kind": h.kind.value,
        "story_id": h.story_id,
        "story_url": f"/stories/{h.story_id}" if h.story_id else None,
        "snippet": h.snippet.text,
        "highlights": [list(s) for s in h.snippet.spans],
        "title_highlights": [list(s) for s in h.title_spans],
    }


# --------------------------------------------------------------------------- routes


@router.get("/search", summary="Search stories or source articles", response_model=SearchOut)
def api_search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=500, description=QUERY_HELP)],
    kind: SearchKind = SearchKind.STORIES,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    store = herald_of(request).store
    hits = search(store, q, kind, limit, offset)
    return {
        "query": q,
        "kind": kind,
        "limit": limit,
        "offset": offset,
        "total": count(store, q, kind),
        "total_cap": COUNT_CAP,
        "items": [_story_hit(h) if isinstance(h, StoryHit) else _article_hit(h) for h in hits],
    }


@router.get(
    "/topics/{topic}", summary="Stories of one topic, newest first", response_model=TopicOut
)
def api_topic(
    request: Request,
    topic: Annotated[str, Path(max_length=32)],
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    key = topic.strip().casefold()
    if key not in TOPICS:
        raise NotFoundError(f"Herald has no topic called {topic!r}")
    herald = herald_of(request)
    store, now = herald.store, herald.clock.now()
    found = browse.topic_stories(store, key, limit, offset)
    return {
        "topic": key,
        "name": topic_name(key),
        "limit": limit,
        "offset": offset,
        "total": found.total,
        "items": _story_items(store, found.stories, now),
    }


@router.get(
    "/entities/{name:path}",
    summary="Stories that name a person, place or organization, newest first",
    response_model=EntityOut,
)
def api_entity(
    request: Request,
    name: Annotated[str, Path(min_length=1, max_length=200)],
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    herald = herald_of(request)
    store, now = herald.store, herald.clock.now()
    found = browse.entity_stories(store, name, limit, offset)
    return {
        "name": browse.entity_display_name(found.stories, name),
        "limit": limit,
        "offset": offset,
        "total": found.total,
        "items": _story_items(store, found.stories, now),
    }


@router.get(
    "/outlets/{name:path}",
    summary="An outlet: its feeds, articles per day, recent articles and stories",
    response_model=OutletOut,
)
def api_outlet(
    request: Request,
    name: Annotated[str, Path(min_length=1, max_length=2048)],
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    herald = herald_of(request)
    store, now = herald.store, herald.clock.now()
    feeds = browse.outlet_sources(store, name)
    if not feeds:
        raise NotFoundError(f"Herald reads no outlet called {name!r}")
    ids = [f.id for f in feeds]
    found = browse.outlet_stories(store, ids, limit, offset)
    days = daily_counts(browse.outlet_article_times(store, ids, now, CHART_DAYS), now, CHART_DAYS)
    return {
        "name": feeds[0].outlet_name,
        "feeds": [asdict(feed_view(f)) for f in feeds],
        "articles_per_day": [
            {"date": p.start.date().isoformat(), "articles": p.count} for p in days
        ],
        "recent_articles": [_article(a) for a in browse.outlet_articles(store, ids, 10)],
        "limit": limit,
        "offset": offset,
        "total": found.total,
        "items": _story_items(store, found.stories, now),
    }
