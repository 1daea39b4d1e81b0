"""The worker pool: real spawned processes, time limits, crashes, and a killed parent."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from herald.exceptions import FeedParseError, WorkerError, WorkerTimeoutError
from herald.workers import WorkerPool, worker_count
from tests.support import jobs

ROOT = Path(__file__).resolve().parents[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


def _wait_dead(pids: list[int], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def test_worker_count_reads_the_setting() -> None:
    assert worker_count(-1) == 0
    assert worker_count(3) == 3
    assert worker_count(0) >= 1


def test_jobs_run_in_other_processes_and_workers_are_reused() -> None:
    with WorkerPool(1, timeout=30) as pool:
        assert pool.run(jobs.add, 2, 3) == 5
        first = pool.run(jobs.pid)
        assert first != os.getpid()
        assert pool.run(jobs.pid) == first
        assert pool.pids() == [first]


def test_a_herald_error_reaches_the_caller_as_it_is_and_the_worker_survives() -> None:
    with WorkerPool(1, timeout=30) as pool:
        before = pool.run(jobs.pid)
        with pytest.raises(FeedParseError, match="not a feed"):
            pool.run(jobs.fail_like_herald, "not a feed")
        with pytest.raises(WorkerError, match="KeyError"):
            pool.run(jobs.fail_like_a_bug)
        assert pool.run(jobs.pid) == before


def test_a_job_past_its_time_limit_is_stopped_and_its_worker_replaced() -> None:
    with WorkerPool(1, timeout=1.0) as pool:
        before = pool.run(jobs.pid)
        started = time.monotonic()
        with pytest.raises(WorkerTimeoutError, match="longer than 1 s"):
            pool.run(jobs.sleep_then_pid, 60.0)
        assert time.monotonic() - started < 30
        assert _wait_dead([before])
        after = pool.run(jobs.pid)
        assert after != before


def test_a_worker_that_dies_mid_job_is_an_error_and_is_replaced() -> None:
    with WorkerPool(1, timeout=30) as pool:
        before = pool.run(jobs.pid)
        with pytest.raises(WorkerError, match="exit code 7"):
            pool.run(jobs.die, 7)
        assert pool.run(jobs.add, 1, 1) == 2
        assert pool.run(jobs.pid) != before


def test_no_workers_runs_jobs_in_this_process() -> None:
    with WorkerPool(worker_count(-1), timeout=0.01) as pool:
        assert pool.run(jobs.pid) == os.getpid()
        assert pool.run(jobs.sleep_then_pid, 0.05) == os.getpid()  # no time limit here
        with pytest.raises(FeedParseError):
            pool.run(jobs.fail_like_herald, "x")


def test_async_jobs_use_every_worker() -> None:
    async def main(pool: WorkerPool) -> list[int]:
        return list(
            await asyncio.gather(*(pool.run_async(jobs.sleep_then_pid, 0.3) for _ in range(6)))
        )

    with WorkerPool(2, timeout=30) as pool:
        pool.start()
        assert len(pool.pids()) == 2
        pids = asyncio.run(main(pool))
    assert len(set(pids)) == 2


def test_close_stops_every_worker() -> None:
    pool = WorkerPool(2, timeout=30)
    pool.start()
    pids = pool.pids()
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    pool.close()
    assert _wait_dead(pids)
    with pytest.raises(WorkerError, match="closed"):
        pool.run(jobs.pid)


CHILD = """
import sys, time
from herald.workers import WorkerPool
pool = WorkerPool(2, timeout=30)
pool.start()
print(" ".join(str(p) for p in pool.pids()), flush=True)
time.sleep(600)
"""


def test_workers_exit_when_their_parent_is_killed() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert _wait_dead(pids), "orphaned workers kept running"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
