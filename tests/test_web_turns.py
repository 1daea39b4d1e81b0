"""The last client of a batch gets its turn (``herald.web.turns``).

The bookkeeping runs on its own; the wait on a real socket pair; and the protocol inside a
real uvicorn server on a loopback port (in a thread of this process, so the test can read
the server's turns): concurrent keep-alive clients, pipelined requests and a client that hangs
up halfway all leave nothing in flight, and every answer is right.
"""

from __future__ import annotations

import asyncio
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from herald.web.turns import (
    ANSWER_WAIT,
    MIN_BATCH,
    PROBE,
    PROTOCOL,
    Turns,
    readable_within,
    turns_of,
)


def _batch(turns: Turns, size: int) -> list[bool]:
    for connection in range(size):
        turns.started(connection)
    return [turns.answered_one(connection) for connection in range(size)]


def test_only_the_last_answer_of_a_busy_batch_waits() -> None:
    turns = Turns()
    assert _batch(turns, 5) == [False, False, False, False, True]
    assert _batch(turns, MIN_BATCH - 1) == [False] * (MIN_BATCH - 1)  # an idle worker


def test_an_answer_with_pipelined_requests_behind_it_does_not_wait() -> None:
    turns = Turns()
    turns.started(7)
    turns.started(7)  # a second request on the same connection before the first answer
    turns.started(8)
    assert turns.answered_one(7) is False
    assert turns.answered_one(8) is False  # 7 still has one in flight
    assert turns.answered_one(7) is True
    assert turns.inflight == {}


def test_a_closed_connection_is_forgotten() -> None:
    turns = Turns()
    for connection in (1, 2, 3):
        turns.started(connection)
    turns.forget(3)  # hung up before its answer
    assert turns.answered_one(1) is False
    assert turns.answered_one(2) is True
    assert turns.inflight == {}


def test_waits_that_stop_paying_become_rare_probes_and_come_back() -> None:
    turns = Turns()
    waits = 0
    for _ in range(10):
        if _batch(turns, 3)[-1]:
            waits += 1
            turns.waited(False)
    assert waits < 10  # stopped waiting after a few misses
    waits_before = waits
    decisions = [_batch(turns, 3)[-1] for _ in range(PROBE + 1)]
    assert decisions.count(True) == 1  # one probe per PROBE batches
    for _ in range(8):  # the probes find the clients again
        turns.waited(True)
    assert _batch(turns, 3)[-1] is True
    assert waits_before >= 3


def test_readable_within_sleeps_until_data_or_the_deadline() -> None:
    left, right = socket.socketpair()
    with left, right:
        started = time.perf_counter()
        assert readable_within(left.fileno(), 0.05) is False
        assert time.perf_counter() - started >= 0.04
        right.sendall(b"x")
        started = time.perf_counter()
        assert readable_within(left.fileno(), 5.0) is True
        assert time.perf_counter() - started < 1.0


def test_readable_within_works_without_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(select, "poll")  # as on Windows
    left, right = socket.socketpair()
    with left, right:
        assert readable_within(left.fileno(), 0.01) is False
        right.sendall(b"x")
        assert readable_within(left.fileno(), 5.0) is True


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(0.3)
    body = scope["path"].encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def server() -> Iterator[tuple[uvicorn.Server, int]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(_app, http=PROTOCOL, log_level="warning", lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert running.started
    yield running, port
    running.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def _read_answers(conn: socket.socket, count: int) -> list[bytes]:
    data = b""
    bodies: list[bytes] = []
    while len(bodies) < count:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            head = data[:head_end].decode().lower()
            length = int(head.split("content-length:")[1].split("\r\n")[0])
            start = head_end + 4
            if len(data) >= start + length:
                bodies.append(data[start : start + length])
                data = data[start + length :]
                continue
        chunk = conn.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    return bodies


def _settled(turns: Turns) -> bool:
    deadline = time.monotonic() + 5
    while turns.inflight and time.monotonic() < deadline:
        time.sleep(0.01)
    return not turns.inflight


def test_a_server_on_the_protocol_answers_everyone_and_keeps_no_stale_count(
    server: tuple[uvicorn.Server, int],
) -> None:
    running, port = server
    errors: list[BaseException] = []

    def client(number: int) -> None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                for round_ in range(20):
                    path = f"/c{number}/r{round_}"
                    conn.sendall(_request(path))
                    assert _read_answers(conn, 1) == [path.encode()]
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(_request("/p1") + _request("/p2") + _request("/p3"))  # pipelined
        assert _read_answers(conn, 3) == [b"/p1", b"/p2", b"/p3"]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(_request("/slow"))  # and hang up before the answer
    turns = turns_of(running.server_state)
    assert _settled(turns)
    assert ANSWER_WAIT <= 0.01  # a wait never holds the loop for long
