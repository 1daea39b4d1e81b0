"""A throwaway Ray cluster on this machine, for tests and ``herald bench pipeline``.

Each node is a real ``ray start`` (a head node, then more nodes joining it), on loopback
addresses only: the head on 127.0.0.2, the others on 127.0.0.3, 127.0.0.4, ... (Ray turns
``127.0.0.1`` and ``localhost`` into the machine's outward-facing address, so the nodes
use other addresses of the loopback range, which Ray keeps as given).

Each ``ray start`` runs in a process group of its own, and :meth:`LocalRayCluster.stop`
ends exactly the processes of those groups and their children, by process id: never
``ray stop``, which would stop every Ray process on the machine, other users' too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from herald.exceptions import ConfigError, WorkerError

__all__ = ["LocalRayCluster", "ray_command"]

HEAD_IP = "127.0.0.2"
START_TIMEOUT = 120.0
STOP_GRACE = 10.0


def ray_command() -> str:
    """The ``ray`` program beside this Python (the same environment), else on PATH."""
    beside = Path(sys.executable).parent / "ray"
    found = str(beside) if beside.exists() else shutil.which("ray")
    if not found:
        raise ConfigError("the ray command is not installed: pip install 'herald[ray]'")
    return found


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, process group) of every live process (from /proc; zombies,
    which are only waiting to be reaped, are left out)."""
    table: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            table[int(entry)] = (int(fields[1]), int(fields[2]))
    return table


class LocalRayCluster:
    """``nodes`` Ray nodes of ``cpus`` CPUs each on loopback; ``address`` once started.
    ``port`` starts the head on that port (a cluster restarted at the same address)."""

    def __init__(
        self,
        nodes: int = 2,
        cpus: int = 1,
        object_store_bytes: int = 100_000_000,
        port: int = 0,
    ) -> None:
        self.port = port  # the head's port (0: a free one)
        self.nodes = nodes
        self.cpus = cpus
        self.object_store_bytes = object_store_bytes
        self.address = ""
        self._groups: list[int] = []
        self._temp = ""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> str:
        """Start the head and the other nodes; returns the cluster's address."""
        self._temp = tempfile.mkdtemp(prefix="herald-ray-")  # short: Ray's socket paths
        port = self.port or _free_port(HEAD_IP)
        common = [
            f"--num-cpus={self.cpus}",
            f"--object-store-memory={self.object_store_bytes}",
            "--disable-usage-stats",
        ]
        try:
            self._ray_start(
                "--head",
                f"--node-ip-address={HEAD_IP}",
                f"--port={port}",
                "--include-dashboard=false",
                f"--temp-dir={self._temp}",
                *common,
            )
            self.address = f"{HEAD_IP}:{port}"
            for n in range(1, self.nodes):
                self._ray_start(
                    f"--address={self.address}", f"--node-ip-address=127.0.0.{2 + n}", *common
                )
        except BaseException:
            self.stop()
            raise
        return self.address

    def _ray_start(self, *args: str) -> None:
        # no usage reports; and the same authentication mode on every node (a token left in
        # ~/.ray by an earlier `ray.init()` would otherwise switch the head alone to tokens)
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
        proc = subprocess.Popen(
            [ray_command(), "start", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its own process group: stop() ends exactly these
        )
        self._groups.append(proc.pid)
        try:
            output, _ = proc.communicate(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired as e:
            proc.kill()
            raise WorkerError(f"ray start {' '.join(args)} took over {START_TIMEOUT:g} s") from e
        if proc.returncode != 0:
            tail = output.decode(errors="replace").strip().splitlines()[-15:]
            raise WorkerError(f"ray start failed ({proc.returncode}):\n" + "\n".join(tail))

    def pids(self) -> list[int]:
        """The cluster's processes: its process groups and everything they started."""
        table = _process_table()
        mine = {pid for pid, (_, group) in table.items() if group in self._groups}
        grew = True
        while grew:
            children = {pid for pid, (parent, _) in table.items() if parent in mine} - mine
            grew = bool(children)
            mine |= children
        return sorted(mine)

    def stop(self) -> None:
        """End every process of the cluster (SIGTERM, then SIGKILL) and remove its files.

        The processes are listed again before each signal and until none is left: while
        stopping, a raylet may still start a worker or restart an agent."""
        _signal_all(self.pids(), signal.SIGTERM, STOP_GRACE)
        deadline = time.monotonic() + STOP_GRACE
        while (left := self.pids()) and time.monotonic() < deadline:
            _signal_all(left, signal.SIGKILL, 1.0)
        self._groups = []
        self.address = ""
        if self._temp:
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = ""


def _signal_all(pids: list[int], sig: signal.Signals, wait: float) -> None:
    """Send ``sig`` to ``pids``, then wait up to ``wait`` seconds for them to end."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
    deadline = time.monotonic() + wait
    while pids and time.monotonic() < deadline:
        time.sleep(0.1)
        pids = [p for p in pids if _alive(p)]


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie child counts as gone, and is reaped)."""
    with contextlib.suppress(ChildProcessError, OSError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"
