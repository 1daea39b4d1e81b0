"""An HTTP/1.1 load generator on raw asyncio streams, for loopback benchmarks.

Closed loop (the default): ``run_load`` keeps exactly ``concurrency`` keep-alive connections
busy: each sends one request, reads the whole response, and sends the next (a connection
that fails or is closed by the server is opened again). Requests started during the warm-up
are not recorded; those started in the measured window are, with their full latency (from
writing the request to the last byte of the body).

Open loop (``rate`` requests per second): requests arrive on a seeded Poisson schedule that
does not wait for the server, and the next free one of the ``concurrency`` connections sends
each. A request's latency counts from its scheduled arrival, so time spent waiting for a free
connection is included (no "coordinated omission": a slow server cannot slow the arrivals
and hide its queue). This is how readers arrive; the closed loop measures the ceiling.

Each request is built by a caller's function from a seeded random generator, so every
request can come from a different reader.

The client is deliberately small (no HTTP library: a request is one pre-built byte string,
a response is a status line, headers and a ``Content-Length`` or chunked body) and reports
its own CPU time, so a run can show that the generator was not what limited throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["LoadResult", "RequestFactory", "arrivals", "run_load", "summarize"]

RequestFactory = Callable[[random.Random], bytes]
"""Builds one complete HTTP/1.1 request (head and body) as bytes."""

MAX_HEAD = 65_536
REQUEST_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0
ERROR_PAUSE = 0.01


class _ResponseError(Exception):
    """The server's answer could not be read as an HTTP/1.1 response."""


@dataclass
class LoadResult:
    """What one measured window recorded."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    body_bytes: int = 0
    seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    connections_opened: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())


def summarize(result: LoadResult) -> dict[str, object]:
    """Counts, rates and latency percentiles (milliseconds) of a window, as JSON values."""
    done = sorted(result.latencies)
    requests = result.requests
    seconds = result.seconds or 1e-9
    return {
        "requests": requests,
        "errors": sum(result.errors.values()),
        "error_kinds": dict(result.errors),
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "seconds": round(result.seconds, 3),
        "requests_per_second": round(requests / seconds, 1),
        "latency_ms": _percentiles(done),
        "mean_body_bytes": round(result.body_bytes / len(done)) if done else 0,
        "client_cpu_seconds": round(result.client_cpu_seconds, 3),
        "client_cpu_share": round(result.client_cpu_seconds / seconds, 3),
        "client_cpu_us_per_request": round(1e6 * result.client_cpu_seconds / max(requests, 1), 1),
        "connections_opened": result.connections_opened,
    }


def _percentiles(done: list[float]) -> dict[str, float | None]:
    if not done:
        return {"p50": None, "p90": None, "p99": None, "max": None, "mean": None}

    def at(q: float) -> float:
        return round(1000 * done[min(len(done) - 1, int(q * len(done)))], 2)

    return {
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "max": round(1000 * done[-1], 2),
        "mean": round(1000 * sum(done) / len(done), 2),
    }


def run_load(
    host: str,
    port: int,
    make_request: RequestFactory,
    *,
    concurrency: int,
    warmup: float,
    duration: float,
    seed: int = 0,
    rate: float | None = None,
) -> LoadResult:
    """Drive the server for ``warmup + duration`` seconds; returns the measured window.
    ``rate``: open loop at this many requests per second (None: closed loop)."""
    if rate is not None and rate <= 0:
        raise ValueError("the rate must be positive")
    return asyncio.run(_run(host, port, make_request, concurrency, warmup, duration, seed, rate))


def arrivals(start: float, rate: float, rng: random.Random) -> Iterator[float]:
    """Poisson arrival times from ``start`` at ``rate`` per second (exponential gaps)."""
    at = start
    while True:
        at += rng.expovariate(rate)
        yield at


async def _run(
    host: str,
    port: int,
    make_request: RequestFactory,
    concurrency: int,
    warmup: float,
    duration: float,
    seed: int,
    rate: float | None,
) -> LoadResult:
    result = LoadResult()
    start = time.perf_counter()
    window = (start + warmup, start + warmup + duration)
    cpu: list[float] = []  # the process's CPU time when the window opens and closes
    loop = asyncio.get_running_loop()
    offset = loop.time() - time.perf_counter()
    for edge in window:
        loop.call_at(edge + offset, lambda: cpu.append(time.process_time()))
    schedule = None if rate is None else arrivals(start, rate, random.Random(seed * 7_919 + 1))
    connections = [
        _Connection(
            host, port, make_request, random.Random(seed * 100_003 + i), result, window, schedule
        )
        for i in range(concurrency)
    ]
    await asyncio.gather(*(c.drive() for c in connections))
    result.seconds = duration
    if len(cpu) == 2:
        result.client_cpu_seconds = cpu[1] - cpu[0]
    return result


class _Connection:
    """One keep-alive connection sending requests back to back until the window closes."""

    def __init__(
        self,
        host: str,
        port: int,
        make_request: RequestFactory,
        rng: random.Random,
        result: LoadResult,
        window: tuple[float, float],
        schedule: Iterator[float] | None = None,
    ) -> None:
        self.schedule = schedule  # shared by all connections: the next free one takes the next
        self.host = host
        self.port = port
        self.make_request = make_request
        self.rng = rng
        self.result = result
        self.window = window
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def drive(self) -> None:
        try:
            while (started := await self._next_start()) < self.window[1]:
                request = self.make_request(self.rng)
                outcome = await self._one(request)
                if started >= self.window[0]:
                    self._record(outcome, time.perf_counter() - started)
        finally:
            await self._close()

    async def _next_start(self) -> float:
        """When the next request counts from: now (closed loop), or its scheduled arrival,
        waited for when it is still ahead (open loop)."""
        now = time.perf_counter()
        if self.schedule is None:
            return now
        at = next(self.schedule)
        if at > now and at < self.window[1]:
            await asyncio.sleep(at - now)
        return at

    def _record(self, outcome: tuple[int, int] | str, elapsed: float) -> None:
        if isinstance(outcome, str):
            self.result.errors[outcome] += 1
            return
        status, size = outcome
        self.result.statuses[status] += 1
        if status >= 400:
            self.result.errors[f"http {status}"] += 1
            return
        self.result.latencies.append(elapsed)
        self.result.body_bytes += size

    async def _one(self, request: bytes) -> tuple[int, int] | str:
        """(status, body bytes) of one exchange, or the name of the error."""
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                reader, writer = await self._connected()
                writer.write(request)
                status, size, keep = await _read_response(reader)
        except TimeoutError:
            await self._close()
            return "timeout"
        except (OSError, asyncio.IncompleteReadError, _ResponseError) as e:
            await self._close()
            await asyncio.sleep(ERROR_PAUSE)  # no busy loop against a server that is down
            return type(e).__name__
        if not keep:
            await self._close()
        return status, size

    async def _connected(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            sock = self.writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.result.connections_opened += 1
        return self.reader, self.writer

    async def _close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Read one response; returns (status, body bytes, whether the connection stays open)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError as e:
        raise _ResponseError("response head too long") from e
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise _ResponseError(f"bad status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding", "").endswith("chunked"):
        size = await _read_chunked(reader)
    elif "content-length" in headers:
        size = int(headers["content-length"])
        await reader.readexactly(size)
    else:
        raise _ResponseError("a response without a length on a keep-alive connection")
    keep = headers.get("connection") != "close" and parts[0] == "HTTP/1.1"
    return int(parts[1]), size, keep


async def _read_chunked(reader: asyncio.StreamReader) -> int:
    total = 0
    while True:
        line = await reader.readuntil(b"\r\n")
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return total
        await reader.readexactly(size + 2)
        total += size
