"""A real HTTP server on 127.0.0.1 for tests: no mocks, real sockets, real HTTP/1.1.

Typical use::

    from tests.support.httpserver import LocalServer, Response

    with LocalServer() as srv:
        srv.route("/feed.xml", body=feed_bytes, content_type="application/rss+xml",
                  etag='"v1"')                    # answers 304 to If-None-Match: "v1"
        srv.redirect("/old", "/feed.xml", status=301)
        srv.robots("User-agent: *\\nDisallow: /private/")
        srv.serve_dir("/feeds/", shared_data / "feeds" / "feedjira" / "spec" / "sample_feeds")
        srv.route("/slow", body="late", delay=2.0)  # headers sent after 2 s
        srv.route("/big", body=b"x" * 10_000_000, chunked=True)  # no Content-Length
        srv.route("/dynamic", handler=lambda req: Response(body=req.query))
        ... fetch srv.url("/feed.xml") ...
        assert srv.hits("/feed.xml") == 1
        assert srv.requests[-1].headers["user-agent"].startswith("Herald/")

As a pytest fixture::

    @pytest.fixture()
    def server() -> Iterator[LocalServer]:
        with LocalServer() as srv:
            yield srv

Routes match the exact path (query ignored unless the route itself has one), then the
longest ``serve_dir`` prefix; anything else is a 404. ``srv.url(path, host="localhost")``
builds a URL with another host name for the same server. Every request is logged in
``srv.requests`` (thread-safe copies). An exception in a handler answers 500 and is kept in
``srv.errors``. The server runs in a daemon thread and stops when the ``with`` block ends,
interrupting any ``delay`` still running.

HTTPS: pass a server ``ssl.SSLContext`` (see ``tests/support/tls.py``) and the URLs become
``https://``::

    with LocalServer(tls=certs.server) as srv:      # the certificate is for "localhost"
        url = srv.url("/feed.xml", host="localhost")

The TLS handshake runs in the connection's own thread. ``srv.connections`` counts the TCP
connections accepted (with or without TLS); failed handshakes are kept, quietly, in
``srv.tls_errors`` (never in ``srv.errors``).
"""

from __future__ import annotations

import contextlib
import gzip as gzip_module
import mimetypes
import socket
import ssl
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Handler", "LocalServer", "Request", "Response"]

CONTENT_TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".opml": "text/x-opml",
}


@dataclass(frozen=True)
class Request:
    """One request as the server received it."""

    method: str
    path: str  # without the query
    query: str  # without the "?"
    headers: dict[str, str]  # lowercase names
    body: bytes
    at: float  # time.monotonic() on arrival

    @property
    def target(self) -> str:
        """Path and query, as in the request line."""
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)


@dataclass
class Response:
    """What a route answers. ``body`` may be text (sent as UTF-8)."""

    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before sending the status line
    chunked: bool = False  # Transfer-Encoding: chunked instead of Content-Length
    chunk_size: int = 65_536
    chunk_delay: float = 0.0  # seconds between two chunks (a slow body)
    gzip: bool = False  # send the body gzip-compressed (Content-Encoding: gzip)
    etag: str | None = None  # ETag header; If-None-Match with it gets 304
    last_modified: str | None = None  # Last-Modified; If-Modified-Since not older gets 304

    @property
    def data(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


Handler = Callable[[Request], Response]


class LocalServer:
    """A threaded HTTP/1.1 server on ``host`` (default 127.0.0.1) and an ephemeral port.

    With ``tls`` (a server-side ``ssl.SSLContext``) it speaks HTTPS instead of HTTP.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, tls: ssl.SSLContext | None = None
    ) -> None:
        self._routes: dict[str, Handler] = {}
        self._dirs: dict[str, Path] = {}
        self._requests: list[Request] = []
        self.errors: list[str] = []
        self.tls = tls
        self.tls_errors: list[str] = []
        self._connections = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server((host, port), _RequestHandler, self)
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> LocalServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.close_connections()
        self._server.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def scheme(self) -> str:
        return "https" if self.tls is not None else "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        """Absolute URL of ``path`` on this server, optionally under another host name."""
        if not path.startswith("/"):
            path = "/" + path
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    # ------------------------------------------------------------------ routes

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str = "text/plain; charset=utf-8",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        chunked: bool = False,
        chunk_delay: float = 0.0,
        gzip: bool = False,
        etag: str | None = None,
        last_modified: str | None = None,
        handler: Handler | None = None,
    ) -> None:
        """Answer ``path`` with a fixed response, or with ``handler(request)``."""
        if handler is None:
            response = Response(
                body=body,
                status=status,
                content_type=content_type,
                headers=dict(headers or {}),
                delay=delay,
                chunked=chunked,
                chunk_delay=chunk_delay,
                gzip=gzip,
                etag=etag,
                last_modified=last_modified,
            )
            handler = _constant(response)
        with self._lock:
            self._routes[path] = handler

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        """Redirect ``path`` to ``to`` (a path on this server or an absolute URL)."""
        self.route(path, status=status, headers={"Location": to})

    def robots(self, text: str, status: int = 200) -> None:
        """Serve ``text`` as /robots.txt (or just ``status``, e.g. 403 or 503)."""
        self.route("/robots.txt", text, status=status)

    def serve_dir(self, prefix: str, folder: str | Path) -> None:
        """Serve the files under ``folder`` at ``prefix`` + relative path."""
        prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        with self._lock:
            self._dirs[prefix] = Path(folder).resolve()

    def serve_file(self, path: str, file: str | Path, content_type: str | None = None) -> None:
        """Serve one file at ``path``."""
        file = Path(file)
        self.route(path, file.read_bytes(), content_type=content_type or guess_type(file))

    # ------------------------------------------------------------------ request log

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def hits(self, path: str) -> int:
        return len(self.requests_to(path))

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def connections(self) -> int:
        """TCP connections accepted so far (before any TLS handshake)."""
        with self._lock:
            return self._connections

    # ------------------------------------------------------------------ dispatch (server threads)

    def _record(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    def _count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def _record_tls_error(self, error: BaseException) -> None:
        with self._lock:
            self.tls_errors.append(f"{type(error).__name__}: {error}")

    def _dispatch(self, request: Request) -> Response:
        handler = self._find(request)
        if handler is None:
            return Response(body=f"no route for {request.path}\n", status=404)
        try:
            return handler(request)
        except Exception:
            with self._lock:
                self.errors.append(traceback.format_exc())
            return Response(body="handler failed\n", status=500)

    def _find(self, request: Request) -> Handler | None:
        with self._lock:
            handler = self._routes.get(request.target) or self._routes.get(request.path)
            if handler is not None:
                return handler
            dirs = sorted(self._dirs.items(), key=lambda item: -len(item[0]))
        for prefix, folder in dirs:
            if request.path.startswith(prefix):
                return _file_handler(folder, request.path[len(prefix) :])
        return None

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless the server stops first; False if it stopped."""
        return not self._stopping.wait(seconds) if seconds > 0 else True


def guess_type(path: Path) -> str:
    """Content type of a file from its suffix (feeds as XML, pages as HTML)."""
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def _constant(response: Response) -> Handler:
    return lambda _request: response


def _file_handler(folder: Path, relative: str) -> Handler:
    def serve(_request: Request) -> Response:
        file = (folder / relative).resolve()
        if not file.is_relative_to(folder) or not file.is_file():
            return Response(body=f"no file {relative}\n", status=404)
        return Response(body=file.read_bytes(), content_type=guess_type(file))

    return serve


def _not_modified(request: Request, response: Response) -> bool:
    if response.etag is not None and "if-none-match" in request.headers:
        tags = [t.strip().removeprefix("W/") for t in request.headers["if-none-match"].split(",")]
        return response.etag.removeprefix("W/") in tags or "*" in tags
    since = request.headers.get("if-modified-since")
    if response.last_modified is None or since is None:
        return False
    try:
        return parsedate_to_datetime(since) >= parsedate_to_datetime(response.last_modified)
    except (TypeError, ValueError):
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: LocalServer
    ) -> None:
        self.owner = owner
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        self.owner._count_connection()
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        """In the connection's thread: the TLS handshake first, when serving HTTPS."""
        if self.owner.tls is not None:
            wrapped = self._start_tls(request, self.owner.tls)
            if wrapped is None:
                return
            request = wrapped
        super().process_request_thread(request, client_address)

    def _start_tls(self, raw: socket.socket, context: ssl.SSLContext) -> ssl.SSLSocket | None:
        """The connection wrapped in TLS after a handshake, or None if the handshake failed."""
        wrapped: ssl.SSLSocket | None = None
        with self._connections_lock:
            self._connections.discard(raw)
            if not self.owner._stopping.is_set():
                try:  # wrap_socket takes the file descriptor over from ``raw``
                    wrapped = context.wrap_socket(
                        raw, server_side=True, do_handshake_on_connect=False
                    )
                except OSError as e:
                    self.owner._record_tls_error(e)
                else:
                    self._connections.add(wrapped)
        if wrapped is None:
            raw.close()
            return None
        try:
            wrapped.do_handshake()
        except OSError as e:  # ssl.SSLError included; e.g. the client refused the certificate
            self.owner._record_tls_error(e)
            self.shutdown_request(wrapped)
            return None
        return wrapped

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if self.owner.tls is not None and isinstance(error, (ssl.SSLError, ConnectionError)):
            self.owner._record_tls_error(error)  # e.g. a client closing without close_notify
            return
        if isinstance(error, ConnectionError):
            # a client resetting its (keep-alive) connection is not a server error; the
            # default handler prints it to sys.stderr, which from this thread lands in
            # whatever output a test is capturing at that moment (a CLI's JSON, say)
            return
        super().handle_error(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet tests

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle(send_body=False)

    def do_POST(self) -> None:
        self._handle()

    def _handle(self, send_body: bool = True) -> None:
        request = self._read_request()
        owner = self.server.owner
        owner._record(request)
        response = owner._dispatch(request)
        if not owner._wait(response.delay):
            self.close_connection = True
            return
        try:
            self._send(request, response, send_body)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    def _read_request(self) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        return Request(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            at=time.monotonic(),
        )

    def _send(self, request: Request, response: Response, send_body: bool) -> None:
        if _not_modified(request, response):
            self._send_head(304, response, {})
            return
        data = response.data
        extra: dict[str, str] = {}
        if response.gzip:
            data = gzip_module.compress(data)
            extra["Content-Encoding"] = "gzip"
        if response.status in (204, 304) or 100 <= response.status < 200:
            self._send_head(response.status, response, extra)
            return
        if response.chunked:
            extra["Transfer-Encoding"] = "chunked"
        else:
            extra["Content-Length"] = str(len(data))
        self._send_head(response.status, response, extra)
        if send_body:
            self._send_body(data, response)

    def _send_head(self, status: int, response: Response, extra: dict[str, str]) -> None:
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", response.content_type)
        if response.etag is not None:
            self.send_header("ETag", response.etag)
        if response.last_modified is not None:
            self.send_header("Last-Modified", response.last_modified)
        for name, value in {**response.headers, **extra}.items():
            self.send_header(name, value)
        self.end_headers()

    def _send_body(self, data: bytes, response: Response) -> None:
        if not response.chunked:
            self.wfile.write(data)
            return
        for chunk in _chunks(data, response.chunk_size):
            if not self.server.owner._wait(response.chunk_delay):
                self.close_connection = True
                return
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), max(1, size)):
        yield data[start : start + size]
