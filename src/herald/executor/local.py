"""The local executor (the default): everything on this machine.

Shards run concurrently on the driver's event loop and share one fetcher (so the per-host
limits are the fetcher's own); their CPU work goes to the driver's worker processes
(``workers`` setting, ``Herald.pool``). Model batches run in the driver with its embedder.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from herald.config import Settings
from herald.executor.base import ShardResult, WorkContext
from herald.executor.models import Models
from herald.ingest.fetch import Fetcher
from herald.ingest.robots import PROCESS_ROBOTS
from herald.nlp.embed import Embedder
from herald.workers import WorkerPool, worker_count

__all__ = ["LocalExecutor", "shard_outcome"]

log = logging.getLogger(__name__)

S = TypeVar("S")
R = TypeVar("R")
T = TypeVar("T")


class LocalExecutor:
    """Runs shards on the driver's event loop and batches in the driver."""

    name = "local"

    def __init__(
        self,
        settings: Settings,
        pool: Callable[[], WorkerPool],
        embedder: Callable[[], Embedder] | None = None,
    ) -> None:
        self.settings = settings
        self._pool = pool
        self.models = Models(settings, embedder)

    @property
    def workers(self) -> int:
        return max(1, worker_count(self.settings.workers))

    def prepare(self) -> None:
        self._pool().start()
        self.models.load()

    async def run_shards(
        self, fn: Callable[[WorkContext, S], Awaitable[R]], shards: Sequence[S]
    ) -> AsyncIterator[ShardResult[R]]:
        if not shards:
            return
        async with Fetcher(self.settings, robots_memory=PROCESS_ROBOTS) as fetcher:
            ctx = WorkContext(self.settings, fetcher, self._pool())
            tasks = {asyncio.ensure_future(fn(ctx, shard)): i for i, shard in enumerate(shards)}
            waiting = set(tasks)
            try:
                while waiting:
                    done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                    for task in sorted(done, key=tasks.__getitem__):
                        yield shard_outcome(tasks[task], task)
            finally:
                for task in waiting:
                    task.cancel()
                await asyncio.gather(*waiting, return_exceptions=True)

    def map_batches(self, fn: Callable[[Models, T], R], batches: Iterable[T]) -> Iterator[R]:
        for batch in batches:
            yield fn(self.models, batch)

    def healthy(self) -> bool:
        return True  # the worker pool replaces its own dead processes

    def close(self) -> None:
        self.models.close()


def shard_outcome(index: int, task: asyncio.Future[R]) -> ShardResult[R]:
    """A finished shard's result, or the error it raised (logged: shard functions record
    their items' own failures, so an exception here is unexpected)."""
    error = task.exception()
    if error is None:
        return ShardResult(index, task.result())
    log.error("shard %d failed: %s", index, error, exc_info=error)
    return ShardResult(index, None, f"{type(error).__name__}: {error}")
