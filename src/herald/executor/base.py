"""The executor interface: where the stages' work runs, the same stage code in every mode.

Two kinds of work leave the driver (the process that runs a stage and owns the database):

* **Shards of network work** (``run_shards``): an async function ``fn(ctx, shard)`` that
  fetches and parses feeds, or fetches and extracts pages, with the :class:`WorkContext`
  of the worker running it (a polite, SSRF-guarded :class:`~herald.ingest.fetch.Fetcher`
  built from the same settings, and a :class:`~herald.workers.WorkerPool` for the CPU work
  with its per-job time limit). Shards are cut by host (:func:`shard_by_host`): every
  host is in exactly one shard, so the per-host limits hold however many workers run.
* **Batches of model work** (``map_batches``): a function ``fn(models, batch)`` run where
  the models are loaded once (:class:`~herald.executor.models.Models`: the sentence
  embedder and the writer), results in input order.

Workers never write to the database: a shard or batch returns its results and the driver
stores them. So a worker that dies mid-job loses nothing: its job is run again (Ray's
retries), or, when the retries run out, its items stay in the state that selects them
(due, pending, unclustered, changed) and the next round does them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from herald.config import Settings
from herald.executor.models import Models
from herald.ingest.fetch import Fetcher
from herald.workers import WorkerPool

__all__ = [
    "EXECUTORS",
    "Executor",
    "ShardResult",
    "WorkContext",
    "chunks",
    "host_of",
    "shard_by_host",
]

S = TypeVar("S")
R = TypeVar("R")
T = TypeVar("T")

EXECUTORS = ("local", "ray")
# One shard per worker: a shard fetches all its hosts at once on its worker's event loop
# (up to ``total_concurrency`` requests), so more, smaller shards would only queue.
SHARDS_PER_WORKER = 1


@dataclass
class WorkContext:
    """What a shard function gets on the worker that runs it."""

    settings: Settings
    fetcher: Fetcher
    pool: WorkerPool


@dataclass(frozen=True)
class ShardResult(Generic[R]):
    """One shard's outcome: its position in the shard list and its value, or why it was
    lost (``value`` is None and ``error`` says why: the worker died more often than the
    retries allow, or the shard function raised)."""

    index: int
    value: R | None
    error: str = ""


ShardFn = Callable[[WorkContext, S], Awaitable[R]]
BatchFn = Callable[[Models, T], R]


class Executor(Protocol):
    """Runs the stages' shards and batches (see the module docstring)."""

    @property
    def name(self) -> str: ...

    @property
    def workers(self) -> int:
        """How many shards or batches run at once."""
        ...

    def prepare(self) -> None:
        """Start the workers and load their models now rather than on first use."""
        ...

    def run_shards(
        self, fn: Callable[[WorkContext, S], Awaitable[R]], shards: Sequence[S]
    ) -> AsyncIterator[ShardResult[R]]:
        """Run ``fn(ctx, shard)`` for every shard; results as they complete."""
        ...

    def map_batches(self, fn: Callable[[Models, T], R], batches: Iterable[T]) -> Iterator[R]:
        """``fn(models, batch)`` for every batch, in order (consumed lazily)."""
        ...

    def healthy(self) -> bool:
        """Whether it can still take work; False: close it and make a new one (say, after
        the Ray cluster went away and came back)."""
        ...

    def close(self) -> None:
        """Stop the workers (idempotent)."""
        ...


def host_of(url: str) -> str:
    """The host key the fetcher's per-host limits use (``host[:port]``, lower case)."""
    return urlsplit(url).netloc.lower()


def shard_by_host(urls: Sequence[str], count: int) -> list[list[int]]:
    """Positions of ``urls`` cut into at most ``count`` shards, every host in exactly one.

    Hosts are placed largest first on the shard with the fewest items so far (ties: the
    first), so the cut depends only on the input; each shard lists its positions in order.
    """
    by_host: dict[str, list[int]] = {}
    for position, url in enumerate(urls):
        by_host.setdefault(host_of(url), []).append(position)
    shards: list[list[int]] = [[] for _ in range(max(1, min(count, len(by_host))))]
    for host in sorted(by_host, key=lambda h: (-len(by_host[h]), h)):
        smallest = min(range(len(shards)), key=lambda i: (len(shards[i]), i))
        shards[smallest].extend(by_host[host])
    return [sorted(s) for s in shards if s]


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]
