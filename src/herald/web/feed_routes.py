"""Feeds out over HTTP: a public trio and secret per-reader RSS, Atom and JSON Feed URLs."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from herald.app import Herald
from herald.exceptions import NotFoundError
from herald.types import Reader
from herald.web import feeds_out, queries
from herald.web.context import herald_of

router = APIRouter(include_in_schema=False)
FEED_SIZE = 30
FEED_METHODS = ["GET", "HEAD"]


def _document(request: Request, herald: Herald, reader: Reader | None, fmt: str) -> Response:
    now = herald.clock.now()
    cards = queries.ranked_feed(herald.store, reader, now, herald.settings.feed_days, FEED_SIZE)
    home = str(request.base_url)

    def story_url(story_id: int) -> str:
        return str(request.url_for("story_page", story_id=story_id))

    entries = [
        feeds_out.entry_for(c, story_url(c.story.id), herald.store.story_articles) for c in cards
    ]
    title = "Herald: your feed" if reader is not None else "Herald: top stories"
    description = (
        "Articles written with AI by Herald from the cited reporting of independent outlets, "
        + (
            "customized for you."
            if reader is not None and reader.personalized
            else "ranked for everyone."
        )
    )
    updated = max((e.updated for e in entries), default=now)
    meta = feeds_out.FeedMeta(title, description, home, str(request.url), updated)
    body = feeds_out.RENDERERS[fmt](meta, entries)
    headers = {"Cache-Control": "private, max-age=300" if reader else "public, max-age=300"}
    if reader is not None:
        headers["X-Robots-Tag"] = "noindex"
    return Response(body, media_type=feeds_out.MEDIA_TYPES[fmt], headers=headers)


def _reader(herald: Herald, secret: str) -> Reader:
    if not secret:
        raise NotFoundError("unknown or revoked feed address")
    return herald.store.reader_by_feed_secret(secret)


@router.api_route("/feed.rss", methods=FEED_METHODS, name="public_rss")
def public_rss(request: Request) -> Response:
    return _document(request, herald_of(request), None, "rss")


@router.api_route("/feed.atom", methods=FEED_METHODS, name="public_atom")
def public_atom(request: Request) -> Response:
    return _document(request, herald_of(request), None, "atom")


@router.api_route("/feed.json", methods=FEED_METHODS, name="public_json")
def public_json(request: Request) -> Response:
    return _document(request, herald_of(request), None, "json")


@router.api_route("/feeds/{secret}.rss", methods=FEED_METHODS, name="personal_rss")
def personal_rss(request: Request, secret: str) -> Response:
    herald = herald_of(request)
    return _document(request, herald, _reader(herald, secret), "rss")


@router.api_route("/feeds/{secret}.atom", methods=FEED_METHODS, name="personal_atom")
def personal_atom(request: Request, secret: str) -> Response:
    herald = herald_of(request)
    return _document(request, herald, _reader(herald, secret), "atom")


@router.api_route("/feeds/{secret}.json", methods=FEED_METHODS, name="personal_json")
def personal_json(request: Request, secret: str) -> Response:
    herald = herald_of(request)
    return _document(request, herald, _reader(herald, secret), "json")
