"""Even out keep-alive connections across the web workers.

``herald serve --workers N`` runs N processes that accept from one listening socket, and the
kernel hands a burst of new connections to whichever worker wakes first: 50 connections
opened together were split 50/0, 40/10, 38/12 and 22/28 between two workers (measured on
loopback). A keep-alive connection stays where it landed, so one worker queues requests while
the other idles, and the queue is the tail latency. Node's cluster module meets this by
accepting in the primary process and dealing connections round robin; nginx by a worker that
stops accepting once it holds more than its share; gRPC servers by ending connections at an age.

Here each worker posts how many connections it is serving (the clients it answered in the
last second) to a board, a directory the supervisor makes with one small file per worker.
A worker holding more than its share (the total divided by the workers, rounded up, plus one)
ends that many of its connections politely: the next response on each says
``Connection: close``. The client opens a new connection, which the worker that is free
first accepts, usually the one holding fewer. Nothing is refused and no request is lost.

The board is handed to the workers by ``HERALD_WORKER_BOARD`` (made by
``herald.web.server.run_server``; not a setting). A worker that stops posting for a second
counts as serving nobody.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

__all__ = [
    "BOARD_ENV",
    "Board",
    "ConnectionBalancer",
    "Share",
    "make_board",
]

BOARD_ENV = "HERALD_WORKER_BOARD"
WORKERS_FILE = "workers"
SUFFIX = ".count"
WINDOW = 1.0  # seconds: a client answered this recently holds a live connection
PERIOD = 0.25  # seconds between looks at the board
SLACK = 1  # connections a worker may hold above its share
RECORD = 32  # bytes of a posted record

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def make_board(directory: Path, workers: int) -> Path:
    """Prepare ``directory`` as the board of ``workers`` worker processes."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / WORKERS_FILE).write_text(f"{workers}\n")
    return directory


class Board:
    """One worker's view of the board: it posts its own count and reads the total.

    Each worker's file holds one fixed-width record, ``count posted-at``, rewritten in place
    (files stay open: a look costs a directory listing and a read per worker)."""

    def __init__(self, directory: Path, pid: int | None = None) -> None:
        self.directory = directory
        self.workers = max(1, int((directory / WORKERS_FILE).read_text().strip() or "1"))
        self.name = f"{pid if pid is not None else os.getpid()}{SUFFIX}"
        self._fds: dict[str, int] = {}

    def post(self, count: int) -> int:
        """Post this worker's count; returns the total over the workers posting lately."""
        now = time.time()
        record = f"{count} {now:.3f}".ljust(RECORD).encode()
        os.pwrite(self._fd(self.name, create=True), record, 0)
        total = 0
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if entry.name.endswith(SUFFIX):
                    total += self._fresh_count(entry.name, now - WINDOW)
        return total

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def _fd(self, name: str, create: bool = False) -> int:
        fd = self._fds.get(name)
        if fd is None:
            flags = os.O_RDWR | os.O_CREAT if create else os.O_RDONLY
            fd = self._fds[name] = os.open(self.directory / name, flags, 0o600)
        return fd

    def _fresh_count(self, name: str, fresh_since: float) -> int:
        """The count a worker posted, or 0 when it is stale, unreadable or half written."""
        with contextlib.suppress(OSError, ValueError):
            count, posted = os.pread(self._fd(name), RECORD, 0).split()[:2]
            if float(posted) >= fresh_since:
                return int(count)
        return 0


class Share:
    """Which of this worker's connections to end so that it holds no more than its share."""

    def __init__(self, board: Board, clock: Callable[[], float] = time.monotonic) -> None:
        self.board = board
        self.clock = clock
        self.seen: dict[object, float] = {}  # client address -> last answered
        self.excess = 0
        self.next_look = 0.0

    def should_close(self, client: object) -> bool:
        """Record a request from ``client``; whether its connection should end after the
        response."""
        now = self.clock()
        self.seen[client] = now
        if now >= self.next_look:
            self._look(now)
        if self.excess <= 0:
            return False
        self.excess -= 1
        del self.seen[client]
        return True

    def _look(self, now: float) -> None:
        since = now - WINDOW
        self.seen = {client: at for client, at in self.seen.items() if at >= since}
        mine = len(self.seen)
        total = max(self.board.post(mine), mine)
        share = math.ceil(total / self.board.workers)
        self.excess = max(0, mine - share - SLACK)
        self.next_look = now + PERIOD


class ConnectionBalancer:
    """ASGI middleware: answers with ``Connection: close`` where ``Share`` says so."""

    def __init__(self, app: ASGIApp, board: Path) -> None:
        self.app = app
        self.share = Share(Board(board))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or client is None or not self.share.should_close(tuple(client)):
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [h for h in message.get("headers", []) if h[0].lower() != b"connection"]
                message = {**message, "headers": [*kept, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)
