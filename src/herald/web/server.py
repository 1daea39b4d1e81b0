"""Serving the web app with uvicorn: one process, or several worker processes on one socket.

``herald serve --workers N`` and ``herald bench serve`` both come here. uvicorn runs on
``uvloop`` with its ``httptools`` protocol (dependencies of Herald) plus one addition: a busy
worker gives the last client of each batch a moment to send its next request before the loop
polls again (``herald.web.turns``).

The listening socket is made here, not by uvicorn: uvicorn's ``--workers`` path binds it with
``proto`` 0, so asyncio never turns ``TCP_NODELAY`` on for the accepted connections and every
keep-alive response whose head and body are written separately waits ~40 ms for the client's
delayed ACK (uvicorn issue #3149). A socket made with ``IPPROTO_TCP`` avoids that.

Worker processes start fresh interpreters (``multiprocessing``'s spawn): each builds its own
``Herald`` from the settings in the environment (``HERALD_*`` variables and ``HERALD_CONFIG``,
which the parent sets to the file it read), on the database the parent has migrated already.
Workers share nothing but the database (every cache of the web app is keyed by a version read
from it, ``herald.store.feedcache``, so they all serve the same pages) and a board where each
posts how many connections it serves, so that none holds more than its share
(``herald.web.balance``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = [
    "APP_FACTORY",
    "app_from_env",
    "for_serving",
    "limit_threads",
    "listening_socket",
    "run_server",
    "settle_gc",
]

APP_FACTORY = "herald.web.server:app_from_env"


def app_from_env() -> FastAPI:
    """The web app on the settings of the environment (a worker process's app factory)."""
    from herald.app import make_herald
    from herald.config import load_settings
    from herald.web.app import create_app
    from herald.web.balance import BOARD_ENV, ConnectionBalancer

    app = for_serving(create_app(make_herald(load_settings(None), migrate=False)))
    if board := os.environ.get(BOARD_ENV):
        app.add_middleware(ConnectionBalancer, board=Path(board))
    return app


def for_serving(app: FastAPI) -> FastAPI:
    """The app as a server process runs it: the garbage collector settled after each feed
    rebuild, and ``web_threads`` threads for its endpoints."""
    return limit_threads(settle_gc(app), app.state.herald.settings.web_threads)


def limit_threads(app: FastAPI, threads: int) -> FastAPI:
    """Run the app's sync endpoints on at most ``threads`` threads (set when it starts).

    Page and API work is CPU work under one GIL: forty threads (anyio's default) only share
    the CPU among forty requests, so every one of them finishes late, while a few threads
    serve them first come, first served. ``herald bench serve`` (SQLite, 50 connections,
    2 workers) measured the feed page at 295-312 requests/s with a p99 of 373-544 ms on 40
    threads, and 352-370 requests/s with a p99 of 205-221 ms on 1 or 2."""
    if threads < 1:
        return app
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(started: Any) -> AsyncIterator[Any]:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        async with inner(started) as state:
            yield state

    app.router.lifespan_context = lifespan
    return app


def settle_gc(app: FastAPI) -> FastAPI:
    """Have the app's feed cache settle the garbage collector after each rebuild (see
    ``herald.web.queries.PoolCache``): for server processes only, whose long-lived state is
    the cache (a test process making many apps keeps the collector as it is)."""
    from herald.web.queries import pool_cache

    pool_cache(app.state.herald.store).settle_gc = True
    return app


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: a free one), not listening yet."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def run_server(
    sock: socket.socket,
    *,
    workers: int = 1,
    app: FastAPI | None = None,
    config_file: str | Path | None = None,
    log_level: str = "warning",
) -> None:
    """Serve on ``sock`` until stopped: ``app`` in this process, or ``workers`` processes
    each making the app from the environment (with ``config_file`` as ``HERALD_CONFIG``)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from herald.web.balance import BOARD_ENV, make_board
    from herald.web.turns import PROTOCOL as TURN_PROTOCOL

    host, port = sock.getsockname()[:2]
    options = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": False,
        "http": TURN_PROTOCOL,
    }
    if workers <= 1 and app is not None:
        uvicorn.Server(uvicorn.Config(for_serving(app), **options)).run(sockets=[sock])
        return
    if config_file is not None:
        os.environ["HERALD_CONFIG"] = str(Path(config_file).resolve())
    config = uvicorn.Config(APP_FACTORY, factory=True, workers=max(workers, 1), **options)
    if workers <= 1:
        uvicorn.Server(config).run(sockets=[sock])
        return
    with tempfile.TemporaryDirectory(prefix="herald-workers-") as board:
        os.environ[BOARD_ENV] = str(make_board(Path(board), workers))
        try:
            Multiprocess(config, sockets=[sock]).run()
        finally:
            os.environ.pop(BOARD_ENV, None)
