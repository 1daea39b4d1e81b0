"""Real HTTPS through the SSRF guard: a throwaway CA, a TLS LocalServer, no mocks, offline.

The certificate is for ``localhost`` only (no IP address in it). These tests check that
``GuardedTransport`` connects the socket to the address it checked while TLS still verifies
the certificate against the URL's host name, and that a refused host gets no connection.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import httpcore
import pytest

from herald.config import Settings
from herald.exceptions import BlockedError, FetchError
from herald.ingest.fetch import Fetcher
from herald.ingest.netguard import GuardedTransport, parse_networks
from herald.types import FetchResult
from tests.support.httpserver import LocalServer
from tests.support.tls import Certificates, make_certificates

# localhost may also resolve to ::1 on some machines; every address must be allowed.
LOOPBACK = "127.0.0.0/8,::1/128"
FEED = Path("feeds") / "feed_rs" / "fixture" / "rss2" / "rss_2.0_bbc.xml"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture()
def server(certs: Certificates) -> Iterator[LocalServer]:
    certs.server_names.clear()
    with LocalServer(tls=certs.server) as srv:
        yield srv


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """The default backend, remembering the host each TCP connection was opened to."""

    def __init__(self) -> None:
        self.hosts: list[str] = []
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.hosts.append(host)
        return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def fetch(
    settings: Settings,
    url: str,
    *,
    allow: str = LOOPBACK,
    verify: ssl.SSLContext | bool = True,
    backend: httpcore.AsyncNetworkBackend | None = None,
) -> FetchResult:
    """GET ``url`` with a Fetcher on a GuardedTransport (allowing ``allow``), in a new loop."""
    transport = GuardedTransport(parse_networks(allow), verify=verify, inner_backend=backend)

    async def main() -> FetchResult:
        async with Fetcher(settings, transport=transport) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(main())


def wait_for(condition: Callable[[], object], timeout: float = 2.0) -> None:
    """Wait until ``condition()`` is true (the server records in its own threads)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


# --------------------------------------------------------------------------- TLS that works


def test_https_feed_through_the_guard_connects_to_the_checked_ip_and_verifies_localhost(
    server: LocalServer, certs: Certificates, settings: Settings, shared_data: Path
) -> None:
    feed = shared_data / FEED
    server.serve_file("/feed.xml", feed)
    backend = RecordingBackend()
    url = server.url("/feed.xml", host="localhost")
    assert url.startswith("https://localhost:")

    result = fetch(settings, url, verify=certs.client, backend=backend)

    assert (result.status, result.url) == (200, url)
    assert result.content == feed.read_bytes()
    assert result.headers["content-type"] == "application/xml"
    # robots.txt then the feed, both over TLS, with the name of the URL as Host and SNI...
    assert [r.path for r in server.requests] == ["/robots.txt", "/feed.xml"]
    assert server.requests_to("/feed.xml")[0].headers["host"] == f"localhost:{server.port}"
    assert certs.server_names and set(certs.server_names) == {"localhost"}
    # ...while every socket went to the address the guard resolved and checked, not the name.
    assert backend.hosts and set(backend.hosts) == {"127.0.0.1"}
    assert server.tls_errors == []


def test_the_certificate_is_checked_against_the_url_host_not_skipped(
    server: LocalServer, certs: Certificates, settings: Settings
) -> None:
    """Same server, same trusted certificate, but the URL says 127.0.0.1: not in the cert."""
    server.route("/feed.xml", "<rss/>")
    url = server.url("/feed.xml")  # https://127.0.0.1:PORT/feed.xml
    assert url.startswith("https://127.0.0.1:")
    no_robots = settings.with_overrides(respect_robots=False)

    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED") as caught:
        fetch(no_robots, url, verify=certs.client)

    assert not isinstance(caught.value, BlockedError)
    assert url in str(caught.value)
    assert "IP address mismatch" in str(caught.value)
    assert server.requests == []  # nothing was sent over the unverified connection
    wait_for(lambda: server.tls_errors)
    assert server.connections == 1 and len(server.tls_errors) == 1  # the client hung up


def test_a_refused_certificate_is_not_retried(
    server: LocalServer, certs: Certificates, settings: Settings
) -> None:
    """Retrying cannot fix a certificate: one handshake, then a clear error."""
    server.route("/feed.xml", "<rss/>")
    retrying = settings.with_overrides(respect_robots=False, fetch_retries=2)

    with pytest.raises(FetchError, match=r"TLS certificate of .* refused"):
        fetch(retrying, server.url("/feed.xml"), verify=certs.client)

    wait_for(lambda: server.tls_errors)
    assert server.connections == 1


def test_a_self_signed_chain_fails_with_the_default_trust_store(
    server: LocalServer, settings: Settings
) -> None:
    """verify=True (certifi's roots): the throwaway CA is not trusted, even for localhost."""
    server.route("/feed.xml", "<rss/>")
    url = server.url("/feed.xml", host="localhost")
    no_robots = settings.with_overrides(respect_robots=False)

    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED") as caught:
        fetch(no_robots, url, verify=True)

    assert not isinstance(caught.value, BlockedError)
    assert "unable to get local issuer certificate" in str(caught.value)
    assert server.requests == []


# --------------------------------------------------------------------------- SSRF over HTTPS


def test_refused_host_gets_no_connection_and_no_handshake(
    server: LocalServer, certs: Certificates, settings: Settings
) -> None:
    server.route("/feed.xml", "<rss/>")
    url = server.url("/feed.xml", host="localhost")

    for respect_robots in (True, False):
        with pytest.raises(BlockedError, match=r"localhost resolves to (127\.0\.0\.1|::1)"):
            fetch(
                settings.with_overrides(respect_robots=respect_robots),
                url,
                allow="",
                verify=certs.client,
            )

    time.sleep(0.1)  # a connection, had there been one, would be counted by now
    assert server.connections == 0
    assert server.requests == []
    assert server.tls_errors == []
    assert certs.server_names == []  # no ClientHello ever reached the server


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_https_redirect_to_a_refused_address_is_refused_before_connecting(
    server: LocalServer, certs: Certificates, settings: Settings, scheme: str
) -> None:
    """From https://localhost (allowed: 127.0.0.1) to 127.0.0.2 (not allowed, and listening)."""
    try:
        other = LocalServer(host="127.0.0.2", tls=certs.server if scheme == "https" else None)
    except OSError:
        pytest.skip("cannot listen on 127.0.0.2 here")
    with other:
        other.route("/secret", "secret")
        server.redirect("/jump", other.url("/secret"))
        server.route("/feed.xml", "<rss/>")
        only_127_0_0_1 = "127.0.0.1/32,::1/128"

        ok = fetch(
            settings,
            server.url("/feed.xml", host="localhost"),
            allow=only_127_0_0_1,
            verify=certs.client,
        )
        assert ok.content == b"<rss/>"
        with pytest.raises(BlockedError, match=r"127\.0\.0\.2 is a non-public address"):
            fetch(
                settings,
                server.url("/jump", host="localhost"),
                allow=only_127_0_0_1,
                verify=certs.client,
            )

        assert server.hits("/jump") == 1
        time.sleep(0.1)
        assert other.connections == 0
        assert other.requests == []
