"""The web app factory: ``create_app(herald)`` returns Herald's ASGI application."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from herald import __version__
from herald.app import Herald
from herald.rank.topics import topic_name
from herald.web import accounts, api, browse, errors, feed_routes, newsroom, pages, reader_routes
from herald.web.security import CSRF_COOKIE, SECURITY_HEADERS, new_nonce

HERE = Path(__file__).resolve().parent
NO_CSRF_COOKIE = ("/api/", "/static/", "/feeds/", "/feed.")


def _iso(value: datetime) -> str:
    return value.isoformat()


def _human_time(value: datetime) -> str:
    return value.strftime("%d %b %Y, %H:%M UTC").lstrip("0")


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates do not change while serving: no stat() per page
    )
    env.filters.update(iso=_iso, human_time=_human_time, topic_name=topic_name)
    env.globals.update(version=__version__)
    return Jinja2Templates(env=env)


class SecurityMiddleware:
    """Give every visitor a CSRF nonce cookie and every response the security headers.

    A plain ASGI middleware (``BaseHTTPMiddleware`` costs a task and a stream per request):
    the nonce goes to ``request.state.csrf_nonce``, the headers into the response's start.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        nonce = request.cookies.get(CSRF_COOKIE) or ""
        fresh = not (16 <= len(nonce) <= 64)
        if fresh:
            nonce = new_nonce()
        request.state.csrf_nonce = nonce
        cookie = None
        if fresh and not request.url.path.startswith(NO_CSRF_COOKIE):
            cookie = _csrf_cookie(nonce, secure=request.url.scheme == "https")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(SECURITY_HEADERS)
                if cookie is not None:
                    headers.append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _csrf_cookie(nonce: str, *, secure: bool) -> str:
    """The ``Set-Cookie`` value of a fresh CSRF nonce (as ``Response.set_cookie`` writes it)."""
    response = Response()
    response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="lax", secure=secure, path="/")
    return response.headers["set-cookie"]


def create_app(herald: Herald) -> FastAPI:
    """Herald's web app: HTML pages, the JSON API and feeds, on one ``Herald``."""
    app = FastAPI(
        title="Herald",
        version=__version__,
        description="A self-hostable AI newsroom: cited, verified articles and a customized feed.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.herald = herald
    app.state.secret_key = herald.secret_key
    app.state.templates = make_templates()
    errors.install(app)
    app.add_middleware(SecurityMiddleware)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(feed_routes.router)
    app.include_router(api.router)
    app.include_router(reader_routes.router)  # signals, less/hide, /welcome
    accounts.install(app)  # sign up, log in, account page; `current_account` in templates
    newsroom.install(app)  # report a problem, /admin, /corrections
    browse.install(app)  # topic, entity and outlet pages, /search, OPML, their API
    return app
