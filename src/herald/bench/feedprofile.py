"""Where a feed request's time goes: cProfile over a loop of single requests, in process.

The route's own endpoint function is called directly (on a real ``Request`` with the signed
cookie of a different seeded reader each time), in this thread, so cProfile sees all of it:
the reader look-up, the feed's queries and ranking, the view models and the template. What
the profile cannot see is the HTTP layer around it (uvicorn, middleware, the thread hop of a
sync endpoint, and for a JSON endpoint FastAPI's validation of the returned value: here it is
only encoded, as ``JSONResponse`` does); the load benchmark measures all of it.

Reported: the first request alone (cold caches), then the mean of ``requests`` more without
the profiler, then one profiled pass: the time per request by area (Herald's code by module,
the database driver, SQLAlchemy, Jinja, NumPy...), the functions with the most cumulative and
the most own time, and a few named steps of the feed path (those that exist in this version).
The profiler slows Python code down much more than C code (SQLite, JSON), so the steps are
also given scaled to the unprofiled mean (``steps_estimated_ms``): a rough split, which
overstates the database's share and understates Python's.
"""

from __future__ import annotations

import cProfile
import inspect
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import Request

from herald.exceptions import ConfigError

__all__ = ["STEPS", "profile_endpoint"]

# (file path suffix, function): steps of the feed path worth naming when they exist.
STEPS = (
    ("herald/web/context.py", "current_visit"),
    ("herald/store/visitor.py", "visit_by_token"),
    ("herald/store/visitor.py", "visit_by_session"),
    ("herald/web/queries.py", "ranked_feed"),
    ("herald/web/queries.py", "reader_feed"),
    ("herald/web/queries.py", "feed_state"),
    ("herald/web/queries.py", "feed_inputs"),
    ("herald/web/queries.py", "learned_for"),
    ("herald/rank/pool.py", "build_pool"),
    ("herald/rank/feed.py", "rank_pool"),
    ("herald/rank/feed.py", "score"),
    ("herald/rank/feed.py", "select"),
    ("herald/web/views.py", "card_view"),
    ("herald/web/cards.py", "render_cards"),
    ("herald/web/pages.py", "render"),
    ("herald/web/serialize.py", "card_json"),
)
AREAS = (
    ("/herald/", "herald"),
    ("sqlalchemy", "sqlalchemy"),
    ("psycopg", "psycopg"),
    ("jinja2", "jinja2"),
    ("numpy", "numpy"),
    ("starlette", "starlette/fastapi"),
    ("fastapi", "starlette/fastapi"),
    ("pydantic", "pydantic"),
    ("json", "json"),
)
TOP = 25


def profile_endpoint(
    app: FastAPI, path: str, cookies: list[bytes], requests: int
) -> dict[str, Any]:
    """Profile ``requests`` GETs of ``path`` (each with the next cookie of ``cookies``)."""
    call = _caller(app, path)
    started = time.perf_counter()
    call(cookies[0])
    cold = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(requests):
        call(cookies[(i + 1) % len(cookies)])
    warm = (time.perf_counter() - started) / requests
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(requests):
        call(cookies[(i + 1) % len(cookies)])
    profiler.disable()
    stats = pstats.Stats(profiler)
    profiled = _ms(stats.total_tt, requests)  # type: ignore[attr-defined]
    steps = _steps(stats, requests)
    scale = 1000 * warm / profiled if profiled else 0.0
    return {
        "path": path,
        "requests": requests,
        "first_request_ms": round(1000 * cold, 2),
        "mean_request_ms": round(1000 * warm, 2),
        "profiled_request_ms": profiled,
        "by_area_ms": _by_area(stats, requests),
        "steps_ms": steps,
        "steps_estimated_ms": {k: round(v * scale, 2) for k, v in steps.items()},
        "top_cumulative": _top(stats, requests, by_own=False),
        "top_own": _top(stats, requests, by_own=True),
    }


def _caller(app: FastAPI, path: str) -> Callable[[bytes], None]:
    """A function running the GET endpoint of ``path`` for a ``Cookie`` header value."""
    found = _find_endpoint(app.routes, "", path)
    if found is None:
        raise ConfigError(f"the web app has no GET route {path}")
    endpoint = inspect.unwrap(found)  # the sync function under ``herald.web.inline.read_route``

    def call(cookie: bytes) -> None:
        request = Request(_scope(app, path, cookie))
        request.state.csrf_nonce = "bench-profile-csrf-nonce"
        result = endpoint(request)
        if not isinstance(result, Response):
            JSONResponse(result)  # FastAPI's pydantic pass over the value is not counted

    return call


def _find_endpoint(routes: Iterable[Any], prefix: str, path: str) -> Callable[..., Any] | None:
    """The endpoint function of the GET route ``path``, through included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found = _find_endpoint(included.routes, prefix + included.prefix, path)
            if found is not None:
                return found
        elif (
            isinstance(route, APIRoute)
            and "GET" in (route.methods or ())
            and path in (route.path, prefix + route.path)
        ):
            endpoint: Callable[..., Any] = route.endpoint
            return endpoint
    return None


def _scope(app: FastAPI, path: str, cookie: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"cookie", cookie)],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "app": app,
        "router": app.router,
        "state": {},
    }


def _entries(stats: pstats.Stats) -> dict[tuple[str, int, str], tuple[Any, ...]]:
    found: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    return found


def _ms(seconds: float, requests: int) -> float:
    return round(1000 * seconds / requests, 3)


def _area(file: str) -> str:
    for needle, name in AREAS:
        if needle in file:
            if name == "herald":
                return "herald." + file.rsplit("/herald/", 1)[1].removesuffix(".py").replace(
                    "/", "."
                )
            return name
    if file == "~":
        return "builtins (C: sqlite3, json, ...)"
    return "other python"


def _by_area(stats: pstats.Stats, requests: int) -> dict[str, float]:
    """Own time per request, grouped by package (Herald by module), largest first."""
    totals: dict[str, float] = defaultdict(float)
    for (file, _line, _name), (_cc, _nc, own, _cum, _callers) in _entries(stats).items():
        totals[_area(file)] += own
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    return {k: _ms(v, requests) for k, v in ordered if _ms(v, requests) >= 0.01}


def _steps(stats: pstats.Stats, requests: int) -> dict[str, float]:
    """Cumulative time per request of each named step present in this version."""
    out: dict[str, float] = {}
    for (file, _line, name), (_cc, _nc, _own, cum, _callers) in _entries(stats).items():
        for suffix, step in STEPS:
            if name == step and file.endswith(suffix):
                key = f"{suffix.removeprefix('herald/').removesuffix('.py')}.{step}"
                out[key] = max(out.get(key, 0.0), _ms(cum, requests))
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _top(stats: pstats.Stats, requests: int, *, by_own: bool) -> list[dict[str, Any]]:
    rows = []
    for (file, line, name), (_cc, calls, own, cum, _callers) in _entries(stats).items():
        where = file.rsplit("site-packages/", 1)[-1].rsplit("/src/", 1)[-1]
        rows.append(
            {
                "function": f"{where}:{line}({name})",
                "calls_per_request": round(calls / requests, 1),
                "own_ms": _ms(own, requests),
                "cumulative_ms": _ms(cum, requests),
            }
        )
    key = "own_ms" if by_own else "cumulative_ms"
    return sorted(rows, key=lambda r: -float(r[key]))[:TOP]
