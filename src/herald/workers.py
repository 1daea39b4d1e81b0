"""A small pool of worker processes with a time limit per job.

Feed parsing and page extraction are CPU-bound pure functions; the pipeline steps run them
here so that they use every core while the event loop keeps fetching, and so that one
hostile input cannot stall a round: a job that runs past ``timeout`` seconds has its worker
killed (and replaced) and raises ``WorkerTimeoutError``; a worker that dies mid-job raises
``WorkerError``. An exception raised by the job itself reaches the caller as it is when it
is a ``HeraldError``, else as a ``WorkerError`` naming it. Either way the caller records the
item as failed and the round goes on.

Why not ``concurrent.futures.ProcessPoolExecutor``: it cannot stop one running job, a worker
that dies breaks the whole executor, and its spawned workers re-run the caller's main
script. Here each worker is a fresh ``python -m herald.workers`` process with its own socket
pair, driven by one thread of the parent; jobs are module-level functions (pickled by name)
and their arguments and results must pickle.

``workers=-1`` runs jobs in the calling process with no time limit (for debugging).
Workers are started on first use, so a pool that gets no work costs nothing. If the parent
is killed, each worker sees its pipe close and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import socket
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, TypeVar

from herald.exceptions import HeraldError, WorkerError, WorkerTimeoutError

__all__ = ["WorkerPool", "worker_count"]

R = TypeVar("R")

_STOP_GRACE = 2.0
_STARTUP_TIMEOUT = 120.0
_IDLE_POLL = 0.5


def worker_count(setting: int) -> int:
    """Workers for a ``workers`` setting: 0 means one per CPU core, negative means none."""
    if setting < 0:
        return 0
    if setting == 0:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
    return setting


def _serve(conn: Connection) -> None:
    """A worker's loop. Messages: the parent's ``sys.path``, the warm-up callable (or None),
    then jobs ``(fn, args)`` answered with ``(ok, result or error)``; None or EOF ends it."""
    try:
        for entry in reversed(conn.recv()):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        warm = conn.recv()
        if warm is not None:
            warm()
        conn.send(True)  # ready: the parent starts its job clocks from here
    except (EOFError, OSError):
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if job is None:
            return
        fn, args = job
        try:
            reply: tuple[bool, Any] = (True, fn(*args))
        except HeraldError as e:  # raised again in the parent as it is
            reply = (False, e)
        except Exception as e:  # any other failure is reported, never fatal to the worker
            reply = (False, f"{type(e).__name__}: {e}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    """One worker process (``python -m herald.workers FD``) and the parent's end of its
    socket pair. A plain subprocess rather than ``multiprocessing``: nothing of the parent
    is forked or re-imported (``multiprocessing``'s spawn re-runs the main script)."""

    def __init__(self, name: str, warm: Callable[[], object] | None) -> None:
        self.name = name
        parent, child = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "herald.workers", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        except OSError as e:
            parent.close()
            raise WorkerError(f"cannot start worker process {name}: {e}") from e
        finally:
            child.close()
        self.conn = Connection(parent.detach())
        try:
            self.conn.send(list(sys.path))
            self.conn.send(warm)
            ready = self.conn.poll(_STARTUP_TIMEOUT) and self.conn.recv()
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.stop(kill=True)
            raise WorkerError(f"worker process {name} did not start")

    @property
    def pid(self) -> int:
        return self.process.pid

    def run(
        self, fn: Callable[..., Any], args: tuple[Any, ...], timeout: float
    ) -> tuple[bool, Any]:
        """``(True, result)`` or ``(False, the job's error)``; WorkerError if the worker
        itself failed (died, or ran past ``timeout``)."""
        try:
            self.conn.send((fn, args))
            ready = self.conn.poll(timeout)
        except (BrokenPipeError, EOFError, OSError) as e:
            raise WorkerError(f"worker process {self.name} is gone: {e}") from e
        if not ready:
            raise WorkerTimeoutError(f"took longer than {timeout:g} s; the worker was stopped")
        try:
            reply: tuple[bool, Any] = self.conn.recv()
        except (EOFError, OSError) as e:
            code = self._wait(_STOP_GRACE)
            raise WorkerError(f"the worker process died (exit code {code})") from e
        return reply

    def stop(self, *, kill: bool = False) -> None:
        if not kill:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.conn.send(None)
            self._wait(_STOP_GRACE)
        if self.process.poll() is None:
            self.process.kill()
            self._wait(_STOP_GRACE)
        self.conn.close()

    def _wait(self, seconds: float) -> int | None:
        try:
            return self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            return None


class WorkerPool:
    """``workers`` processes running jobs with a per-job ``timeout`` (seconds)."""

    def __init__(
        self,
        workers: int,
        timeout: float,
        *,
        name: str = "herald-worker",
        warm: Callable[[], object] | None = None,
    ) -> None:
        self.size = max(0, workers)
        self.timeout = timeout
        self._name = name
        self._warm = warm
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = 0
        self._serial = 0
        self._all: list[_Worker] = []
        self._threads: ThreadPoolExecutor | None = None
        self._closed = False
        # a pool dropped without close() still stops its workers
        self._finalizer = weakref.finalize(self, _stop_all, self._all)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def run(self, fn: Callable[..., R], *args: Any) -> R:
        """Run ``fn(*args)`` in a worker (in this process when the pool has no workers)."""
        if self.size == 0:
            return fn(*args)
        worker = self._take()
        try:
            ok, value = worker.run(fn, args, self.timeout)
        except WorkerError:
            self._replace(worker)
            raise
        self._idle.put(worker)
        if not ok:
            raise value if isinstance(value, HeraldError) else WorkerError(str(value))
        result: R = value
        return result

    async def run_async(self, fn: Callable[..., R], *args: Any) -> R:
        """``run`` without blocking the event loop."""
        if self.size == 0:
            return fn(*args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), lambda: self.run(fn, *args))

    def start(self) -> None:
        """Start every worker now instead of on first use (each is ready when this returns)."""
        started = []
        while True:
            with self._lock:
                if self._closed or self._started >= self.size:
                    break
                self._started += 1
            try:
                started.append(self._spawn())
            except WorkerError:
                with self._lock:
                    self._started -= 1
                raise
        for worker in started:
            self._idle.put(worker)

    def pids(self) -> list[int]:
        """Process ids of the running workers."""
        with self._lock:
            return [w.pid for w in self._all]

    def close(self) -> None:
        """Stop every worker (idempotent)."""
        self._closed = True
        if self._threads is not None:
            self._threads.shutdown(wait=True)
        self._finalizer()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self.size, thread_name_prefix=self._name)
            return self._threads

    def _take(self) -> _Worker:
        """An idle worker, starting one while the pool has fewer than ``size``."""
        while True:
            with self._lock:
                if self._closed:
                    raise WorkerError("the worker pool is closed")
                spawn = self._started < self.size
                if spawn:
                    self._started += 1
            if spawn:
                try:
                    return self._spawn()
                except WorkerError:
                    with self._lock:
                        self._started -= 1
                    raise
            try:
                return self._idle.get(timeout=_IDLE_POLL)
            except queue.Empty:
                continue  # a slot may have been given up meanwhile

    def _spawn(self) -> _Worker:
        with self._lock:
            self._serial += 1
            name = f"{self._name}-{self._serial}"
        worker = _Worker(name, self._warm)
        with self._lock:
            closed = self._closed
            if not closed:
                self._all.append(worker)
        if closed:  # the pool was closed while this worker started
            worker.stop()
            raise WorkerError("the worker pool is closed")
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Kill a failed worker and put a fresh one in its place (the slot is given up if
        a fresh one cannot start, so the pool shrinks instead of hanging)."""
        worker.stop(kill=True)
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            closed = self._closed
        if closed:
            return
        try:
            fresh = self._spawn()
        except WorkerError:
            with self._lock:
                self._started -= 1
            return
        self._idle.put(fresh)


def _stop_all(workers: list[_Worker]) -> None:
    stopping = list(workers)
    workers.clear()
    for worker in stopping:
        worker.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point of a worker process: serve jobs on the socket whose descriptor is given."""
    args = sys.argv[1:] if argv is None else argv
    _serve(Connection(int(args[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
