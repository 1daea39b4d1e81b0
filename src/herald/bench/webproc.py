"""The real web app in its own process for ``herald bench serve``: uvicorn on a loopback port.

The server runs apart from the load generator (its own interpreters, so the generator's
work does not share their GIL): ``python -m herald.bench.webproc --fd FD --workers N`` serves
the app as ``herald serve --workers N`` does (``herald.web.server``: uvicorn with httptools
and uvloop, ``N`` worker processes under uvicorn's own supervisor).

The listening socket is made in this process (``herald.web.server.listening_socket``: with
``IPPROTO_TCP``, so that accepted connections get ``TCP_NODELAY``) and bound to port 0, which
picks a free port without a race; the server process inherits it.

Settings reach the server through ``HERALD_*`` environment variables only: every other
``HERALD_*`` variable of the caller is dropped, so a local environment cannot change the run.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

from herald.exceptions import HeraldError
from herald.web.server import listening_socket

__all__ = ["WebProcess", "main", "server_stack"]

HOST = "127.0.0.1"
START_TIMEOUT = 120.0
RESTART_LINE = "] died"  # uvicorn's "Child process [<pid>] died"


def main(argv: list[str] | None = None) -> None:
    """Serve the app of the environment on the inherited socket ``--fd`` with ``--workers``
    processes."""
    import argparse

    from herald.web.server import run_server

    parser = argparse.ArgumentParser(prog="python -m herald.bench.webproc")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, fileno=args.fd)
    # info: the supervisor says at info level when it replaces a worker
    run_server(sock, workers=args.workers, log_level="info")


def server_stack() -> dict[str, str]:
    """The HTTP parser and event loop uvicorn's ``auto`` settings pick here."""
    found = {name: importlib.util.find_spec(name) is not None for name in ("httptools", "uvloop")}
    return {
        "http": "httptools" if found["httptools"] else "h11",
        "loop": "uvloop" if found["uvloop"] else "asyncio",
    }


class WebProcess:
    """``uvicorn`` serving Herald on ``HOST:port`` with ``workers`` worker processes."""

    def __init__(self, settings_env: dict[str, str], workers: int, log_file: Path) -> None:
        self.settings_env = settings_env
        self.workers = workers
        self.log_file = log_file
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        return self._process.pid if self._process is not None else 0

    def start(self) -> Self:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        env.update(self.settings_env)
        with listening_socket(HOST, 0) as sock, self.log_file.open("wb") as log:
            self.port = sock.getsockname()[1]
            fd = sock.fileno()
            command = [sys.executable, "-m", "herald.bench.webproc", "--fd", str(fd)]
            self._process = subprocess.Popen(
                [*command, "--workers", str(self.workers)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(fd,),
                start_new_session=True,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        url = f"http://{HOST}:{self.port}/static/herald.css"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                break
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                opener.open(url, timeout=2) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.2)
        log = self.log_file.read_text(errors="replace")[-2000:]
        self.stop()
        raise HeraldError(f"the web app did not start on {HOST}:{self.port}: {log}")

    def worker_restarts(self) -> int:
        """Workers the supervisor has replaced so far (one that missed its 5 s health check
        is killed: its connections drop and its replacement starts cold)."""
        return self.log_file.read_text(errors="replace").count(RESTART_LINE)

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the server and its worker processes (Linux), else None."""
        if self._process is None or not Path("/proc/self/stat").exists():
            return None
        return sum(_cpu_of(pid) for pid in _tree(self._process.pid))

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _stat_fields(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return raw.rpartition(")")[2].split()  # the fields after the command name


def _tree(root: int) -> list[int]:
    """``root`` and its descendants (by scanning /proc for parent ids)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if len(fields) > 1:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _cpu_of(pid: int) -> float:
    fields = _stat_fields(pid)
    if len(fields) < 13:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
