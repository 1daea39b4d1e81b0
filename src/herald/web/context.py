"""Per-request plumbing: the Herald instance, the current reader and account, cookies, CSRF.

A browser is one of two things. Logged in: the ``herald_session`` cookie holds an opaque
session token (the database keeps only its SHA-256) and the reader is the account's. Or
anonymous: the signed ``herald_reader`` cookie names a reader without an account. A reader
that has an account is reachable through a session only, so logging out really logs out.

Who a request is costs one query (``herald.store.visitor``), made once per request and
never kept beyond it: it also brings the reader's follows, mutes and profile row, and the
feed's data version.

Session lifetimes and login limits run on the real wall clock, also when the ``now`` setting
freezes Herald's clock for a replay: they are about elapsed time in the reader's world.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response

from herald.app import Herald
from herald.store import feedcache
from herald.store.accounts import MAX_TOKEN, Accounts, token_hash
from herald.store.visitor import Visit, visit_by_session, visit_by_token
from herald.types import Account, Reader
from herald.web.security import (
    COOKIE_MAX_AGE,
    CSRF_COOKIE,
    READER_COOKIE,
    csrf_token,
    csrf_valid,
    new_nonce,
    sign,
    unsign,
)

T = TypeVar("T")
SESSION_COOKIE = "herald_session"
# request.state caches of this request's look-ups (a 1-tuple: None is an answer too)
_VISIT_KEY = "herald_visit"
_COOKIE_KEY = "herald_cookie_visit"
_VERSION_KEY = "herald_feed_version"


def herald_of(request: Request) -> Herald:
    herald: Herald = request.app.state.herald
    return herald


def secret_of(request: Request) -> str:
    key: str = request.app.state.secret_key
    return key


def accounts_of(request: Request) -> Accounts:
    """The app's ``Accounts`` (made by ``accounts.install``; kept: it caches a dummy hash)."""
    found: Accounts | None = getattr(request.app.state, "accounts", None)
    if found is None:
        herald = herald_of(request)
        found = Accounts(herald.store, session_days=herald.settings.session_days)
        request.app.state.accounts = found
    return found


def wall_now() -> datetime:
    """The real time, for session expiry and login limits."""
    return datetime.now(UTC)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# ---------------------------------------------------------------------- who is this


def _cached(request: Request, key: str, load: Callable[[], T]) -> T:
    found: tuple[T] | None = getattr(request.state, key, None)
    if found is None:
        found = (load(),)
        setattr(request.state, key, found)
    return found[0]


def current_visit(request: Request) -> Visit | None:
    """This request's reader, looked up once: the live session's account and reader, else
    the anonymous cookie's reader (one without an account), else None."""
    return _cached(request, _VISIT_KEY, lambda: _session_visit(request) or cookie_visit(request))


def _session_visit(request: Request) -> Visit | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > MAX_TOKEN:
        return None
    return visit_by_session(herald_of(request).store, token_hash(token), wall_now())


def cookie_visit(request: Request) -> Visit | None:
    """The reader named by the signed cookie, unless it belongs to an account."""

    def load() -> Visit | None:
        token = unsign(secret_of(request), request.cookies.get(READER_COOKIE))
        return None if token is None else visit_by_token(herald_of(request).store, token)

    return _cached(request, _COOKIE_KEY, load)


def current_account(request: Request) -> Account | None:
    """The account of this browser's live session, or None (anonymous or logged out)."""
    visit = current_visit(request)
    return visit.account if visit is not None else None


def is_admin(request: Request) -> bool:
    """True for a logged-in account whose email is listed in the ``admin_emails`` setting."""
    account = current_account(request)
    if account is None:
        return False
    listed = herald_of(request).settings.admin_emails.split(",")
    return account.email in {e.strip().lower() for e in listed if e.strip()}


def anonymous_reader(request: Request) -> Reader | None:
    """The reader named by the signed cookie, unless it belongs to an account."""
    visit = cookie_visit(request)
    return visit.reader if visit is not None else None


def current_reader(request: Request) -> Reader | None:
    """The logged-in account's reader, else the anonymous cookie reader, else None."""
    visit = current_visit(request)
    return visit.reader if visit is not None else None


def feed_version(request: Request) -> str:
    """The feed's data version, as this request's reader look-up read it (or read now)."""
    visit = current_visit(request)
    if visit is not None:
        return visit.feed_version
    return _cached(request, _VERSION_KEY, lambda: feedcache.current(herald_of(request).store))


def ensure_reader(request: Request, response: Response) -> Reader:
    """The current reader, created (and its cookie set on ``response``) on first use."""
    reader = current_reader(request)
    if reader is not None:
        return reader
    herald = herald_of(request)
    reader = herald.store.create_reader(herald.clock.now())
    set_reader_cookie(request, response, reader)
    return reader


# ---------------------------------------------------------------------- cookies


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_reader_cookie(request: Request, response: Response, reader: Reader) -> None:
    response.set_cookie(
        READER_COOKIE,
        sign(secret_of(request), reader.token),
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    days = herald_of(request).settings.session_days
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(days * 86_400),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", secure=_secure(request), httponly=True, samesite="lax")


def rotate_csrf(request: Request, response: Response) -> None:
    """A fresh CSRF nonce when who the browser is changes (log in, sign up, log out)."""
    request.state.csrf_nonce = new_nonce()
    response.set_cookie(
        CSRF_COOKIE,
        request.state.csrf_nonce,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


# ---------------------------------------------------------------------- CSRF


def form_token(request: Request) -> str:
    """The CSRF token forms on this page carry."""
    return csrf_token(secret_of(request), request.state.csrf_nonce)


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a state-changing request without a valid token or from another origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise HTTPException(status_code=403, detail="cross-site request refused")
    nonce = request.cookies.get(CSRF_COOKIE)
    if not csrf_valid(secret_of(request), nonce, token):
        raise HTTPException(status_code=403, detail="missing or invalid CSRF token")
