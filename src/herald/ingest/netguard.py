"""SSRF protection: Herald only connects to public addresses (unless told otherwise).

Every TCP connection Herald's fetcher opens goes through :class:`GuardedBackend`: the host
name is resolved once, *every* resolved address is checked, and the socket is opened to a
checked address (never by resolving the name again), which defeats DNS rebinding. Because
the check sits at connection time, it applies to the first URL and to every redirect hop.

Addresses that are loopback, private, link-local, multicast, reserved, unspecified or
shared (carrier-grade NAT) are refused with :class:`BlockedError`, unless they fall inside
one of the networks of ``Settings.allow_networks``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

import httpcore
import httpx

from herald.exceptions import BlockedError, ConfigError

__all__ = [
    "ALLOWED_SCHEMES",
    "GuardedBackend",
    "GuardedTransport",
    "IPAddress",
    "IPNetwork",
    "address_problem",
    "check_address",
    "check_url",
    "parse_networks",
    "resolve_host",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
ALLOWED_SCHEMES = frozenset({"http", "https"})
SHARED_NETWORK = ipaddress.IPv4Network("100.64.0.0/10")
NAT64_NETWORK = ipaddress.IPv6Network("64:ff9b::/96")


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Networks from a comma-separated list of CIDRs or addresses (``allow_networks``)."""
    networks = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as e:
            raise ConfigError(f"allow_networks: {part!r} is not an IP network ({e})") from e
    return tuple(networks)


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address (``"loopback"``, ``"private"``...), or None."""
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return address_problem(embedded)
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("shared", isinstance(ip, ipaddress.IPv4Address) and ip in SHARED_NETWORK),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("non-global", not ip.is_global),
    )
    return next((name for name, failed in checks if failed), None)


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None or ip.sixtofour is not None:
        return ip.ipv4_mapped or ip.sixtofour
    if ip in NAT64_NETWORK:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_address(
    ip: IPAddress | str, allow: Sequence[IPNetwork] = (), *, host: str | None = None
) -> None:
    """Raise :class:`BlockedError` unless ``ip`` is public or inside an ``allow`` network."""
    address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address.version == net.version and address in net for net in allow):
        return
    problem = address_problem(address)
    if problem is None:
        return
    what = f"{host} resolves to {address}," if host and host != str(address) else f"{address} is"
    raise BlockedError(
        f"{what} a non-public address ({problem}); add it to allow_networks to permit it"
    )


def check_url(url: str, allow: Sequence[IPNetwork] = ()) -> None:
    """Check what can be checked without DNS: scheme, host, and a literal IP host.

    Host names are checked again, with DNS, when a connection is opened.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError as e:
        raise BlockedError(f"invalid URL {url!r}: {e}") from e
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise BlockedError(f"refused {url!r}: only http and https URLs can be fetched")
    if not host:
        raise BlockedError(f"refused {url!r}: the URL has no host")
    literal = _literal_ip(host)
    if literal is not None:
        try:
            check_address(literal, allow)
        except BlockedError as e:
            raise BlockedError(f"refused {url}: {e}") from None


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve_host(
    host: str, port: int, allow: Sequence[IPNetwork] = (), timeout: float | None = None
) -> list[str]:
    """All addresses ``host`` resolves to, after checking every one of them.

    Raises :class:`BlockedError` if any address is refused, and ``httpcore.ConnectError`` /
    ``httpcore.ConnectTimeout`` if the name cannot be resolved.
    """
    literal = _literal_ip(host)
    if literal is not None:
        check_address(literal, allow)
        return [str(literal)]
    addresses = await _getaddrinfo(host, port, timeout)
    for address in addresses:
        check_address(address, allow, host=host)
    return addresses


async def _getaddrinfo(host: str, port: int, timeout: float | None) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
        )
    except TimeoutError as e:
        raise httpcore.ConnectTimeout(f"timed out resolving {host}") from e
    except (socket.gaierror, UnicodeError) as e:
        raise httpcore.ConnectError(f"could not resolve host {host}: {e}") from e
    addresses = _unique(str(info[4][0]).split("%")[0] for info in infos)
    if not addresses:
        raise httpcore.ConnectError(f"could not resolve host {host}: no addresses")
    return addresses


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks, then connects to the checked IP."""

    def __init__(
        self, allow: Sequence[IPNetwork] = (), inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.allow = tuple(allow)
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_host(host, port, self.allow, timeout)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedError("refused to connect to a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connection pool opening sockets via ``GuardedBackend``.

    No proxies (a proxy would connect on our behalf, unchecked) and no Unix sockets. TLS
    certificates are verified against the original host name as usual.
    """

    def __init__(
        self,
        allow: Sequence[IPNetwork] = (),
        *,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),
        verify: ssl.SSLContext | bool = True,
        inner_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        super().__init__(verify=verify, limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(allow, inner_backend),
        )
