"""SSRF guard: address classification, URL checks, resolution (the HTTP side is in
test_ingest_fetch.py, against a real server)."""

from __future__ import annotations

import asyncio
import ipaddress

import httpcore
import pytest

from herald.exceptions import BlockedError, ConfigError
from herald.ingest.netguard import (
    GuardedBackend,
    address_problem,
    check_address,
    check_url,
    parse_networks,
    resolve_host,
)


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("127.0.0.2", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("100.64.0.1", "shared"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.1.1.1", "private"),
        ("2002:7f00:1::", "loopback"),
        ("64:ff9b::a9fe:a9fe", "link-local"),
        ("8.8.8.8", None),
        ("1.1.1.1", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_address_problem(address: str, problem: str | None) -> None:
    assert address_problem(ipaddress.ip_address(address)) == problem


def test_parse_networks() -> None:
    assert parse_networks("") == ()
    assert parse_networks(" 127.0.0.1/32, 10.0.0.0/8 ,::1,") == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )
    assert parse_networks("192.168.1.7/24") == (ipaddress.ip_network("192.168.1.0/24"),)
    with pytest.raises(ConfigError, match="not an IP network"):
        parse_networks("localhost")


def test_check_address_with_allowed_networks() -> None:
    allow = parse_networks("127.0.0.1/32")
    check_address("127.0.0.1", allow)
    check_address("::ffff:127.0.0.1", allow)
    check_address("93.184.215.14")
    with pytest.raises(BlockedError, match=r"127\.0\.0\.2 is a non-public address \(loopback\)"):
        check_address("127.0.0.2", allow)
    with pytest.raises(BlockedError, match=r"evil\.example resolves to 10\.0\.0\.1, a non-public"):
        check_address("10.0.0.1", allow, host="evil.example")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("ftp://example.com/x", "only http and https"),
        ("gopher://example.com/", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("http:///nohost", "no host"),
        ("http://127.0.0.1/", "loopback"),
        ("http://[::1]:8080/", "loopback"),
        ("http://0.0.0.0:80/", "unspecified"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://example.com:99999/", "invalid URL"),
    ],
)
def test_check_url_refusals(url: str, reason: str) -> None:
    with pytest.raises(BlockedError, match=reason):
        check_url(url)


def test_check_url_accepts_public_and_names() -> None:
    check_url("https://example.com/feed")
    check_url("http://93.184.215.14/")
    check_url("http://127.0.0.1:8000/", parse_networks("127.0.0.0/8"))


def test_resolve_host_checks_every_address() -> None:
    assert asyncio.run(resolve_host("127.0.0.1", 80, parse_networks("127.0.0.0/8"))) == [
        "127.0.0.1"
    ]
    with pytest.raises(BlockedError, match="localhost resolves to"):
        asyncio.run(resolve_host("localhost", 80))
    allowed = asyncio.run(resolve_host("localhost", 80, parse_networks("127.0.0.0/8,::1/128")))
    assert allowed and set(allowed) <= {"127.0.0.1", "::1"}


def test_unresolvable_host_is_a_connect_error() -> None:
    with pytest.raises(httpcore.ConnectError, match="could not resolve host"):
        asyncio.run(resolve_host("no-such-host.invalid", 80))


def test_backend_refuses_before_connecting_and_refuses_unix_sockets() -> None:
    backend = GuardedBackend(parse_networks("127.0.0.1/32"))
    with pytest.raises(BlockedError, match=r"10\.0\.0\.1 is a non-public"):
        asyncio.run(backend.connect_tcp("10.0.0.1", 80, timeout=5))
    with pytest.raises(BlockedError, match="Unix socket"):
        asyncio.run(backend.connect_unix_socket("/var/run/docker.sock"))
