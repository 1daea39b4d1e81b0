"""Per-request plumbing: the Herald instance, the reader from the cookie, CSRF checks."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response

from herald.app import Herald
from herald.exceptions import NotFoundError
from herald.types import Reader
from herald.web.security import (
    COOKIE_MAX_AGE,
    CSRF_COOKIE,
    READER_COOKIE,
    csrf_token,
    csrf_valid,
    sign,
    unsign,
)


def herald_of(request: Request) -> Herald:
    herald: Herald = request.app.state.herald
    return herald


def secret_of(request: Request) -> str:
    key: str = request.app.state.secret_key
    return key


def current_reader(request: Request) -> Reader | None:
    """The reader named by the signed cookie, or None (anonymous)."""
    token = unsign(secret_of(request), request.cookies.get(READER_COOKIE))
    if token is None:
        return None
    try:
        return herald_of(request).store.reader_by_token(token)
    except NotFoundError:
        return None


def ensure_reader(request: Request, response: Response) -> Reader:
    """The current reader, created (and its cookie set on ``response``) on first use."""
    reader = current_reader(request)
    if reader is not None:
        return reader
    herald = herald_of(request)
    reader = herald.store.create_reader(herald.clock.now())
    response.set_cookie(
        READER_COOKIE,
        sign(secret_of(request), reader.token),
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return reader


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
