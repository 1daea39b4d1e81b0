"""Browsing and search pages: topics, entities, outlets, /search, and the OPML of followed feeds.

``install(app)`` adds these pages, the matching JSON API (``browse_api``), the template
filters ``topic_url``, ``entity_url`` and ``outlet_url`` for links to these pages, and the one
error shape to the OpenAPI schema (``api_schema``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from herald.exceptions import NotFoundError
from herald.ingest.opml import write_opml
from herald.rank.topics import TOPICS, topic_name
from herald.store import browse
from herald.store.search import COUNT_CAP, ArticleHit, SearchKind, StoryHit, count, search
from herald.web import api_schema, browse_api
from herald.web.browse_views import (
    article_hit_item,
    article_item,
    daily_chart,
    entity_url,
    feed_view,
    outlet_url,
    pager,
    story_hit_item,
    story_items,
    topic_url,
)
from herald.web.context import current_reader, herald_of
from herald.web.pages import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
MAX_PAGE = 50
MAX_NAME = 200
MAX_OUTLET = 2048
MAX_QUERY = 500
OUTLET_ARTICLES = 10
CHART_DAYS = 30

Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def _offset(page: int) -> int:
    return (page - 1) * PAGE_SIZE


@router.get("/topics/{topic}", name="topic_page")
def topic_page(
    request: Request, topic: Annotated[str, Path(max_length=32)], page: Page = 1
) -> Response:
    key = topic.strip().casefold()
    if key not in TOPICS:
        raise NotFoundError(f"Herald has no topic called {topic!r}")
    if key != topic:
        return RedirectResponse(topic_url(key), status_code=301)
    herald = herald_of(request)
    found = browse.topic_stories(herald.store, key, PAGE_SIZE + 1, _offset(page))
    context = {
        "self_url": topic_url(key),
        "topic": key,
        "name": topic_name(key),
        "total": found.total,
        "items": story_items(herald.store, found.stories[:PAGE_SIZE], herald.clock.now()),
        "pager": pager(topic_url(key), {}, page, PAGE_SIZE, len(found.stories) > PAGE_SIZE),
    }
    return render(request, "topic.html", context)


@router.get("/entities/{name:path}", name="entity_page")
def entity_page(
    request: Request,
    name: Annotated[str, Path(min_length=1, max_length=MAX_NAME)],
    page: Page = 1,
) -> Response:
    herald = herald_of(request)
    found = browse.entity_stories(herald.store, name, PAGE_SIZE + 1, _offset(page))
    context = {
        "self_url": entity_url(name),
        "name": browse.entity_display_name(found.stories, name),
        "total": found.total,
        "items": story_items(herald.store, found.stories[:PAGE_SIZE], herald.clock.now()),
        "pager": pager(entity_url(name), {}, page, PAGE_SIZE, len(found.stories) > PAGE_SIZE),
    }
    return render(request, "entity.html", context)


@router.get("/outlets/{name:path}", name="outlet_page")
def outlet_page(
    request: Request,
    name: Annotated[str, Path(min_length=1, max_length=MAX_OUTLET)],
    page: Page = 1,
) -> Response:
    herald = herald_of(request)
    store, now = herald.store, herald.clock.now()
    feeds = browse.outlet_sources(store, name)
    if not feeds:
        raise NotFoundError(f"Herald reads no outlet called {name!r}")
    ids = [f.id for f in feeds]
    found = browse.outlet_stories(store, ids, PAGE_SIZE + 1, _offset(page))
    context = {
        "self_url": outlet_url(name),
        "name": feeds[0].outlet_name,
        "feeds": [feed_view(f) for f in feeds],
        "chart": daily_chart(browse.outlet_article_times(store, ids, now, CHART_DAYS), now),
        "chart_days": CHART_DAYS,
        "articles": [
            article_item(a, now) for a in browse.outlet_articles(store, ids, OUTLET_ARTICLES)
        ],
        "total": found.total,
        "items": story_items(store, found.stories[:PAGE_SIZE], now),
        "pager": pager(outlet_url(name), {}, page, PAGE_SIZE, len(found.stories) > PAGE_SIZE),
    }
    return render(request, "outlet.html", context)


@router.get("/search", name="search_page")
def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    kind: SearchKind = SearchKind.STORIES,
    page: Page = 1,
) -> Response:
    herald = herald_of(request)
    store, now = herald.store, herald.clock.now()
    query = " ".join(q.split())
    hits = search(store, query, kind, PAGE_SIZE + 1, _offset(page)) if query else []
    context: dict[str, Any] = {
        "q": query,
        "kind": kind.value,
        "counts": {k.value: count(store, query, k) for k in SearchKind} if query else {},
        "count_cap": COUNT_CAP,
        "stories": [story_hit_item(h, now) for h in hits[:PAGE_SIZE] if isinstance(h, StoryHit)],
        "articles": [
            article_hit_item(h, now) for h in hits[:PAGE_SIZE] if isinstance(h, ArticleHit)
        ],
        "pager": pager(
            "/search", {"q": query, "kind": kind.value}, page, PAGE_SIZE, len(hits) > PAGE_SIZE
        ),
        "nav": "search",
    }
    return render(request, "search.html", context)


@router.get("/settings/sources.opml", name="sources_opml")
def sources_opml(request: Request) -> Response:
    herald = herald_of(request)
    reader = current_reader(request)
    feeds = browse.followed_sources(herald.store, reader)
    body = write_opml(feeds, title="Herald: feeds of the outlets you follow")
    headers = {
        "Content-Disposition": 'attachment; filename="herald-sources.opml"',
        "Cache-Control": "private, no-store",
        "X-Robots-Tag": "noindex",
    }
    return Response(body, media_type="text/x-opml; charset=utf-8", headers=headers)


def install(app: FastAPI) -> None:
    """Add the browse and search pages, their API, link filters and the API's error shape."""
    app.include_router(router)
    app.include_router(browse_api.router)
    app.state.templates.env.filters.update(
        topic_url=topic_url, entity_url=entity_url, outlet_url=outlet_url
    )
    api_schema.install(app)
