"""Fetcher against a real HTTP server on loopback: no HTTP mocks."""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import pytest

from herald.config import Settings
from herald.exceptions import BlockedError, FetchError, HeraldError, TooLargeError
from herald.ingest.fetch import (
    IDLE_CONNECTIONS,
    Fetcher,
    FetchRequest,
    HTTPStatusError,
    TooManyRedirectsError,
)
from herald.types import FetchResult
from tests.support.httpserver import LocalServer, Request, Response

T = TypeVar("T")


@pytest.fixture()
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def run(settings: Settings, use: Callable[[Fetcher], Awaitable[T]], **options: Any) -> T:
    """Run ``use(fetcher)`` with a fresh Fetcher in a fresh event loop."""

    async def main() -> T:
        async with Fetcher(settings, retry_base=0.01, **options) as fetcher:
            return await use(fetcher)

    return asyncio.run(main())


def fetch(settings: Settings, url: str, **kwargs: Any) -> FetchResult:
    return run(settings, lambda f: f.fetch(url, **kwargs))


class Sleeps:
    """An injectable sleep that records what it was asked to wait, without waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def sequence(*responses: Response) -> Callable[[Request], Response]:
    """A handler answering with each response in turn, then repeating the last."""
    remaining = list(responses)
    lock = threading.Lock()

    def handle(_request: Request) -> Response:
        with lock:
            return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return handle


# --------------------------------------------------------------------------- basics


def test_get_returns_body_headers_and_sends_the_user_agent(
    server: LocalServer, settings: Settings
) -> None:
    server.route("/feed.xml", "<rss/>", content_type="application/rss+xml", etag='"v1"')
    result = fetch(settings, server.url("/feed.xml"))
    assert (result.status, result.content, result.not_modified) == (200, b"<rss/>", False)
    assert result.headers["content-type"] == "application/rss+xml"
    assert result.etag == '"v1"'
    assert result.url == server.url("/feed.xml")
    request = server.requests_to("/feed.xml")[0]
    assert request.headers["user-agent"] == settings.user_agent
    assert "gzip" in request.headers["accept-encoding"]
    assert "application/rss+xml" in request.headers["accept"]


def test_conditional_get_with_etag_and_last_modified(
    server: LocalServer, settings: Settings
) -> None:
    stamp = "Wed, 01 May 2024 10:00:00 GMT"
    server.route("/e", "body", etag='"abc"')
    server.route("/m", "body", last_modified=stamp)
    unchanged = fetch(settings, server.url("/e"), etag='"abc"')
    assert (unchanged.status, unchanged.not_modified, unchanged.content) == (304, True, b"")
    assert unchanged.etag == '"abc"'
    assert server.requests_to("/e")[0].headers["if-none-match"] == '"abc"'
    changed = fetch(settings, server.url("/e"), etag='"old"')
    assert (changed.status, changed.content) == (200, b"body")
    assert fetch(settings, server.url("/m"), last_modified=stamp).not_modified
    assert server.requests_to("/m")[0].headers["if-modified-since"] == stamp
    older = format_datetime(datetime(2024, 4, 1, tzinfo=UTC), usegmt=True)
    assert not fetch(settings, server.url("/m"), last_modified=older).not_modified


def test_gzip_bodies_are_decoded(server: LocalServer, settings: Settings) -> None:
    server.route("/gz", "compressed " * 1000, gzip=True)
    result = fetch(settings, server.url("/gz"))
    assert result.content == b"compressed " * 1000
    assert result.headers["content-encoding"] == "gzip"


# --------------------------------------------------------------------------- redirects


def test_redirects_are_followed_relative_and_absolute(
    server: LocalServer, settings: Settings
) -> None:
    server.redirect("/start", "next", status=301)
    server.redirect("/next", server.url("/moved"), status=307)
    server.redirect("/moved", "/final?x=1#frag", status=308)
    server.route("/final", "done")
    result = fetch(settings, server.url("/start"), etag='"e"')
    assert (result.url, result.content) == (server.url("/final?x=1"), b"done")
    assert [r.target for r in server.requests if r.path != "/robots.txt"] == [
        "/start",
        "/next",
        "/moved",
        "/final?x=1",
    ]
    assert all(r.headers.get("if-none-match") == '"e"' for r in server.requests_to("/final"))


def test_redirect_limit(server: LocalServer, settings: Settings) -> None:
    for hop in range(3):
        server.redirect(f"/r{hop}", f"/r{hop + 1}")
    server.route("/r3", "end")
    limited = settings.with_overrides(max_redirects=2)
    with pytest.raises(TooManyRedirectsError, match=r"too many redirects \(more than 2\)"):
        fetch(limited, server.url("/r0"))
    assert fetch(limited, server.url("/r1")).content == b"end"
    server.redirect("/loop", "/loop")
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(settings, server.url("/loop"))
    assert server.hits("/loop") == settings.max_redirects + 1


def test_bad_redirects(server: LocalServer, settings: Settings) -> None:
    server.redirect("/to-file", "file:///etc/passwd")
    server.route("/no-location", status=302)
    with pytest.raises(BlockedError, match="only http and https"):
        fetch(settings, server.url("/to-file"))
    with pytest.raises(FetchError, match="redirect without a Location"):
        fetch(settings, server.url("/no-location"))


# --------------------------------------------------------------------------- errors


def test_error_statuses(server: LocalServer, settings: Settings) -> None:
    server.route("/gone", "bye", status=410)
    server.redirect("/old", "/missing")
    with pytest.raises(HTTPStatusError, match=r"^HTTP 410 Gone for http://127\.0\.0\.1:\d+/gone$"):
        fetch(settings, server.url("/gone"))
    with pytest.raises(HTTPStatusError) as error:
        fetch(settings, server.url("/old"))
    assert error.value.status == 404
    assert str(error.value) == (
        f"HTTP 404 Not Found for {server.url('/missing')} (redirected from {server.url('/old')})"
    )


def test_read_timeout(server: LocalServer, settings: Settings) -> None:
    server.route("/slow", "late", delay=3)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0\.3s waiting for http://"):
        fetch(settings.with_overrides(fetch_timeout=0.3), server.url("/slow"))
    assert time.monotonic() - started < 2


def test_total_timeout_stops_a_trickling_body(server: LocalServer, settings: Settings) -> None:
    server.route(
        "/trickle",
        handler=lambda _r: Response(body=b"x" * 40, chunked=True, chunk_size=1, chunk_delay=0.1),
    )
    quick = settings.with_overrides(connect_timeout=0.2, fetch_timeout=0.2)  # total 1.0 s
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 1\.0s downloading"):
        fetch(quick, server.url("/trickle"))
    assert time.monotonic() - started < 2.5


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_retried_with_backoff(settings: Settings) -> None:
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{closed_port()}/feed"
    retrying = settings.with_overrides(fetch_retries=2, respect_robots=False)
    with pytest.raises(FetchError, match=rf"could not connect to {url}"):
        run(retrying, lambda f: f.fetch(url), sleep=sleeps, rand=lambda: 0.5)
    assert sleeps.waits == [0.01, 0.02]


# --------------------------------------------------------------------------- retries


def test_server_errors_are_retried(server: LocalServer, settings: Settings) -> None:
    server.route(
        "/flaky", handler=sequence(Response(status=503), Response(status=500), Response("ok"))
    )
    sleeps = Sleeps()
    retrying = settings.with_overrides(fetch_retries=2)
    result = run(retrying, lambda f: f.fetch(server.url("/flaky")), sleep=sleeps)
    assert result.content == b"ok"
    assert server.hits("/flaky") == 3
    assert len(sleeps.waits) == 2 and sleeps.waits[1] > sleeps.waits[0] / 2


def test_retries_run_out(server: LocalServer, settings: Settings) -> None:
    server.route("/down", status=502)
    retrying = settings.with_overrides(fetch_retries=1)
    with pytest.raises(HTTPStatusError, match="HTTP 502 Bad Gateway"):
        run(retrying, lambda f: f.fetch(server.url("/down")), sleep=Sleeps())
    assert server.hits("/down") == 2


def test_retry_after_is_honoured_up_to_the_cap(server: LocalServer, settings: Settings) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    server.route(
        "/busy",
        handler=sequence(
            Response(status=429, headers={"Retry-After": "7"}),
            Response(status=503, headers={"Retry-After": later}),
            Response("finally"),
        ),
    )
    server.route("/closed", status=429, headers={"Retry-After": "3600"})
    sleeps = Sleeps()
    retrying = settings.with_overrides(fetch_retries=3)
    assert run(retrying, lambda f: f.fetch(server.url("/busy")), sleep=sleeps).content == b"finally"
    assert sleeps.waits[0] == 7 and 15 < sleeps.waits[1] <= 20
    with pytest.raises(HTTPStatusError, match="HTTP 429 Too Many Requests"):
        run(retrying, lambda f: f.fetch(server.url("/closed")), sleep=Sleeps(), retry_cap=60)
    assert server.hits("/closed") == 1


def test_client_errors_are_not_retried(server: LocalServer, settings: Settings) -> None:
    server.route("/nope", status=403)
    with pytest.raises(HTTPStatusError, match="HTTP 403 Forbidden"):
        run(settings.with_overrides(fetch_retries=3), lambda f: f.fetch(server.url("/nope")))
    assert server.hits("/nope") == 1


# --------------------------------------------------------------------------- size limits


def test_declared_oversized_body(server: LocalServer, settings: Settings) -> None:
    server.route("/big", b"x" * 5000)
    small = settings.with_overrides(max_response_bytes=1000)
    with pytest.raises(TooLargeError, match=r"is 5,000 bytes, over the limit of 1,000 bytes"):
        fetch(small, server.url("/big"))
    assert fetch(settings.with_overrides(max_response_bytes=5000), server.url("/big")).content


def test_undeclared_oversized_body_is_cut_off_while_streaming(
    server: LocalServer, settings: Settings
) -> None:
    server.route("/stream", b"y" * 3_000_000, chunked=True)
    with pytest.raises(TooLargeError, match="larger than the limit of 1,000,000 bytes"):
        fetch(settings.with_overrides(max_response_bytes=1_000_000), server.url("/stream"))


def test_gzip_bomb_is_refused_on_decoded_size(server: LocalServer, settings: Settings) -> None:
    server.route("/bomb", b"\0" * 5_000_000, gzip=True)
    with pytest.raises(TooLargeError, match="larger than the limit"):
        fetch(settings.with_overrides(max_response_bytes=100_000), server.url("/bomb"))


# --------------------------------------------------------------------------- robots.txt


def test_robots_disallow_refuses_before_requesting(server: LocalServer, settings: Settings) -> None:
    server.robots("User-agent: *\nDisallow: /private/\n")
    server.route("/private/feed", "secret")
    server.route("/public/feed", "open")
    with pytest.raises(BlockedError, match=r"robots\.txt of http://127\.0\.0\.1:\d+ disallows"):
        fetch(settings, server.url("/private/feed"))
    assert server.hits("/private/feed") == 0
    assert fetch(settings, server.url("/public/feed")).content == b"open"


def test_robots_is_fetched_once_per_site(server: LocalServer, settings: Settings) -> None:
    server.robots("User-agent: *\nAllow: /\n")
    server.route("/a", "a")
    server.route("/b", "b")
    results = run(
        settings, lambda f: f.fetch_many([server.url("/a"), server.url("/b"), server.url("/a")])
    )
    assert all(isinstance(r, FetchResult) for r in results)
    assert server.hits("/robots.txt") == 1


def test_robots_group_for_herald(server: LocalServer, settings: Settings) -> None:
    server.robots("User-agent: Herald\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    server.route("/x", "x")
    with pytest.raises(BlockedError, match="disallows"):
        fetch(settings, server.url("/x"))


@pytest.mark.parametrize(
    ("status", "allowed", "reason"),
    [
        (404, True, ""),
        (410, True, ""),
        (401, False, "answered HTTP 401: all fetching refused"),
        (403, False, "answered HTTP 403: all fetching refused"),
        (503, False, "answered HTTP 503; fetching .* waits until it can be read"),
    ],
)
def test_robots_status_rules(
    server: LocalServer, settings: Settings, status: int, allowed: bool, reason: str
) -> None:
    server.robots("", status=status)
    server.route("/page", "page")
    if allowed:
        assert fetch(settings, server.url("/page")).content == b"page"
    else:
        with pytest.raises(BlockedError, match=reason):
            fetch(settings, server.url("/page"))
        assert server.hits("/page") == 0


def test_robots_checked_on_every_redirect_hop(server: LocalServer, settings: Settings) -> None:
    server.robots("User-agent: *\nDisallow: /hidden\n")
    server.redirect("/open", "/hidden")
    server.route("/hidden", "x")
    with pytest.raises(BlockedError, match="disallows"):
        fetch(settings, server.url("/open"))
    assert server.hits("/hidden") == 0


def test_robots_can_be_ignored(server: LocalServer, settings: Settings) -> None:
    server.robots("User-agent: *\nDisallow: /\n")
    server.route("/x", "x")
    assert fetch(settings.with_overrides(respect_robots=False), server.url("/x")).content == b"x"
    assert server.hits("/robots.txt") == 0


def test_robots_crawl_delay_spaces_requests(server: LocalServer, settings: Settings) -> None:
    server.robots("User-agent: *\nCrawl-delay: 1\n")
    server.route("/a", "a")

    async def twice(f: Fetcher) -> None:
        await f.fetch(server.url("/a"))
        await f.fetch(server.url("/a"))

    run(settings, twice)
    first, second = server.requests_to("/a")
    assert second.at - first.at >= 0.9


# --------------------------------------------------------------------------- SSRF


def test_loopback_is_refused_unless_allowed(server: LocalServer, settings: Settings) -> None:
    server.route("/x", "x")
    public_only = settings.with_overrides(allow_networks="")
    with pytest.raises(BlockedError, match=r"127\.0\.0\.1 is a non-public address \(loopback\)"):
        fetch(public_only, server.url("/x"))
    with pytest.raises(
        BlockedError, match=r"localhost resolves to (127\.0\.0\.1|::1), a non-public"
    ):
        fetch(public_only, server.url("/x", host="localhost"))
    assert server.requests == []


def test_host_names_resolving_to_allowed_addresses_work(
    server: LocalServer, settings: Settings
) -> None:
    server.route("/x", "x")
    loopback = settings.with_overrides(allow_networks="127.0.0.1/32,::1/128")
    assert fetch(loopback, server.url("/x", host="localhost")).content == b"x"
    assert server.requests_to("/x")[0].headers["host"] == f"localhost:{server.port}"


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/x",
        "http://[::1]:{port}/x",
        "http://10.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:{port}/x",
        "http://[::ffff:127.0.0.2]:{port}/x",
        "http://100.64.0.1/",
    ],
)
def test_redirects_to_non_public_addresses_are_refused_before_connecting(
    server: LocalServer, settings: Settings, target: str
) -> None:
    only_this_server = settings.with_overrides(allow_networks="127.0.0.1/32", connect_timeout=5.0)
    server.redirect("/jump", target.format(port=server.port))
    started = time.monotonic()
    with pytest.raises(BlockedError, match="a non-public address"):
        fetch(only_this_server, server.url("/jump"))
    assert time.monotonic() - started < 2  # refused, not a connection attempt timing out


def test_redirect_to_a_host_name_resolving_to_a_refused_address(settings: Settings) -> None:
    """The server listens on 127.0.0.2, the only allowed address; localhost is not allowed."""
    try:
        srv = LocalServer(host="127.0.0.2")
    except OSError:
        pytest.skip("cannot listen on 127.0.0.2 here")
    with srv:
        srv.redirect("/jump", srv.url("/x", host="localhost"))
        srv.route("/x", "x")
        only_127_0_0_2 = settings.with_overrides(allow_networks="127.0.0.2/32")
        assert fetch(only_127_0_0_2, srv.url("/x")).content == b"x"
        with pytest.raises(BlockedError, match="localhost resolves to"):
            fetch(only_127_0_0_2, srv.url("/jump"))
        assert srv.hits("/x") == 1


def test_unsupported_schemes_are_refused(settings: Settings) -> None:
    for url in ("file:///etc/passwd", "ftp://example.com/", "gopher://x/"):
        with pytest.raises(BlockedError, match="only http and https"):
            fetch(settings, url)


# --------------------------------------------------------------------------- batches and limits


def test_fetch_many_returns_failures_in_place(server: LocalServer, settings: Settings) -> None:
    server.route("/ok", "ok", etag='"1"')
    server.robots("User-agent: *\nDisallow: /robots-no\n")
    requests: list[FetchRequest | str] = [
        server.url("/ok"),
        FetchRequest(server.url("/ok"), etag='"1"'),
        server.url("/missing"),
        server.url("/robots-no"),
        "ftp://example.com/x",
        "not a url",
        f"http://127.0.0.1:{closed_port()}/",
    ]
    results = run(settings, lambda f: f.fetch_many(requests))
    assert len(results) == len(requests)
    ok, unchanged, missing, robots, ftp, garbage, refused = results
    assert isinstance(ok, FetchResult) and ok.content == b"ok"
    assert isinstance(unchanged, FetchResult) and unchanged.not_modified
    assert isinstance(missing, HTTPStatusError) and missing.status == 404
    assert isinstance(robots, BlockedError)
    assert isinstance(ftp, BlockedError)
    assert isinstance(garbage, HeraldError)
    assert isinstance(refused, FetchError) and "could not connect" in str(refused)


class Concurrency:
    """A slow handler that records how many requests it served at the same time; with
    ``until``, each request waits (at most 5 s) for that many to be in at once, so the peak
    does not depend on how fast a loaded machine opens connections."""

    def __init__(self, seconds: float, until: int = 0) -> None:
        self.seconds = seconds
        self.current = 0
        self.peak = 0
        self._lock = threading.Lock()
        self._all_in = threading.Event()
        self._until = until

    def __call__(self, _request: Request) -> Response:
        with self._lock:
            self.current += 1
            self.peak = max(self.peak, self.current)
            if self._until and self.peak >= self._until:
                self._all_in.set()
        if self._until:
            self._all_in.wait(5.0)
        time.sleep(self.seconds)
        with self._lock:
            self.current -= 1
        return Response("done")


@pytest.mark.parametrize(("per_host", "total", "peak"), [(2, 32, 2), (4, 1, 1), (1, 32, 1)])
def test_concurrency_limits(
    server: LocalServer, settings: Settings, per_host: int, total: int, peak: int
) -> None:
    handler = Concurrency(0.15)
    server.route("/slow", handler=handler)
    limited = settings.with_overrides(per_host_concurrency=per_host, total_concurrency=total)
    results = run(limited, lambda f: f.fetch_many([server.url("/slow")] * 5))
    assert all(isinstance(r, FetchResult) for r in results)
    assert handler.peak == peak


def test_a_burst_runs_in_parallel_and_leaves_few_idle_connections_open(
    server: LocalServer, settings: Settings
) -> None:
    handler = Concurrency(0.05, until=24)
    server.route("/slow", handler=handler)
    wide = settings.with_overrides(per_host_concurrency=24, total_concurrency=24)

    async def burst(fetcher: Fetcher) -> int:
        results = await fetcher.fetch_many([server.url("/slow")] * 24)
        assert all(isinstance(r, FetchResult) for r in results)
        # the next request tidies the pool up to its idle limit
        await fetcher.fetch(server.url("/slow"))
        pool = fetcher._client._transport._pool  # type: ignore[attr-defined]
        return len(pool.connections)

    assert run(wide, burst) <= IDLE_CONNECTIONS < 24
    assert handler.peak == 24  # busy connections are limited by the concurrency settings only


def test_per_host_delay(server: LocalServer, settings: Settings) -> None:
    server.route("/a", "a")
    polite = settings.with_overrides(per_host_delay=0.2, per_host_concurrency=4)
    run(polite, lambda f: f.fetch_many([server.url("/a")] * 3))
    times = sorted(r.at for r in server.requests_to("/a"))
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= 0.17 for gap in gaps), gaps
