"""Page and API reads on the worker's event loop, or on its threads.

A sync FastAPI endpoint runs on a thread of anyio's pool: the event loop hands the request
over and waits for the answer, and the two threads pass the GIL back and forth for each
request. For the feed and story reads, which are CPU work on a local database, that hand-off
cost more than the read itself: in one process over the ASGI app (`herald bench serve`'s
seed, 1,000 feed pages, process CPU time), 4.3-5.9 ms per feed page on a thread against
3.5-4.4 ms on the loop.

``read_route`` makes such an endpoint async: with ``web_inline`` (the default) it runs on the
loop itself; without it, on ``web_threads`` threads as before, which lets a worker overlap the
round trips to a database far away while other requests compute.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

__all__ = ["read_route"]

P = ParamSpec("P")
R = TypeVar("R")


def read_route(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """``func`` (an endpoint taking ``request``) as an async endpoint that runs it on the event
    loop or on a thread, as the app's ``web_inline`` setting says. FastAPI reads the
    parameters of ``func`` itself (``functools.wraps``)."""

    @functools.wraps(func)
    async def endpoint(*args: P.args, **kwargs: P.kwargs) -> R:
        request = kwargs.get("request")
        if not isinstance(request, Request):
            raise TypeError(f"{func.__name__} must be called with its request by keyword")
        if request.app.state.herald.settings.web_inline:
            return func(*args, **kwargs)
        return await run_in_threadpool(func, *args, **kwargs)

    return endpoint
