"""Web workers even out their keep-alive connections (``herald.web.balance``).

The board is real files in a temporary directory; the share logic runs on a fake clock; the
middleware runs on a real ASGI call; and ``herald serve --workers 2`` (a real process on a
loopback port, SQLite) is given all of a client's connections on one worker, found through
``/proc``, until the busy worker hands the extra ones back.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from herald.app import make_herald
from herald.config import Settings
from herald.web.balance import (
    PERIOD,
    RECORD,
    SLACK,
    WINDOW,
    Board,
    ConnectionBalancer,
    Share,
    make_board,
)
from tests.test_web_multiworker import Server, start_server


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _post_as(board_dir: Path, pid: int, count: int, posted: float | None = None) -> None:
    at = time.time() if posted is None else posted
    (board_dir / f"{pid}.count").write_bytes(f"{count} {at:.3f}".ljust(RECORD).encode())


@pytest.fixture
def board_dir(tmp_path: Path) -> Path:
    return make_board(tmp_path / "board", 2)


def test_a_worker_over_its_share_closes_just_the_excess(board_dir: Path) -> None:
    _post_as(board_dir, 2, 0)  # the other worker serves nobody
    share = Share(Board(board_dir, pid=1), clock=Clock())
    closed = [share.should_close(("127.0.0.1", port)) for port in range(10)]
    # Ten connections here, none there: the share is 5, and one more may stay.
    assert closed.count(True) == 0  # the first look saw one client, the others came after
    share.clock.now += PERIOD  # type: ignore[attr-defined]
    closed = [share.should_close(("127.0.0.1", port)) for port in range(10)]
    assert closed.count(True) == 10 - 5 - SLACK
    assert len(share.seen) == 5 + SLACK


def test_balanced_workers_keep_their_connections(board_dir: Path) -> None:
    _post_as(board_dir, 2, 10)
    clock = Clock()
    share = Share(Board(board_dir, pid=1), clock=clock)
    for _ in range(3):
        assert not any(share.should_close(("127.0.0.1", port)) for port in range(10))
        clock.now += PERIOD


def test_a_worker_that_stopped_posting_counts_as_serving_nobody(board_dir: Path) -> None:
    _post_as(board_dir, 2, 50, posted=time.time() - 5 * WINDOW)
    clock = Clock()
    share = Share(Board(board_dir, pid=1), clock=clock)
    for port in range(8):
        share.should_close(("127.0.0.1", port))
    clock.now += PERIOD
    assert [share.should_close(("127.0.0.1", p)) for p in range(8)].count(True) == 8 - 4 - SLACK


def test_clients_gone_quiet_no_longer_count(board_dir: Path) -> None:
    _post_as(board_dir, 2, 0)
    clock = Clock()
    share = Share(Board(board_dir, pid=1), clock=clock)
    for port in range(8):
        share.should_close(("127.0.0.1", port))
    clock.now += 2 * WINDOW  # all eight went quiet; two are back
    assert not share.should_close(("127.0.0.1", 0))
    assert not share.should_close(("127.0.0.1", 1))


def test_a_half_written_or_foreign_file_counts_as_nobody(board_dir: Path) -> None:
    (board_dir / "3.count").write_bytes(b"garbage")
    (board_dir / "4.count").write_bytes(b"")
    _post_as(board_dir, 2, 3)
    board = Board(board_dir, pid=1)
    try:
        assert board.post(4) == 7
    finally:
        board.close()


def _call(app: ConnectionBalancer, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    asyncio.run(app(scope, receive, send))
    return sent


async def _answer(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"connection", b"keep-alive")],
        }
    )
    await send({"type": "http.response.body", "body": b"ok"})


def test_the_middleware_says_connection_close_where_the_share_says_so(board_dir: Path) -> None:
    _post_as(board_dir, 99, 0)
    app = ConnectionBalancer(_answer, board=board_dir)
    clock = Clock()
    app.share.clock = clock
    scope = {"type": "http", "client": ["127.0.0.1", 1000]}  # a list, as some servers give
    for port in range(6):
        _call(app, scope | {"client": ("127.0.0.1", port)})
    clock.now += PERIOD
    answers = [_call(app, scope | {"client": ("127.0.0.1", port)}) for port in range(6)]
    closing = [a for a in answers if (b"connection", b"close") in a[0]["headers"]]
    assert len(closing) == 6 - 3 - SLACK
    for sent in closing:
        assert [h for h in sent[0]["headers"] if h[0] == b"connection"] == [
            (b"connection", b"close")
        ]
        assert sent[1] == {"type": "http.response.body", "body": b"ok"}


def test_the_middleware_passes_other_scopes_through(board_dir: Path) -> None:
    app = ConnectionBalancer(_answer, board=board_dir)
    sent = _call(app, {"type": "http"})  # no client address
    assert (b"connection", b"keep-alive") in sent[0]["headers"]


# --------------------------------------------------------------------------- a real server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("finds each connection's worker in /proc (Linux)")
    workdir = tmp_path_factory.mktemp("balance")
    data_dir = workdir / "data"
    make_herald(Settings(data_dir=str(data_dir))).close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env["HERALD_DATA_DIR"] = str(data_dir)
    found = start_server(env, workdir)
    try:
        found.workers = found.find_workers()
        yield found
    finally:
        found.stop()


def _get(conn: http.client.HTTPConnection) -> bool:
    """One request; whether the server keeps the connection open."""
    conn.request("GET", "/static/herald.css")
    response = conn.getresponse()
    response.read()
    assert response.status == 200
    return (response.getheader("connection") or "").lower() != "close"


def test_connections_piled_on_one_worker_spread_to_both(server: Server) -> None:
    busy = server.workers[0]
    opened = [server.connect(worker=busy) for _ in range(12)]
    conns = [conn for conn, _ in opened]
    owners = [pid for _, pid in opened]
    closed = 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for i, conn in enumerate(conns):
            if not _get(conn):
                closed += 1
                conn.close()
                conns[i], owners[i] = server.connect()
        split = Counter(owners)
        if closed and max(split.values()) <= 6 + SLACK and len(split) == 2:
            break
    for conn in conns:
        conn.close()
    split = Counter(owners)
    assert closed >= 12 - 6 - SLACK
    assert len(split) == 2 and max(split.values()) <= 6 + SLACK, split
