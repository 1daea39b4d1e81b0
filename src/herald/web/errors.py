"""One error shape: JSON ``{"error": {...}}`` under /api, an HTML page everywhere else."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from markupsafe import escape
from starlette.exceptions import HTTPException as StarletteHTTPException

from herald.exceptions import NotFoundError
from herald.web.security import SECURITY_HEADERS

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_request",
    500: "internal_error",
}


def error_body(status: int, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": status,
        "code": CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_")),
        "message": message,
    }
    if details is not None:
        body["details"] = details
    return {"error": body}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str, details: Any = None) -> Response:
    if wants_json(request):
        response: Response = JSONResponse(error_body(status, message, details), status_code=status)
    else:
        response = _html_error(request, status, message)
    response.headers.update(SECURITY_HEADERS)
    return response


def _html_error(request: Request, status: int, message: str) -> Response:
    title = HTTPStatus(status).phrase
    context = {"status": status, "title": title, "message": message, "nav": ""}
    try:
        response: Response = request.app.state.templates.TemplateResponse(
            request, "error.html", context, status_code=status
        )
    except Exception:  # the error page itself failed: fall back to plain, escaped HTML
        log.exception("error page failed")
        body = f"<!doctype html><title>{status}</title><h1>{status} {escape(title)}</h1>"
        response = HTMLResponse(body + f"<p>{escape(message)}</p>", status_code=status)
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail) if exc.detail else HTTPStatus(exc.status_code).phrase
    response = error_response(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": [str(p) for p in e.get("loc", ())], "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    return error_response(request, 422, "the request is not valid", details)


async def not_found(request: Request, exc: Exception) -> Response:
    return error_response(request, 404, str(exc) or "not found")


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(request, 500, "Herald hit an internal error; it has been logged.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(NotFoundError, not_found)
    app.add_exception_handler(Exception, server_error)
