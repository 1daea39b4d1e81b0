"""Sign up, log in and out, the account page, data export and deletion.

Signing up binds the account to the browser's anonymous profile, so its follows, mutes and
reading history are kept. Logging in merges the anonymous profile's choices into the account's
(the account's own choices win). Every POST checks the CSRF token; every log-in or sign-up
starts a fresh session and a fresh CSRF nonce.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from herald.exceptions import AuthError, RateLimitedError
from herald.store.accounts import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    Accounts,
    check_new_password,
    empty_export,
    normalize_email,
)
from herald.types import Account, Reader
from herald.web.context import (
    SESSION_COOKIE,
    accounts_of,
    anonymous_reader,
    check_csrf,
    clear_cookie,
    client_ip,
    current_account,
    current_reader,
    herald_of,
    rotate_csrf,
    set_session_cookie,
    wall_now,
)
from herald.web.pages import render
from herald.web.security import READER_COOKIE, safe_next

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
DONE = {
    "deleted": "Your account and everything Herald kept about you are deleted.",
    "forgotten": "This browser's profile and everything Herald kept about it are deleted.",
}
FEEDS = (("RSS", "personal_rss"), ("Atom", "personal_atom"), ("JSON Feed", "personal_json"))
Text = Annotated[str, Form()]


def install(app: FastAPI) -> None:
    """Add the account pages to ``app`` and the ``current_account`` helper to its templates."""
    herald = app.state.herald
    app.state.accounts = Accounts(herald.store, session_days=herald.settings.session_days)
    app.include_router(router)
    app.state.templates.env.globals["current_account"] = current_account


# ---------------------------------------------------------------------- page helpers


def _page(
    request: Request,
    name: str,
    context: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    base = {
        "nav": "account",
        "errors": {},
        "form_error": "",
        "min_password": MIN_PASSWORD,
        "max_password": MAX_PASSWORD,
    }
    response = render(request, name, base | context, status)
    response.headers.update(NO_STORE | (headers or {}))
    return response


def _refused(request: Request, name: str, e: AuthError, context: dict[str, Any]) -> Response:
    """The form again, with the error: 429 and Retry-After when rate limited, else 400."""
    if isinstance(e, RateLimitedError):
        headers = {"Retry-After": str(e.retry_after)}
        return _page(request, name, context | {"form_error": str(e)}, 429, headers)
    if e.field:
        return _page(request, name, context | {"errors": {e.field: str(e)}}, 400)
    return _page(request, name, context | {"form_error": str(e)}, 400)


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303, headers=NO_STORE)


def _start_session(request: Request, response: Response, account: Account) -> None:
    """Log ``account`` in on ``response``: a fresh session, no reader cookie, a new CSRF nonce."""
    accounts = accounts_of(request)
    accounts.end_session(request.cookies.get(SESSION_COOKIE))
    set_session_cookie(request, response, accounts.start_session(account.id, wall_now()))
    clear_cookie(request, response, READER_COOKIE)
    rotate_csrf(request, response)


def _forget_browser(request: Request, response: Response) -> None:
    clear_cookie(request, response, SESSION_COOKIE)
    clear_cookie(request, response, READER_COOKIE)
    rotate_csrf(request, response)


# ---------------------------------------------------------------------- sign up


@router.get("/signup")
def signup_page(request: Request, next: Annotated[str, Query()] = "") -> Response:
    if current_account(request) is not None:
        return _redirect("/account")
    return _page(request, "signup.html", {"email": "", "next": safe_next(next, "")})


def _signup_errors(email: str, password: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    try:
        normalize_email(email)
    except AuthError as e:
        errors["email"] = str(e)
    try:
        check_new_password(password)
    except AuthError as e:
        errors["password"] = str(e)
    return errors


@router.post("/signup")
def signup(
    request: Request, csrf: Text = "", email: Text = "", password: Text = "", next: Text = ""
) -> Response:
    check_csrf(request, csrf)
    if current_account(request) is not None:
        return _redirect("/account")
    context = {"email": email.strip()[:320], "next": safe_next(next, "")}
    errors = _signup_errors(email, password)
    if errors:
        return _page(request, "signup.html", context | {"errors": errors}, 400)
    try:
        account = _create_account(request, email, password)
    except AuthError as e:
        return _refused(request, "signup.html", e, context)
    response = _redirect(safe_next(next, "/account"))
    _start_session(request, response, account)
    return response


def _create_account(request: Request, email: str, password: str) -> Account:
    """An account bound to the browser's anonymous profile (or to a new one)."""
    herald, accounts, ip = herald_of(request), accounts_of(request), client_ip(request)
    held = accounts.take_signup(ip, wall_now())  # counted first: sign-ups at once cannot pass
    reader = anonymous_reader(request)
    fresh = reader is None
    if reader is None:
        reader = herald.store.create_reader(herald.clock.now())
    try:
        account = accounts.create(reader.id, email, password, herald.clock.now())
    except AuthError:
        accounts.release(held)  # a refused sign-up does not count
        if fresh:
            accounts.delete_reader(reader.id)
        raise
    return account


# ---------------------------------------------------------------------- log in and out


@router.get("/login")
def login_page(request: Request, next: Annotated[str, Query()] = "") -> Response:
    if current_account(request) is not None:
        return _redirect(safe_next(next, "/account"))
    return _page(request, "login.html", {"email": "", "next": safe_next(next, "")})


@router.post("/login")
def login(
    request: Request, csrf: Text = "", email: Text = "", password: Text = "", next: Text = ""
) -> Response:
    check_csrf(request, csrf)
    accounts = accounts_of(request)
    context = {"email": email.strip()[:320], "next": safe_next(next, "")}
    try:
        account = accounts.authenticate(email, password, client_ip(request), wall_now())
    except AuthError as e:
        return _refused(request, "login.html", e, context)
    anonymous = anonymous_reader(request)
    if anonymous is not None:
        accounts.merge_readers(anonymous.id, account.reader_id)
    response = _redirect(safe_next(next, "/"))
    _start_session(request, response, account)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Text = "", next: Text = "") -> Response:
    check_csrf(request, csrf)
    accounts_of(request).end_session(request.cookies.get(SESSION_COOKIE))
    response = _redirect(safe_next(next, "/"))
    _forget_browser(request, response)
    return response


# ---------------------------------------------------------------------- the account page


def _account_context(request: Request, done: str = "") -> dict[str, Any]:
    return {
        "account": current_account(request),
        "reader": current_reader(request),
        "done": DONE.get(done, ""),
    }


@router.get("/account")
def account_page(request: Request, done: Annotated[str, Query(max_length=20)] = "") -> Response:
    return _page(request, "account.html", _account_context(request, done))


@router.get("/account/export.json")
def export(request: Request) -> Response:
    reader = current_reader(request)
    now = wall_now()
    if reader is None:
        data = empty_export(now)
    else:
        data = accounts_of(request).export(reader.id, now, _feed_urls(request, reader))
    name = f"herald-export-{now:%Y-%m-%d}.json"
    headers = NO_STORE | {"Content-Disposition": f'attachment; filename="{name}"'}
    body = json.dumps(data, indent=2, ensure_ascii=False)
    return Response(body, media_type="application/json", headers=headers)


def _feed_urls(request: Request, reader: Reader) -> dict[str, str]:
    return {label: str(request.url_for(n, secret=reader.feed_secret)) for label, n in FEEDS}


@router.post("/account/delete")
def delete(request: Request, csrf: Text = "", password: Text = "", confirm: Text = "") -> Response:
    check_csrf(request, csrf)
    accounts = accounts_of(request)
    account = current_account(request)
    if account is not None:
        try:
            accounts.confirm_password(account, password, client_ip(request), wall_now())
        except RateLimitedError as e:
            return _refused(request, "account.html", e, _account_context(request))
        except AuthError:
            wrong = AuthError("That is not your password.", "password")
            return _refused(request, "account.html", wrong, _account_context(request))
        accounts.delete_reader(account.reader_id)
        response = _redirect("/account?done=deleted")
    else:
        if confirm != "yes":
            unsure = AuthError("Tick the box to confirm.", "confirm")
            return _refused(request, "account.html", unsure, _account_context(request))
        reader = anonymous_reader(request)
        if reader is not None:
            accounts.delete_reader(reader.id)
        response = _redirect("/account?done=forgotten")
    _forget_browser(request, response)
    return response
