"""The JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from herald import __version__
from herald.exceptions import NotFoundError
from herald.types import WriteupStatus
from herald.web import queries, serialize
from herald.web.context import current_reader, current_visit, feed_version, herald_of
from herald.web.inline import read_route
from herald.web.jsonresponse import FastJSONResponse
from herald.web.newsroom import correction_json, related_json
from herald.write.dateline import labels

router = APIRouter(prefix="/api/v1", tags=["api"], default_response_class=FastJSONResponse)


@router.get(
    "/feed",
    summary="The feed of the cookie's reader, or the anonymous feed",
    response_model=dict[str, Any],
)
@read_route
def api_feed(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> Response:
    herald = herald_of(request)
    visit = current_visit(request)
    reader = visit.reader if visit is not None else None
    now = herald.clock.now()
    cards = queries.ranked_feed(
        herald.store,
        reader,
        now,
        herald.settings.feed_days,
        offset + limit,
        visit,
        feed_version(request),
    )
    # Plain JSON already: encoded here, as FastAPI's generic encoding of a returned value
    # would cost more than ranking the feed.
    return FastJSONResponse(
        {
            "personalized": reader is not None and reader.personalized,
            "generated_at": now.isoformat(),
            "limit": limit,
            "offset": offset,
            "items": [serialize.card_json(c) for c in cards[offset:]],
        }
    )


@router.get("/stories", summary="Stories, most trending first")
def api_stories(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    store = herald_of(request).store
    found = store.list_stories(limit=limit, offset=offset)
    outlets = store.story_outlets([s.id for s in found])
    return {
        "limit": limit,
        "offset": offset,
        "items": [serialize.story_json(s, outlets.get(s.id, [])) for s in found],
    }


@router.get("/stories/{story_id}", summary="One story with its writeup, sources and labels")
def api_story(request: Request, story_id: Annotated[int, Path(ge=1)]) -> dict[str, Any]:
    herald = herald_of(request)
    store = herald.store
    state = queries.feed_state(
        store, herald.clock.now(), herald.settings.feed_days, feed_version(request)
    )
    resolved = story_id
    if story_id not in state.pool.by_story:  # the pool's stories are live (not merged)
        resolved = store.resolve_story_id(story_id)
    story, writeup = queries.story_and_writeup(store, state, resolved)
    if story.article_count <= 0:
        raise NotFoundError(f"no story with id {story_id}")
    reader = current_reader(request)
    articles = store.story_articles(story.id)
    outlets = sorted({a.outlet for a in articles}, key=str.casefold)
    return {
        "story": serialize.story_json(story, outlets),
        "writeup": serialize.writeup_json(writeup) if writeup else None,
        "dateline": writeup.dateline if writeup and writeup.dateline else None,
        "labels": list(
            labels(
                story.trending,
                reader is not None and reader.personalized,
                generated=writeup is not None and writeup.status is WriteupStatus.PUBLISHED,
            )
        ),
        "articles": [serialize.article_json(a) for a in articles],
        "corrections": [
            correction_json(c) for c in queries.corrections_for(store, state, story.id)
        ],
        "related": [related_json(r) for r in queries.related_for(store, state, story)],
    }


@router.get("/health", summary="Pipeline progress counts")
def api_health(request: Request) -> dict[str, Any]:
    herald = herald_of(request)
    return {
        "status": "ok",
        "version": __version__,
        "time": herald.clock.now().isoformat(),
        "counts": herald.store.stage_counts(),
    }
