"""The reader's side of the learning feed: reading signals, "show less like this", hiding a
story, and onboarding (``/welcome``).

Implicit signals come from ``herald.js`` as a JSON beacon to ``POST /signals``: same origin
only, with the page's CSRF token in the ``X-CSRF-Token`` header (``navigator.sendBeacon``
cannot set headers, so its plain-text body may carry the token as ``csrf`` instead), validated
and rate-capped (counted in the database: the cap holds across all web worker processes).
Nothing is recorded for a visitor without a reader profile: Herald starts learning from
reading once the visitor has chosen something (onboarding, a follow or mute, "show less like
this" or hiding a story).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Form, HTTPException, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse

from herald.rank.regions import region_key, regions_of
from herald.rank.topics import TOPICS, topic_name
from herald.store.signal_caps import count_signal
from herald.store.signals import record_signal
from herald.store.store import Store
from herald.types import FollowKind, Preference, Reader, SignalKind
from herald.web import queries
from herald.web.context import check_csrf, current_reader, ensure_reader, herald_of, wall_now
from herald.web.pages import render
from herald.web.reasons import NOTICES
from herald.web.security import safe_next

router = APIRouter(include_in_schema=False)

CSRF_HEADER = "x-csrf-token"
BEACON_KINDS = {SignalKind.OPEN, SignalKind.READ, SignalKind.CITATION}
BEACON_TYPES = ("application/json", "text/plain")
MAX_BEACON_BYTES = 1024
MAX_READ_SECONDS = 86_400.0  # a longer "read" is not a reading time
RATE_LIMIT = 60  # signals per reader per minute (all worker processes together)
FEEDBACK = {"less": SignalKind.LESS, "hide": SignalKind.HIDE}
WELCOME_OUTLETS = 60
MAX_CHOICES = 300
MAX_VALUE = 200


# --------------------------------------------------------------------------- rate cap


def check_signal_cap(request: Request, reader_id: int) -> None:
    """Count one signal of the reader; 429 with Retry-After past ``RATE_LIMIT`` a minute.

    Counted in the database (``herald.store.signal_caps``): the cap holds for all the web
    worker processes together, whichever of them answers."""
    store = herald_of(request).store
    wait = count_signal(store, reader_id, RATE_LIMIT, wall_now().timestamp())
    if wait:
        raise HTTPException(429, "too many signals: slow down", {"Retry-After": str(wait)})


# --------------------------------------------------------------------------- the beacon


@dataclass(frozen=True)
class Beacon:
    """A validated signal from herald.js."""

    story_id: int
    kind: SignalKind
    value: float
    csrf: str


def parse_beacon(body: bytes, content_type: str) -> Beacon:
    """Validate a beacon's body; HTTPException 4xx when it is not one."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in BEACON_TYPES:
        raise HTTPException(415, "send the signal as JSON")
    if len(body) > MAX_BEACON_BYTES:
        raise HTTPException(413, "signal too large")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise HTTPException(400, "the signal is not JSON") from e
    if not isinstance(data, dict):
        raise HTTPException(400, "the signal must be a JSON object")
    story, kind, value = data.get("story"), data.get("kind"), data.get("value", 1.0)
    if isinstance(story, bool) or not isinstance(story, int) or not 1 <= story < 2**31:
        raise HTTPException(400, "story must be a story id")
    if kind not in {k.value for k in BEACON_KINDS}:
        raise HTTPException(400, "kind must be open, read or citation")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise HTTPException(400, "value must be a number")
    signal = SignalKind(kind)
    if signal is SignalKind.READ and not 0 < value <= MAX_READ_SECONDS:
        raise HTTPException(400, "a reading time is a positive number of seconds")
    csrf = data.get("csrf", "") if media == "text/plain" else ""
    return Beacon(story, signal, float(value), csrf if isinstance(csrf, str) else "")


def check_same_origin(request: Request) -> None:
    """Refuse what the browser says came from another site."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise HTTPException(403, "cross-site signal refused")
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.url.netloc:
        raise HTTPException(403, "cross-site signal refused")


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 once it is longer than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, "signal too large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, "signal too large")
    return body


@router.post("/signals", status_code=204)
async def post_signal(request: Request) -> Response:
    """Record a reading signal of the current reader (JSON beacon from herald.js)."""
    check_same_origin(request)
    body = await read_limited(request, MAX_BEACON_BYTES)
    beacon = parse_beacon(body, request.headers.get("content-type", ""))
    check_csrf(request, request.headers.get(CSRF_HEADER) or beacon.csrf)
    await run_in_threadpool(_record_beacon, request, beacon)
    return Response(status_code=204)


def _record_beacon(request: Request, beacon: Beacon) -> None:
    reader = current_reader(request)
    if reader is None:
        return  # no profile, no tracking
    check_signal_cap(request, reader.id)
    herald = herald_of(request)
    record_signal(
        herald.store, reader.id, beacon.story_id, beacon.kind, beacon.value, herald.clock.now()
    )


# --------------------------------------------------------------------------- less and hide


def with_notice(target: str, notice: str) -> str:
    """``target`` (a safe local path) with ``notice=...`` added to its query."""
    parts = urlsplit(safe_next(target))
    query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("notice="))
    query = f"{query}&notice={notice}" if query else f"notice={notice}"
    return urlunsplit(("", "", parts.path, query, "feed-status"))


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/stories/{story_id}/less")
def show_less(
    request: Request,
    story_id: Annotated[int, Path(ge=1)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Show less like this: the story goes, and its topic and entities go down."""
    return story_feedback(request, story_id, "less", csrf, next)


@router.post("/stories/{story_id}/hide")
def hide_story(
    request: Request,
    story_id: Annotated[int, Path(ge=1)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Hide a story for good."""
    return story_feedback(request, story_id, "hide", csrf, next)


def story_feedback(request: Request, story_id: int, action: str, csrf: str, next: str) -> Response:
    """Record "less" or "hide"; JSON for herald.js, else a redirect back to ``next``."""
    check_csrf(request, csrf)
    herald = herald_of(request)
    story = herald.store.get_story(herald.store.resolve_story_id(story_id))
    kind, message = FEEDBACK[action], NOTICES[action]
    response: Response
    if wants_json(request):
        response = JSONResponse({"story": story.id, "action": action, "message": message})
    else:
        response = RedirectResponse(with_notice(next, action), status_code=303)
    reader = ensure_reader(request, response)
    check_signal_cap(request, reader.id)
    record_signal(herald.store, reader.id, story.id, kind, 1.0, herald.clock.now())
    return response


# --------------------------------------------------------------------------- onboarding


@dataclass(frozen=True)
class Choice:
    """One checkbox of the onboarding form."""

    value: str
    label: str
    checked: bool
    muted: bool = False


def _key(kind: FollowKind) -> Callable[[str], str]:
    """How values of one kind compare: regions by name ("gb" is "United Kingdom"), the rest
    case-insensitively."""
    return region_key if kind is FollowKind.REGION else str.casefold


def _state(reader: Reader | None, kind: FollowKind) -> dict[str, bool]:
    """Key -> muted, of the reader's preferences of one kind."""
    key = _key(kind)
    prefs = reader.preferences if reader is not None else ()
    return {key(p.value): p.muted for p in prefs if p.kind is kind}


def _choices(
    pairs: Sequence[tuple[str, str]], kind: FollowKind, reader: Reader | None
) -> list[Choice]:
    state = _state(reader, kind)
    key = _key(kind)
    return [
        Choice(v, label, state.get(key(v)) is False, state.get(key(v)) is True)
        for v, label in pairs
    ]


def welcome_outlets(request: Request, reader: Reader | None) -> tuple[list[str], bool]:
    """The outlets to offer, and whether they are only the busiest of many (plus the ones the
    reader already follows)."""
    herald = herald_of(request)
    everything = queries.outlet_names(herald.store)
    if len(everything) <= WELCOME_OUTLETS:
        return everything, False
    now = herald.clock.now()
    pool = queries.feed_pool(herald.store, now, herald.settings.feed_days)
    shown = queries.busiest_outlets(pool, WELCOME_OUTLETS, now)
    known = {o.casefold(): o for o in everything}
    state = _state(reader, FollowKind.OUTLET)
    followed = [known[k] for k, muted in state.items() if k in known and not muted]
    return sorted(dict.fromkeys(shown + followed), key=str.casefold), True


def welcome_context(request: Request, reader: Reader | None) -> dict[str, Any]:
    store = herald_of(request).store
    outlets, busiest = welcome_outlets(request, reader)
    return {
        "reader": reader,
        "topics": _choices([(t, topic_name(t)) for t in TOPICS], FollowKind.TOPIC, reader),
        "regions": _choices(regions_of(queries.source_countries(store)), FollowKind.REGION, reader),
        "outlets": _choices([(o, o) for o in outlets], FollowKind.OUTLET, reader),
        "outlets_busiest": busiest,
        "nav": "welcome",
    }


@router.get("/welcome")
def welcome_page(request: Request) -> Response:
    """Onboarding: topics, regions and outlets to follow, prefilled from the reader's follows."""
    return render(request, "welcome.html", welcome_context(request, current_reader(request)))


def _picked(values: Sequence[str], allowed: Sequence[str], kind: FollowKind) -> list[str]:
    """The known values among ``values``, spelled as Herald spells them."""
    key = _key(kind)
    known = {key(v): v for v in allowed}
    return list(dict.fromkeys(known[key(v)] for v in values if key(v) in known))


def apply_choices(
    store: Store,
    reader: Reader,
    kind: FollowKind,
    chosen: Sequence[str],
    offered: Sequence[str],
    now: datetime,
) -> None:
    """Follow ``chosen``; unfollow what was ``offered``, followed and not chosen (mutes stay)."""
    key = _key(kind)
    keep = {key(v) for v in chosen}
    shown = {key(v) for v in offered}
    for value in chosen:
        store.set_preference(reader.id, Preference(kind, value), now)
    for pref in reader.preferences:
        if pref.kind is kind and not pref.muted and key(pref.value) in shown - keep:
            store.remove_preference(reader.id, kind, pref.value)


@router.post("/welcome")
def save_welcome(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    topic: Annotated[list[str] | None, Form()] = None,
    region: Annotated[list[str] | None, Form()] = None,
    outlet: Annotated[list[str] | None, Form()] = None,
    listed: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Save the onboarding form and show the feed."""
    check_csrf(request, csrf)
    sent = [*(topic or ()), *(region or ()), *(outlet or ()), *(listed or ())]
    if len(sent) > MAX_CHOICES or any(len(v) > MAX_VALUE for v in sent):
        raise HTTPException(400, "too many or too long choices")
    herald = herald_of(request)
    regions = [v for v, _ in regions_of(queries.source_countries(herald.store))]
    outlets = queries.outlet_names(herald.store)
    offered = {
        FollowKind.TOPIC: list(TOPICS),
        FollowKind.REGION: regions,
        FollowKind.OUTLET: _picked(listed or (), outlets, FollowKind.OUTLET),
    }
    ticked = {
        FollowKind.TOPIC: _picked(topic or (), TOPICS, FollowKind.TOPIC),
        FollowKind.REGION: _picked(region or (), regions, FollowKind.REGION),
        FollowKind.OUTLET: _picked(outlet or (), outlets, FollowKind.OUTLET),
    }
    response = RedirectResponse("/", status_code=303)
    reader = ensure_reader(request, response)
    now = herald.clock.now()
    for kind, chosen in ticked.items():
        apply_choices(herald.store, reader, kind, chosen, offered[kind], now)
    return response
