"""The Ray executor: shards as Ray tasks, model batches on an actor pool.

* A shard of network work is a task (``num_cpus=1``) retried up to ``TASK_RETRIES`` times
  when its worker dies; at most ``workers`` shards run at once.
* Model batches go round-robin to ``workers`` actors (:class:`~herald.executor.remote.ModelHost`)
  spread over the nodes. An actor loads the embedder and the writer once; when its
  process dies Ray restarts it (``ACTOR_RESTARTS``) and runs the interrupted batch again
  (``ACTOR_RETRIES``). Actors hold no CPU while idle (Ray's default for actors), so the
  shard tasks of the next round always find room.
* A cluster that goes away mid-stage does not hang the driver: waits are cut into
  ``WATCH_SECONDS`` slices, and between them the cluster's address must still answer, else
  the stage ends with a ``WorkerError``. ``healthy()`` is then False, and the next stage
  (through :meth:`herald.app.Herald.check_executor`) disconnects and joins the cluster
  again, once it answers: the stages are idempotent, so nothing is lost or done twice.

Ray is imported only here, and this module only when ``executor = "ray"``. Workers need
Herald installed (the same version) on every node; settings travel with each job, without
the database URL and the cookie key, which workers never use.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import replace
from typing import Any, TypeVar

# a Ray call made while not connected (say, at interpreter exit, after Ray's own exit hook
# disconnected) must fail, not quietly start a new single-machine cluster
os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")
# Ray ends a driver whose cluster has not answered for a minute (the whole ``herald run``
# process); Herald instead notices the cluster is gone, disconnects and joins it again when
# it is back (``RayExecutor.healthy``), so its driver waits for as long as a day.
os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", str(24 * 3600))

import ray
from ray.exceptions import GetTimeoutError, RayError, RayTaskError

from herald.config import Settings
from herald.exceptions import ConfigError, HeraldError, WorkerError
from herald.executor.base import ShardResult, WorkContext
from herald.executor.models import Models
from herald.executor.remote import ModelHost, run_shard, warm_shard_worker

__all__ = ["ACTOR_RESTARTS", "ACTOR_RETRIES", "TASK_RETRIES", "RayExecutor"]

log = logging.getLogger(__name__)

S = TypeVar("S")
R = TypeVar("R")
T = TypeVar("T")

TASK_RETRIES = 3
ACTOR_RESTARTS = 3
ACTOR_RETRIES = 3
BATCHES_AHEAD = 4  # batches in flight per actor, so actors never wait for the driver
WATCH_SECONDS = 10.0  # how long a wait goes before checking that the cluster still answers
ANSWER_TIMEOUT = 3.0

_connect_lock = threading.Lock()
_users = 0
_owned = False


def _connect(address: str) -> None:
    """Join the cluster at ``address`` once per process (executors share the connection)."""
    global _users, _owned
    with _connect_lock:
        if not ray.is_initialized():
            options: dict[str, Any] = {}
            host = address.rsplit(":", 1)[0].strip("[]")
            if _is_loopback(host):
                # a cluster on this machine's loopback addresses (tests, benchmarks): say
                # which node this driver is on, or Ray guesses the outward-facing address
                options["_node_ip_address"] = host
            _reachable(address)
            try:
                ray.init(
                    address=address,
                    namespace="herald",
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                    **options,
                )
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise ConfigError(f"cannot join the Ray cluster at {address!r}: {e}") from e
            _owned = True
        _users += 1


def _reachable(address: str, timeout: float = 10.0) -> None:
    """Refuse at once a ``host:port`` address nothing answers on: ``ray.init`` would keep
    retrying a dead cluster's GCS for many minutes."""
    problem = _unanswered(address, timeout)
    if problem:
        raise ConfigError(f"cannot reach the Ray cluster at {address!r}: {problem}")


def _unanswered(address: str, timeout: float = ANSWER_TIMEOUT) -> str:
    """Why nothing answers at a ``host:port`` cluster address ("" when something does, or
    when the address is of a kind Ray resolves itself: "auto", "ray://...")."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return ""
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        return str(e) or type(e).__name__
    return ""


def _disconnect() -> None:
    global _users, _owned
    with _connect_lock:
        _users = max(0, _users - 1)
        if _users == 0 and _owned and ray.is_initialized():
            ray.shutdown()
            _owned = False


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _lost(error: BaseException) -> str:
    """Why a Ray job failed, in one line."""
    if isinstance(error, RayTaskError):
        cause = error.cause
        return f"{type(cause).__name__}: {cause}" if cause is not None else str(error)
    first = str(error).strip().splitlines()
    return f"{type(error).__name__}: {first[0] if first else ''}"


class RayExecutor:
    """Runs shards and model batches on the Ray cluster at ``settings.ray_address``."""

    name = "ray"

    def __init__(self, settings: Settings) -> None:
        if not settings.ray_address:
            raise ConfigError(
                "the Ray executor needs the cluster's address: set HERALD_RAY_ADDRESS "
                "(or --ray-address), e.g. 10.0.0.5:6379"
            )
        _connect(settings.ray_address)
        self._open = True
        self.settings = settings
        self._job_settings = replace(settings, database_url="", secret_key="")
        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        cpus = int(resources.get("CPU", 1))
        self._workers = settings.workers if settings.workers > 0 else max(1, cpus)
        self._task: Any = ray.remote(run_shard).options(
            num_cpus=1, max_retries=TASK_RETRIES, retry_exceptions=False
        )
        self._warm: Any = ray.remote(warm_shard_worker).options(
            num_cpus=1, max_retries=TASK_RETRIES
        )
        self._host_class: Any = ray.remote(ModelHost)
        self._actors: list[Any] = []

    @property
    def workers(self) -> int:
        return self._workers

    def healthy(self) -> bool:
        return self._open and ray.is_initialized() and not self._gone()

    def _gone(self) -> str:
        """Why the cluster no longer answers ("" while it does)."""
        problem = _unanswered(self.settings.ray_address)
        return (
            f"the Ray cluster at {self.settings.ray_address} stopped answering ({problem})"
            if problem
            else ""
        )

    def _get(self, refs: Any) -> Any:
        """``ray.get(refs)``, checking between ``WATCH_SECONDS`` slices that the cluster is
        still there (a WorkerError when it is not)."""
        while True:
            try:
                return ray.get(refs, timeout=WATCH_SECONDS)
            except GetTimeoutError:
                gone = self._gone()
                if gone:
                    raise WorkerError(gone) from None

    def prepare(self) -> None:
        actors = self._model_hosts()
        refs = [a.ready.remote() for a in actors]
        refs += [self._warm.remote(self._job_settings) for _ in range(self._workers)]
        try:
            self._get(refs)
        except RayError as e:
            raise WorkerError(f"the Ray workers could not start: {_lost(e)}") from e

    async def run_shards(
        self, fn: Callable[[WorkContext, S], Awaitable[R]], shards: Sequence[S]
    ) -> AsyncIterator[ShardResult[R]]:
        todo = deque(enumerate(shards))
        running: dict[asyncio.Future[Any], tuple[int, Any]] = {}
        try:
            while todo or running:
                while todo and len(running) < self._workers:
                    index, shard = todo.popleft()
                    ref = self._submit(self._task, fn, self._job_settings, shard)
                    future: Future[Any] = ref.future()
                    running[asyncio.wrap_future(future)] = (index, ref)
                done, _ = await asyncio.wait(
                    set(running), timeout=WATCH_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                if not done and (gone := self._gone()):
                    raise WorkerError(gone)
                for finished in sorted(done, key=lambda f: running[f][0]):
                    index, _ref = running.pop(finished)
                    yield _shard_result(index, finished)
        finally:
            cancel = bool(running) and ray.is_initialized() and not self._gone()
            for waiting, (_index, ref) in running.items():
                waiting.cancel()
                if cancel:
                    ray.cancel(ref, force=True)

    def map_batches(self, fn: Callable[[Models, T], R], batches: Iterable[T]) -> Iterator[R]:
        """Each batch goes to the actor with the fewest batches queued; results come back
        in order, with at most ``BATCHES_AHEAD`` batches per actor in flight."""
        actors = self._model_hosts()
        load = [0] * len(actors)
        queued: deque[tuple[Any, int]] = deque()
        for batch in batches:
            least = min(range(len(actors)), key=lambda i: (load[i], i))
            load[least] += 1
            queued.append((self._submit(actors[least].call, fn, batch), least))
            if len(queued) >= BATCHES_AHEAD * len(actors):
                yield self._next_result(queued, load)
        while queued:
            yield self._next_result(queued, load)

    def _next_result(self, queued: deque[tuple[Any, int]], load: list[int]) -> Any:
        ref, actor = queued.popleft()
        load[actor] -= 1
        return self._batch_result(ref)

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        # at interpreter exit Ray's own hook may have shut it down (any call now would start a
        # new local cluster); a cluster that went away has no actors left to stop
        if self._actors and ray.is_initialized() and not self._gone():
            for actor in self._actors:
                ray.kill(actor)
        self._actors = []
        _disconnect()

    def _submit(self, remote: Any, *args: Any) -> Any:
        """``remote.remote(*args)``; a cluster that cannot take jobs is a WorkerError."""
        try:
            return remote.remote(*args)
        except RayError as e:
            raise WorkerError(f"the Ray cluster refused a job: {_lost(e)}") from e

    def _model_hosts(self) -> list[Any]:
        if not self._actors:
            options = {
                "max_restarts": ACTOR_RESTARTS,
                "max_task_retries": ACTOR_RETRIES,
                "scheduling_strategy": "SPREAD",
            }
            self._actors = [
                self._host_class.options(**options).remote(self._job_settings)
                for _ in range(self._workers)
            ]
        return self._actors

    def _batch_result(self, ref: Any) -> Any:
        try:
            return self._get(ref)
        except RayTaskError as e:
            if isinstance(e.cause, HeraldError):
                raise e.cause from None
            raise WorkerError(f"a model batch failed: {_lost(e)}") from e
        except RayError as e:  # the actor died more often than it may restart
            self._actors = []  # start fresh ones for the next batches
            # an actor also "dies" when its whole cluster went away: say so, the root cause
            gone = self._gone()
            raise WorkerError(gone or f"a model worker was lost: {_lost(e)}") from e


def _shard_result(index: int, finished: asyncio.Future[Any]) -> ShardResult[Any]:
    error = finished.exception()
    if error is None:
        return ShardResult(index, finished.result())
    log.warning("shard %d lost: %s", index, _lost(error))
    return ShardResult(index, None, _lost(error))
