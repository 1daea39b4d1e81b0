"""What runs inside Ray's worker processes (this module never imports Ray itself).

* :func:`run_shard` is the body of a Ray task: one shard of network work, on a fresh event
  loop with its own fetcher (the driver's settings: same limits, robots.txt handling and
  SSRF guard) and the process's own :class:`~herald.workers.WorkerPool`, so every parse or
  extraction keeps its ``work_timeout`` limit (``workers = -1``: in the task's process).
* :class:`ModelHost` is the body of a Ray actor: it keeps one
  :class:`~herald.executor.models.Models` for its life and runs model batches with it.

Both return their results to the driver and store nothing, so Ray may run a job again after
a worker dies without anything being saved twice.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from herald.config import Settings
from herald.executor.base import WorkContext
from herald.executor.models import Models
from herald.ingest.fetch import Fetcher
from herald.ingest.robots import PROCESS_ROBOTS
from herald.nlp.embed import MiniLMEmbedder
from herald.pipeline.warm import warm_worker
from herald.workers import WorkerPool

__all__ = ["ModelHost", "process_pool", "run_shard", "warm_shard_worker"]

S = TypeVar("S")
R = TypeVar("R")
T = TypeVar("T")

_pools: dict[tuple[int, float], WorkerPool] = {}
_pools_lock = threading.Lock()


def process_pool(settings: Settings) -> WorkerPool:
    """This process's pool for CPU jobs: one worker process (kept between tasks, which Ray
    runs in the same process), or none when ``workers`` is negative."""
    key = (0 if settings.workers < 0 else 1, settings.work_timeout)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = WorkerPool(
                key[0], settings.work_timeout, name="herald-shard-worker", warm=warm_worker
            )
        return pool


def run_shard(fn: Callable[[WorkContext, S], Awaitable[R]], settings: Settings, shard: S) -> R:
    """Run one shard function to completion on this worker."""
    return asyncio.run(_run_shard(fn, settings, shard))


async def _run_shard(
    fn: Callable[[WorkContext, S], Awaitable[R]], settings: Settings, shard: S
) -> R:
    async with Fetcher(settings, robots_memory=PROCESS_ROBOTS) as fetcher:
        return await fn(WorkContext(settings, fetcher, process_pool(settings)), shard)


def warm_shard_worker(settings: Settings) -> int:
    """Start this process's job pool (its worker loads the parser and extractor)."""
    process_pool(settings).start()
    return os.getpid()


class ModelHost:
    """A model worker: loads the models once, then runs batches with them.

    Its embedder computes on one thread: the executor runs one model worker per CPU of the
    cluster (``workers``), so threads of their own would only compete for the same cores."""

    def __init__(self, settings: Settings) -> None:
        self.models = Models(settings, lambda: MiniLMEmbedder(threads=1))

    def ready(self) -> int:
        """Load the embedding model now; returns this process's id."""
        self.models.load()
        return os.getpid()

    def call(self, fn: Callable[[Models, T], R], batch: T) -> R:
        return fn(self.models, batch)
