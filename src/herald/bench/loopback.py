"""A fast HTTP/1.1 server on 127.0.0.1 for benchmarks, run in its own process.

The benchmark must measure Herald, not the server, so the server is small and runs apart
from the measured process (its own interpreter, its own GIL, its memory not counted in the
client's peak RSS): asyncio protocols, keep-alive, ``TCP_NODELAY``, every response built
once in advance. It serves

* ``/feeds/<i>/<name>``: ``feed_count`` distinct feed addresses, the body of the
  ``i mod len(feeds)``-th feed file; each answer has an ``ETag`` and a ``Last-Modified``,
  and ``If-None-Match`` with that ETag gets ``304 Not Modified``;
* ``/pages/<i>.html``: ``page_count`` article pages, cycling through the page files
  (``.gz`` files are served decompressed);
* ``/robots.txt`` allowing everything, and ``/__stats`` (JSON: requests answered, bytes
  sent, CPU seconds the server process has used) so a benchmark can tell whether the server
  was busy.

Run it as ``python -m herald.bench.loopback MANIFEST.json``: it prints ``LISTENING <port>``
on its first line, then serves until its standard input closes or it receives SIGTERM.
:class:`LoopbackServer` does exactly that from the benchmark process.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

__all__ = ["LoopbackServer", "ServerStats", "feed_path", "page_path"]

ROBOTS = b"User-agent: *\nAllow: /\n"
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
MAX_HEAD = 65_536
FEED_TYPES = {".json": "application/feed+json", ".xml": "application/xml"}


def feed_path(index: int, file_name: str) -> str:
    """The address path of the ``index``-th feed (its body is the feed file ``file_name``)."""
    return f"/feeds/{index}/{quote(file_name)}"


def page_path(index: int) -> str:
    """The address path of the ``index``-th article page."""
    return f"/pages/{index}.html"


@dataclass(frozen=True)
class ServerStats:
    """Counters of the server process at one moment."""

    requests: int
    bytes_sent: int
    cpu_seconds: float


# --------------------------------------------------------------------------- the server process


@dataclass(frozen=True)
class _Resource:
    ok: bytes  # a complete 200 response
    not_modified: bytes | None  # a complete 304 response, when the resource has an ETag
    etag: bytes


def _response(status: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _resource(body: bytes, content_type: str, *, validators: bool) -> _Resource:
    headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
    if not validators:
        return _Resource(_response("200 OK", headers, body), None, b"")
    etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
    extra = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
    head_304 = {**extra, "Content-Length": "0"}
    return _Resource(
        _response("200 OK", {**headers, **extra}, body),
        _response("304 Not Modified", head_304, b""),
        etag.encode(),
    )


def _read_body(file: Path) -> bytes:
    data = file.read_bytes()
    return gzip.decompress(data) if file.suffix == ".gz" else data


class _Site:
    """Every response of the server, keyed by request path."""

    def __init__(self, manifest: dict[str, Any]) -> None:
        self.requests = 0
        self.bytes_sent = 0
        feeds = [
            (Path(f).name, _resource(Path(f).read_bytes(), _feed_type(f), validators=True))
            for f in manifest["feeds"]
        ]
        pages = [
            _resource(_read_body(Path(f)), "text/html", validators=False) for f in manifest["pages"]
        ]
        self.routes: dict[bytes, _Resource] = {
            b"/robots.txt": _resource(ROBOTS, "text/plain", validators=False)
        }
        for i in range(int(manifest["feed_count"]) if feeds else 0):
            name, resource = feeds[i % len(feeds)]
            self.routes[feed_path(i, name).encode()] = resource
        for i in range(int(manifest["page_count"]) if pages else 0):
            self.routes[page_path(i).encode()] = pages[i % len(pages)]
        self.not_found = _response(
            "404 Not Found", {"Content-Type": "text/plain", "Content-Length": "10"}, b"not found\n"
        )
        self.bad_request = _response(
            "400 Bad Request",
            {"Content-Length": "0", "Connection": "close"},
            b"",
        )

    def answer(self, head: bytes) -> tuple[bytes, bool]:
        """The response to one request head, and whether to close the connection after it."""
        self.requests += 1
        line, _, rest = head.partition(b"\r\n")
        parts = line.split(b" ")
        if len(parts) != 3 or parts[0] not in (b"GET", b"HEAD"):
            return self.bad_request, True
        target = parts[1].split(b"?", 1)[0]
        headers = rest.lower()
        close = b"connection: close" in headers
        if target == b"/__stats":
            return self._stats(), close
        resource = self.routes.get(target)
        if resource is None:
            return self.not_found, close
        if resource.not_modified is not None and _matches(headers, resource.etag):
            return resource.not_modified, close
        data = resource.ok
        if parts[0] == b"HEAD":
            data = data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        return data, close

    def _stats(self) -> bytes:
        body = json.dumps(
            {
                "requests": self.requests,
                "bytes_sent": self.bytes_sent,
                "cpu_seconds": time.process_time(),
            }
        ).encode()
        return _resource(body, "application/json", validators=False).ok


def _feed_type(file: str) -> str:
    return FEED_TYPES.get(Path(file).suffix.lower(), "application/xml")


def _matches(headers: bytes, etag: bytes) -> bool:
    start = headers.find(b"if-none-match:")
    if start < 0:
        return False
    end = headers.find(b"\r\n", start)
    value = headers[start + len(b"if-none-match:") : end if end >= 0 else None]
    return etag.lower() in value


class _Connection(asyncio.Protocol):
    def __init__(self, site: _Site) -> None:
        self.site = site
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD:
                    self.transport.close()
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            response, close = self.site.answer(head)
            self.site.bytes_sent += len(response)
            self.transport.write(response)
            if close:
                self.transport.close()
                return


async def _serve(manifest: dict[str, Any]) -> None:
    site = _Site(manifest)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    server = await loop.create_server(
        lambda: _Connection(site), "127.0.0.1", int(manifest.get("port", 0)), backlog=1024
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def wait_for_eof() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait_for_eof, daemon=True).start()
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"LISTENING {port}\n")
    sys.stdout.flush()
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Serve the manifest named on the command line (see the module docstring)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m herald.bench.loopback MANIFEST.json\n")
        raise SystemExit(2)
    manifest = json.loads(Path(args[0]).read_text())
    asyncio.run(_serve(manifest))


# --------------------------------------------------------------------------- the client side


class LoopbackServer:
    """Starts the server process for ``feeds`` and ``pages`` files; stops it on exit.

    ``feed_count`` distinct feed addresses cycle through ``feeds``, ``page_count`` page
    addresses through ``pages``; the manifest is written to ``manifest``.
    """

    def __init__(
        self,
        manifest: Path,
        feeds: list[Path],
        feed_count: int,
        pages: list[Path],
        page_count: int,
    ) -> None:
        self.feeds = feeds
        self.feed_count = feed_count
        self.pages = pages
        self.page_count = page_count
        manifest.write_text(
            json.dumps(
                {
                    "feeds": [str(f) for f in feeds],
                    "feed_count": feed_count,
                    "pages": [str(p) for p in pages],
                    "page_count": page_count,
                }
            )
        )
        self._manifest = manifest
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self, timeout: float = 120.0) -> Self:
        process = subprocess.Popen(
            [sys.executable, "-m", "herald.bench.loopback", str(self._manifest)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._process = process
        assert process.stdout is not None
        line = _read_line(process, timeout)
        if not line.startswith("LISTENING "):
            self.stop()
            raise RuntimeError(f"the benchmark HTTP server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def feed_urls(self) -> list[str]:
        return [
            self.base_url + feed_path(i, self.feeds[i % len(self.feeds)].name)
            for i in range(self.feed_count)
        ]

    def page_urls(self) -> list[str]:
        return [self.base_url + page_path(i) for i in range(self.page_count)]

    def stats(self) -> ServerStats:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.base_url + "/__stats", timeout=10) as response:
            data = json.loads(response.read())
        return ServerStats(
            requests=int(data["requests"]),
            bytes_sent=int(data["bytes_sent"]),
            cpu_seconds=float(data["cpu_seconds"]),
        )


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    """The server's first output line (empty if it exits or stays silent for ``timeout``)."""
    result: list[bytes] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0].decode(errors="replace").strip() if result else ""


if __name__ == "__main__":
    main()
