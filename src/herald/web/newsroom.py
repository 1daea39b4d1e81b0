"""Report a problem, the editors' page, and the public corrections page (HTML and JSON).

Readers report a problem from a story page (a plain form: it works without JavaScript).
Reports are capped per reader and per client address, counted in the database so every web
worker sees the same counts. Editors (logged-in accounts listed in ``admin_emails``) review
open reports at ``/admin`` and pull, correct or dismiss; every pull and correction is listed
with its time at ``/corrections`` and ``/api/v1/corrections``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, HTTPException, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from herald.exceptions import StorageError
from herald.store import newsroom
from herald.store.newsroom import Cap, ReportedStory
from herald.store.store import Store
from herald.types import Correction, Reader, RelatedStory, ReportKind, WriteupStatus
from herald.web.context import (
    check_csrf,
    client_ip,
    current_account,
    current_reader,
    herald_of,
    is_admin,
    secret_of,
    wall_now,
)
from herald.web.pages import render
from herald.web.views import ACTION_LABELS, REPORT_KINDS

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["api"])

REPORT_WINDOW = timedelta(minutes=15)  # not longer than the login limits' window (same table)
REPORTS_PER_READER = 5
REPORTS_PER_ADDRESS = 20
CORRECTIONS_PAGE = 50
MAX_PAGE = 200
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
DONE = {
    "pulled": "The article was pulled. The correction is public.",
    "corrected": "The article was corrected. The correction is public.",
    "dismissed": "The reports were dismissed.",
}
Text = Annotated[str, Form()]
Ids = Annotated[list[int] | None, Form()]


def install(app: FastAPI) -> None:
    """Add report, editors' and corrections pages and the corrections API to ``app``."""
    app.include_router(router)
    app.include_router(api_router)


# --------------------------------------------------------------------------- report a problem


def report_caps(request: Request, reader: Reader | None) -> list[Cap]:
    """Caps for this client: its address (kept only as a keyed hash) and its reader."""
    mac = hmac.new(secret_of(request).encode(), client_ip(request).encode(), hashlib.sha256)
    caps = [Cap(f"ip:{mac.hexdigest()[:32]}", REPORTS_PER_ADDRESS, REPORT_WINDOW)]
    if reader is not None:
        caps.append(Cap(f"reader:{reader.id}", REPORTS_PER_READER, REPORT_WINDOW))
    return caps


@router.post("/stories/{story_id}/report", name="report_story")
def report_story(
    request: Request,
    story_id: Annotated[int, Path(ge=1)],
    csrf: Text = "",
    kind: Text = "",
    note: Text = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        report_kind = ReportKind(kind)
    except ValueError as e:
        raise HTTPException(400, "Choose what is wrong with the story.") from e
    clean = newsroom.clean_note(note)
    problem = newsroom.note_problem(clean, required=False)
    if problem:
        raise HTTPException(400, f"The report was not sent: {problem}.")
    store = herald_of(request).store
    target = store.resolve_story_id(story_id)
    reader = current_reader(request)
    filed = newsroom.file_report(
        store,
        target,
        report_kind,
        clean,
        wall_now(),
        reader_id=reader.id if reader else None,
        caps=report_caps(request, reader),
    )
    if filed is None:
        minutes = int(REPORT_WINDOW.total_seconds() // 60)
        raise HTTPException(
            429,
            f"You have sent many reports in a short time. Try again in {minutes} minutes.",
            headers={"Retry-After": str(int(REPORT_WINDOW.total_seconds()))},
        )
    return RedirectResponse(f"/stories/{target}?reported=1#report", status_code=303)


# --------------------------------------------------------------------------- the editors' page


@dataclass(frozen=True)
class SentenceChoice:
    index: int
    text: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class ReviewView:
    """One story with open reports on the editors' page."""

    story_id: int
    headline: str
    status: str
    article: bool
    sentences: tuple[SentenceChoice, ...]
    reported: ReportedStory


def review_view(item: ReportedStory) -> ReviewView:
    w = item.writeup
    article = w is not None and w.status is WriteupStatus.PUBLISHED and bool(w.sentences)
    return ReviewView(
        story_id=item.story.id,
        headline=w.headline if w is not None and article else item.story.title,
        status=w.status.value if w is not None else "no writeup",
        article=article,
        sentences=tuple(SentenceChoice(i, s.text, s.citations) for i, s in enumerate(w.sentences))
        if w is not None and article
        else (),
        reported=item,
    )


def admin_guard(request: Request) -> Response | None:
    """A redirect to log in for visitors, 403 for readers who are not editors, else None."""
    if current_account(request) is None:
        return RedirectResponse("/login?next=/admin", status_code=303)
    if not is_admin(request):
        raise HTTPException(403, "Only Herald's editors can open the editors' page.")
    return None


def admin_page_response(
    request: Request, *, done: str = "", error: tuple[int, str] | None = None, status: int = 200
) -> Response:
    store = herald_of(request).store
    context: dict[str, Any] = {
        "reviews": [review_view(r) for r in newsroom.open_reports(store)],
        "decisions": newsroom.list_corrections(store, limit=20, public=False),
        "action_labels": ACTION_LABELS | {"dismissed": "Dismissed"},
        "report_kinds": dict(REPORT_KINDS),
        "done": DONE.get(done, ""),
        "error_story": error[0] if error else 0,
        "error": error[1] if error else "",
        "nav": "admin",
    }
    response = render(request, "admin.html", context, status)
    response.headers.update(PRIVATE)
    return response


@router.get("/admin", name="admin_page")
def admin_page(request: Request, done: Annotated[str, Query(max_length=16)] = "") -> Response:
    return admin_guard(request) or admin_page_response(request, done=done)


Decision = Callable[[Store, str], object]
"""What an editor's decision does, given the store and the cleaned public note."""


def _decide(
    request: Request, story_id: int, csrf: str, note: str, action: str, run: Decision
) -> Response:
    """An editor's decision: the common checks (editor, CSRF, a public note), then ``run``;
    back to the editors' page with what was done, or with why nothing was."""
    refused = admin_guard(request)
    if refused is not None:
        return refused
    check_csrf(request, csrf)
    clean = newsroom.clean_note(note)
    problem = newsroom.note_problem(clean, required=True)
    if problem:
        message = f"Nothing was {action}: {problem}."
        return admin_page_response(request, error=(story_id, message), status=400)
    try:
        run(herald_of(request).store, clean)
    except StorageError as e:
        message = f"Nothing was {action}: {e}."
        return admin_page_response(request, error=(story_id, message), status=409)
    return RedirectResponse(f"/admin?done={action}", status_code=303)


@router.post("/admin/stories/{story_id}/pull", name="admin_pull")
def admin_pull(
    request: Request,
    story_id: Annotated[int, Path(ge=1)],
    csrf: Text = "",
    note: Text = "",
    report: Ids = None,
) -> Response:
    def run(store: Store, clean: str) -> object:
        return newsroom.pull_story(store, story_id, clean, wall_now(), report_ids=report or [])

    return _decide(request, story_id, csrf, note, "pulled", run)


@router.post("/admin/stories/{story_id}/correct", name="admin_correct")
def admin_correct(
    request: Request,
    story_id: Annotated[int, Path(ge=1)],
    csrf: Text = "",
    note: Text = "",
    report: Ids = None,
    remove: Ids = None,
    rewrite: Text = "",
) -> Response:
    def run(store: Store, clean: str) -> object:
        return newsroom.correct_story(
            store,
            story_id,
            clean,
            wall_now(),
            remove=remove or [],
            rewrite=rewrite == "1",
            report_ids=report or [],
        )

    return _decide(request, story_id, csrf, note, "corrected", run)


@router.post("/admin/stories/{story_id}/dismiss", name="admin_dismiss")
def admin_dismiss(
    request: Request,
    story_id: Annotated[int, Path(ge=1)],
    csrf: Text = "",
    note: Text = "",
    report: Ids = None,
) -> Response:
    def run(store: Store, clean: str) -> object:
        return newsroom.dismiss_reports(store, report or [], clean, wall_now())

    return _decide(request, story_id, csrf, note, "dismissed", run)


# --------------------------------------------------------------------------- corrections


@router.get("/corrections", name="corrections_page")
def corrections_page(
    request: Request, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1
) -> Response:
    store = herald_of(request).store
    offset = (page - 1) * CORRECTIONS_PAGE
    found = newsroom.list_corrections(store, limit=CORRECTIONS_PAGE + 1, offset=offset)
    context = {
        "corrections": found[:CORRECTIONS_PAGE],
        "total": newsroom.count_corrections(store),
        "page": page,
        "has_next": len(found) > CORRECTIONS_PAGE and page < MAX_PAGE,
        "action_labels": ACTION_LABELS,
        "nav": "corrections",
    }
    return render(request, "corrections.html", context)


def correction_json(c: Correction) -> dict[str, Any]:
    return {
        "id": c.id,
        "story_id": c.story_id,
        "story_url": f"/stories/{c.story_id}",
        "headline": c.headline,
        "action": c.action.value,
        "note": c.note,
        "created_at": c.created_at.isoformat(),
    }


def related_json(r: RelatedStory) -> dict[str, Any]:
    return {
        "id": r.story.id,
        "url": f"/stories/{r.story.id}",
        "headline": r.headline,
        "last_seen": r.story.last_seen.isoformat(),
        "outlet_count": r.story.outlet_count,
        "shared_entities": list(r.shared_entities),
        "score": r.score,
    }


@api_router.get("/corrections", summary="Every public correction, newest first")
def api_corrections(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    store = herald_of(request).store
    return {
        "total": newsroom.count_corrections(store),
        "limit": limit,
        "offset": offset,
        "items": [
            correction_json(c) for c in newsroom.list_corrections(store, limit=limit, offset=offset)
        ],
    }
