"""Serving the web app with uvicorn: one process, or several worker processes on one socket.

``herald serve --workers N`` and ``herald bench serve`` both come here. uvicorn picks
``httptools`` and ``uvloop`` (dependencies of Herald) over its plain-Python h11 and asyncio.

The listening socket is made here, not by uvicorn: uvicorn's ``--workers`` path binds it with
``proto`` 0, so asyncio never turns ``TCP_NODELAY`` on for the accepted connections and every
keep-alive response whose head and body are written separately waits ~40 ms for the client's
delayed ACK (uvicorn issue #3149). A socket made with ``IPPROTO_TCP`` avoids that.

Worker processes start fresh interpreters (``multiprocessing``'s spawn): each builds its own
``Herald`` from the settings in the environment (``HERALD_*`` variables and ``HERALD_CONFIG``,
which the parent sets to the file it read), on the database the parent has migrated already.
Workers share nothing but the database: every cache of the web app is keyed by a version read
from it (``herald.store.feedcache``), so they all serve the same pages.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["APP_FACTORY", "app_from_env", "listening_socket", "run_server", "settle_gc"]

APP_FACTORY = "herald.web.server:app_from_env"


def app_from_env() -> FastAPI:
    """The web app on the settings of the environment (a worker process's app factory)."""
    from herald.app import make_herald
    from herald.config import load_settings
    from herald.web.app import create_app

    return settle_gc(create_app(make_herald(load_settings(None), migrate=False)))


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

    host, port = sock.getsockname()[:2]
    options = {"host": host, "port": port, "log_level": log_level, "access_log": False}
    if workers <= 1 and app is not None:
        uvicorn.Server(uvicorn.Config(settle_gc(app), **options)).run(sockets=[sock])
        return
    if config_file is not None:
        os.environ["HERALD_CONFIG"] = str(Path(config_file).resolve())
    config = uvicorn.Config(APP_FACTORY, factory=True, workers=max(workers, 1), **options)
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
