"""A real two-node Ray cluster on loopback for the tests (see herald.executor.local_cluster).

The cluster is started once per test session, on first use, by the ``ray_cluster``
fixture (two ``ray start`` nodes of one CPU each: a head on 127.0.0.2 and a second node on
127.0.0.3) and stopped at the end by ending exactly its own processes. Without Ray
installed, the tests that need it are skipped on a workstation and FAIL in CI (``CI=true``),
so CI never passes by skipping them.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from herald.executor.local_cluster import LocalRayCluster

IN_CI = os.environ.get("CI", "").lower() == "true"

_shared: LocalRayCluster | None = None
_users = 0


def unavailable(reason: str) -> None:
    """Skip the test outside CI; fail it in CI."""
    if IN_CI:
        pytest.fail(f"Ray is required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[LocalRayCluster]:
    """The session's two-node cluster (shared by every module that imports this fixture)."""
    global _shared, _users
    if importlib.util.find_spec("ray") is None:
        unavailable("Ray is not installed: pip install 'herald[ray]' (make dev does)")
    if _shared is None:
        cluster = LocalRayCluster(nodes=2, cpus=1)
        cluster.start()
        _shared = cluster
    _users += 1
    try:
        yield _shared
    finally:
        _users -= 1
        if _users == 0 and _shared is not None:
            _shared.stop()
            _shared = None


def ray_processes(cluster: LocalRayCluster, title: str) -> list[int]:
    """Pids of the cluster's processes whose title starts with ``title`` (Ray names a
    worker process ``ray::FUNCTION`` or ``ray::CLASS.METHOD`` while it runs a job)."""
    found = []
    for pid in cluster.pids():
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if raw.replace(b"\0", b" ").decode(errors="replace").startswith(title):
            found.append(pid)
    return found
