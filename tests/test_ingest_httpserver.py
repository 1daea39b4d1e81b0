"""The reusable loopback HTTP server of tests/support/httpserver.py."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.httpserver import LocalServer, Request, Response


@pytest.fixture()
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5) as c:
        yield c


def test_routes_headers_and_request_log(client: httpx.Client) -> None:
    with LocalServer() as srv:
        srv.route("/a", "hello", content_type="text/x-test", headers={"X-Extra": "1"})
        response = client.get(srv.url("/a?q=1"), headers={"X-Probe": "yes"})
        assert (response.status_code, response.text) == (200, "hello")
        assert response.headers["content-type"] == "text/x-test"
        assert response.headers["x-extra"] == "1"
        assert client.get(srv.url("/nothing")).status_code == 404
        [first, second] = srv.requests
        assert (first.method, first.path, first.query, first.target) == (
            "GET",
            "/a",
            "q=1",
            "/a?q=1",
        )
        assert first.params == {"q": ["1"]}
        assert first.headers["x-probe"] == "yes"
        assert second.path == "/nothing"
        assert srv.hits("/a") == 1
        srv.clear_requests()
        assert srv.requests == []
        assert srv.url("x", host="localhost") == f"http://localhost:{srv.port}/x"
        assert srv.base_url == f"http://127.0.0.1:{srv.port}"


def test_handlers_redirects_and_handler_errors(client: httpx.Client) -> None:
    def echo(request: Request) -> Response:
        return Response(body=f"{request.method} {request.body.decode()}", status=201)

    def broken(_request: Request) -> Response:
        raise RuntimeError("boom")

    with LocalServer() as srv:
        srv.route("/echo", handler=echo)
        srv.route("/broken", handler=broken)
        srv.redirect("/go", "/echo", status=301)
        assert client.post(srv.url("/echo"), content=b"data").text == "POST data"
        moved = client.get(srv.url("/go"))
        assert (moved.status_code, moved.headers["location"]) == (301, "/echo")
        assert client.get(srv.url("/broken")).status_code == 500
        assert "RuntimeError: boom" in srv.errors[0]


def test_conditional_gzip_chunked_and_head(client: httpx.Client) -> None:
    stamp = "Wed, 01 May 2024 10:00:00 GMT"
    with LocalServer() as srv:
        srv.route("/c", "body", etag='W/"v2"', last_modified=stamp)
        srv.route("/z", "zipped " * 100, gzip=True)
        srv.route("/k", b"k" * 200_000, chunked=True)
        assert client.get(srv.url("/c"), headers={"If-None-Match": '"v2"'}).status_code == 304
        assert client.get(srv.url("/c"), headers={"If-Modified-Since": stamp}).status_code == 304
        assert client.get(srv.url("/c"), headers={"If-None-Match": '"v1"'}).status_code == 200
        zipped = client.get(srv.url("/z"))
        assert zipped.text == "zipped " * 100 and zipped.headers["content-encoding"] == "gzip"
        with client.stream("GET", srv.url("/z")) as raw:
            assert gzip.decompress(b"".join(raw.iter_raw())) == b"zipped " * 100
        chunked = client.get(srv.url("/k"))
        assert chunked.content == b"k" * 200_000
        assert chunked.headers["transfer-encoding"] == "chunked"
        head = client.head(srv.url("/c"))
        assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "4")


def test_serve_dir_and_serve_file(client: httpx.Client, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "feed.xml").write_bytes(b"<rss/>")
    (tmp_path / "page.html").write_text("<html></html>")
    (tmp_path.parent / "secret.txt").write_text("secret")
    with LocalServer() as srv:
        srv.serve_dir("/files", tmp_path)
        srv.serve_file("/one.json", tmp_path / "sub" / "feed.xml", content_type="application/json")
        feed = client.get(srv.url("/files/sub/feed.xml"))
        assert (feed.content, feed.headers["content-type"]) == (b"<rss/>", "application/xml")
        assert (
            client.get(srv.url("/files/page.html")).headers["content-type"].startswith("text/html")
        )
        assert client.get(srv.url("/files/missing.xml")).status_code == 404
        assert client.get(srv.url("/files/%2e%2e/secret.txt")).status_code == 404
        assert client.get(srv.url("/one.json")).headers["content-type"] == "application/json"


def test_stop_interrupts_delays(client: httpx.Client) -> None:
    srv = LocalServer().start()
    srv.route("/slow", "x", delay=30)
    with pytest.raises(httpx.ReadTimeout):
        client.get(srv.url("/slow"), timeout=0.2)
    started = time.monotonic()
    srv.stop()
    assert time.monotonic() - started < 3
