"""Server-rendered HTML pages: the feed, story pages, settings, and preference forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from herald.exceptions import NotFoundError
from herald.rank.topics import TOPICS, topic_name
from herald.types import FollowKind, Preference, Reader, WriteupStatus
from herald.web import cards, queries, reasons, views
from herald.web.context import (
    check_csrf,
    current_reader,
    current_visit,
    ensure_reader,
    feed_version,
    form_token,
    herald_of,
)
from herald.web.inline import read_route
from herald.web.security import safe_next
from herald.write.dateline import labels

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
MAX_PAGE = 50
MAX_VALUE = 200
ACTIONS = {"follow", "mute", "unset"}


def pref_state(reader: Reader | None) -> Callable[[str, object], str]:
    """A template helper: 'follow', 'mute' or '' for (kind, value)."""
    prefs = {(p.kind.value, p.value.casefold()): p for p in reader.preferences} if reader else {}

    def state(kind: str, value: object) -> str:
        pref = prefs.get((kind, str(value).casefold()))
        if pref is None:
            return ""
        return "mute" if pref.muted else "follow"

    return state


def here_of(request: Request) -> str:
    """This page's own address (path and query), where its forms send the reader back."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    reader = context["reader"] if "reader" in context else current_reader(request)
    base = {
        "reader": reader,
        "personalized": reader is not None and reader.personalized,
        "csrf": form_token(request),
        "here": here_of(request),
        "state": pref_state(reader),
        "nav": "",
    }
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, base | context, status_code=status
    )
    return response


@router.get("/")
@read_route
def feed_page(request: Request, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1) -> Response:
    herald = herald_of(request)
    visit = current_visit(request)
    reader = visit.reader if visit is not None else None
    now = herald.clock.now()
    feed = queries.reader_feed(
        herald.store,
        reader,
        now,
        herald.settings.feed_days,
        page * PAGE_SIZE + 1,
        visit,
        feed_version(request),
    )
    ranked = feed.cards
    shown = ranked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    shown_views = [views.card_view(c, now) for c in shown]
    state_of = pref_state(reader)
    context = {
        "reader": reader,
        "personalized": feed.customized,
        "invite": feed.newcomer and page == 1,
        "notice": reasons.NOTICES.get(request.query_params.get("notice", ""), ""),
        "cards": shown_views,
        "cards_html": cards.render_cards(
            request.app.state.templates.env,
            feed.state.cards,
            shown_views,
            [reasons.reason_action(c) for c in shown],
            [state_of("topic", v.topic) if v.topic else "" for v in shown_views],
            form_token(request),
            here_of(request),
        ),
        "page": page,
        "start": (page - 1) * PAGE_SIZE + 1,
        "has_next": len(ranked) > page * PAGE_SIZE and page < MAX_PAGE,
        "nav": "feed",
    }
    return render(request, "feed.html", context)


@router.get("/stories/{story_id}")
@read_route
def story_page(request: Request, story_id: Annotated[int, Path(ge=1)]) -> Response:
    herald = herald_of(request)
    store = herald.store
    state = queries.feed_state(
        store, herald.clock.now(), herald.settings.feed_days, feed_version(request)
    )
    if story_id not in state.pool.by_story:  # the pool's stories are live (not merged)
        resolved = store.resolve_story_id(story_id)
        if resolved != story_id:
            return RedirectResponse(f"/stories/{resolved}", status_code=301)
    story, writeup = queries.story_and_writeup(store, state, story_id)
    if story.article_count <= 0:
        raise NotFoundError(f"no story with id {story_id}")
    article = views.is_article(writeup)
    reader = current_reader(request)
    links = queries.story_links(store, story_id)
    page_url = str(request.url_for("story_page", story_id=story_id))
    context: dict[str, Any] = {
        "reader": reader,
        "story": story,
        "writeup": writeup,
        "article": article,
        "headline": writeup.headline if writeup and article else story.title,
        "pulled": writeup is not None and writeup.status is WriteupStatus.PULLED,
        "topic_name": topic_name(story.topic),
        "dateline": views.story_dateline(story, writeup),
        "paragraphs": views.paragraphs(writeup) if writeup and article else [],
        "links_reason": views.links_reason(writeup, story.outlet_count),
        "coverage": views.coverage(links, writeup),
        "labels": labels(
            story.trending,
            reader is not None and reader.personalized,
            generated=writeup is not None and writeup.status is WriteupStatus.PUBLISHED,
        ),
        "timeline": views.timeline(views.timeline_points([a.published for a in links])),
        "sensitive_note": views.SENSITIVE_NOTE,
        "json_ld": views.script_json(views.json_ld(story, writeup, page_url, str(request.base_url)))
        if writeup and article
        else "",
        "reported": request.query_params.get("reported") == "1",
        **views.story_trust(
            store,
            story,
            queries.related_for(store, state, story),
            queries.corrections_for(store, state, story_id),
        ),
    }
    return render(request, "story.html", context)


@router.get("/settings")
def settings_page(request: Request) -> Response:
    herald = herald_of(request)
    reader = current_reader(request)
    now = herald.clock.now()
    since = now - timedelta(days=herald.settings.feed_days * 3)
    prefs = reader.preferences if reader else ()
    context = {
        "reader": reader,
        "topics": [(t, topic_name(t)) for t in TOPICS],
        "outlets": queries.outlet_names(herald.store),
        "entities": queries.popular_entities(herald.store, since),
        "follows": [p for p in prefs if not p.muted],
        "mutes": [p for p in prefs if p.muted],
        "feed_urls": _feed_urls(request, reader),
        "sources": views.source_health(
            herald.store.list_sources(), herald.store.items_per_day(now)
        ),
        "nav": "settings",
    }
    return render(request, "settings.html", context)


def _feed_urls(request: Request, reader: Reader | None) -> list[tuple[str, str]]:
    if reader is None:
        return []
    names = (("RSS", "personal_rss"), ("Atom", "personal_atom"), ("JSON Feed", "personal_json"))
    return [(label, str(request.url_for(n, secret=reader.feed_secret))) for label, n in names]


def parse_pref(pref: str, kind: str, value: str, action: str) -> tuple[str, FollowKind, str]:
    """(action, kind, value) from a combined ``pref`` button or separate fields."""
    if pref:
        action, _, rest = pref.partition("|")
        kind, _, value = rest.partition("|")
    value = " ".join(value.split())
    try:
        follow_kind = FollowKind(kind)
    except ValueError as e:
        raise HTTPException(400, f"unknown preference kind {kind!r}") from e
    if action not in ACTIONS:
        raise HTTPException(400, f"unknown action {action!r}")
    if not value or len(value) > MAX_VALUE:
        raise HTTPException(400, "a preference needs a value of at most 200 characters")
    if follow_kind is FollowKind.TOPIC and value.casefold() not in TOPICS:
        raise HTTPException(400, f"unknown topic {value!r}")
    if follow_kind is FollowKind.STORY and not value.isdigit():
        raise HTTPException(400, "a story preference needs a story id")
    return action, follow_kind, value.casefold() if follow_kind is FollowKind.TOPIC else value


@router.post("/prefs")
def set_pref(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    pref: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf)
    act, follow_kind, clean = parse_pref(pref, kind, value, action)
    herald = herald_of(request)
    response = RedirectResponse(safe_next(next), status_code=303)
    reader = ensure_reader(request, response)
    if act == "unset":
        herald.store.remove_preference(reader.id, follow_kind, clean)
    else:
        muted = act == "mute"
        herald.store.set_preference(
            reader.id, Preference(follow_kind, clean, muted), herald.clock.now()
        )
    return response


@router.post("/settings/feeds/rotate")
def rotate_feeds(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    response = RedirectResponse("/settings#feeds", status_code=303)
    reader = ensure_reader(request, response)
    herald_of(request).store.rotate_feed_secret(reader.id)
    return response
