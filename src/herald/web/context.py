"""Per-request plumbing: the Herald instance, the current reader and account, cookies, CSRF.

A browser is one of two things. Logged in: the ``herald_session`` cookie holds an opaque
session token (the database keeps only its SHA-256) and the reader is the account's. Or
anonymous: the signed ``herald_reader`` cookie names a reader without an account. A reader
that has an account is reachable through a session only, so logging out really logs out.

Session lifetimes and login limits run on the real wall clock, also when the ``now`` setting
freezes Herald's clock for a replay: they are about elapsed time in the reader's world.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response

from herald.app import Herald
from herald.exceptions import NotFoundError
from herald.store.accounts import Accounts
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

SESSION_COOKIE = "herald_session"
_ACCOUNT_KEY = "herald_account"  # request.state cache of current_account


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


def current_account(request: Request) -> Account | None:
    """The account of this browser's live session, or None (anonymous or logged out)."""
    cached: tuple[Account | None] | None = getattr(request.state, _ACCOUNT_KEY, None)
    if cached is None:
        token = request.cookies.get(SESSION_COOKIE)
        account = accounts_of(request).session_account(token, wall_now()) if token else None
        cached = (account,)
        setattr(request.state, _ACCOUNT_KEY, cached)
    return cached[0]


def is_admin(request: Request) -> bool:
    """True for a logged-in account whose email is listed in the ``admin_emails`` setting."""
    account = current_account(request)
    if account is None:
        return False
    listed = herald_of(request).settings.admin_emails.split(",")
    return account.email in {e.strip().lower() for e in listed if e.strip()}


def anonymous_reader(request: Request) -> Reader | None:
    """The reader named by the signed cookie, unless it belongs to an account."""
    token = unsign(secret_of(request), request.cookies.get(READER_COOKIE))
    if token is None:
        return None
    try:
        reader = herald_of(request).store.reader_by_token(token)
    except NotFoundError:
        return None
    if accounts_of(request).for_reader(reader.id) is not None:
        return None
    return reader


def current_reader(request: Request) -> Reader | None:
    """The logged-in account's reader, else the anonymous cookie reader, else None."""
    account = current_account(request)
    if account is None:
        return anonymous_reader(request)
    try:
        return herald_of(request).store.get_reader(account.reader_id)
    except NotFoundError:
        return None


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
