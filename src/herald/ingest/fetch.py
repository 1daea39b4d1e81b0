"""Polite, safe HTTP GETs for feeds and pages.

:class:`Fetcher` wraps one ``httpx.AsyncClient`` and adds what a crawler owes the sites it
reads and the network it runs in:

* SSRF protection on every connection (``netguard``), robots.txt on every hop (``robots``);
* redirects followed by hand, at most ``max_redirects``, each hop checked again;
* a size limit on the (decoded) body, enforced while streaming;
* conditional GET (ETag / Last-Modified; 304 gives ``FetchResult(not_modified=True)``);
* retries of connection failures, 5xx and 429 with exponential backoff and jitter,
  honouring ``Retry-After`` up to a cap;
* at most ``per_host_concurrency`` requests per host, ``per_host_delay`` seconds (or the
  site's robots.txt Crawl-delay) between two of them, ``total_concurrency`` overall.

A Fetcher belongs to one event loop; use it as ``async with Fetcher(settings) as f: ...``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from herald.config import Settings
from herald.exceptions import BlockedError, FetchError, HeraldError, TooLargeError
from herald.ingest.netguard import GuardedTransport, check_url, parse_networks
from herald.ingest.robots import MAX_ROBOTS_BYTES, RobotsCache, RobotsMemory
from herald.ingest.urls import is_http_url, resolve
from herald.types import FetchResult

__all__ = ["FetchRequest", "Fetcher", "HTTPStatusError", "TooManyRedirectsError"]

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.8, */*;q=0.5"
)
MAX_CRAWL_DELAY = 60.0
IDLE_CONNECTIONS = 8
"""Most idle keep-alive connections kept open between requests (about four hosts at the
default two per host). httpcore's pool looks at every open connection on every request and,
for each idle one, at all of them again; with 64 kept open after a burst of requests, that
bookkeeping was half of the extract step's main-process CPU (9.4 -> 4.3 ms per page with
8, and feeds/s 116 -> 132, in ``herald bench ingest``). Busy connections are not limited by
this, only by ``total_concurrency``, and connections idle for 5 s are closed anyway."""


@dataclass(frozen=True)
class FetchRequest:
    """One GET for :meth:`Fetcher.fetch_many`, with the validators of the last response."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


class HTTPStatusError(FetchError):
    """The server answered with an error status (4xx, or 5xx after the retries)."""

    def __init__(self, url: str, status: int, requested: str | None = None) -> None:
        reason = httpx.codes.get_reason_phrase(status) or "error"
        via = f" (redirected from {requested})" if requested and requested != url else ""
        super().__init__(f"HTTP {status} {reason} for {url}{via}")
        self.url = url
        self.status = status


class TooManyRedirectsError(FetchError):
    """More redirects than ``max_redirects``."""


class _TransientError(Exception):
    """A failure worth retrying; carries the FetchError to raise when retries run out."""

    def __init__(self, error: FetchError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    next_start: float = 0.0


class Fetcher:
    """Async HTTP fetching built from :class:`Settings` (see the module docstring).

    ``transport`` replaces the SSRF-guarded transport (only for tests that cannot use a
    real server); ``rand``, ``sleep`` and ``clock`` make retries and delays testable.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        robots_ttl: float = 3600.0,
        robots_memory: RobotsMemory | None = None,
        retry_base: float = 0.5,
        retry_cap: float = 30.0,
        rand: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.allow = parse_networks(settings.allow_networks)
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.total_timeout = settings.connect_timeout + 4 * settings.fetch_timeout
        self._rand = rand
        self._sleep = sleep
        self._clock = clock
        self._client = _make_client(settings, transport or _guarded_transport(self))
        self._global = asyncio.Semaphore(max(1, settings.total_concurrency))
        self._hosts: dict[str, _Host] = {}
        self.robots = RobotsCache(
            self._fetch_robots,
            settings.user_agent,
            ttl=robots_ttl,
            memory=robots_memory,
        )

    # ------------------------------------------------------------------ public API

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url``; a 304 answer to the validators gives ``not_modified=True``.

        Raises :class:`FetchError` (timeouts, connection failures, error statuses as
        :class:`HTTPStatusError`, too many redirects), :class:`BlockedError` (robots.txt,
        SSRF protection) or :class:`TooLargeError`.
        """
        headers = _conditional_headers(etag, last_modified)
        result = await self._follow(
            url,
            headers,
            max_bytes=self.settings.max_response_bytes,
            robots=self.settings.respect_robots,
        )
        return _final(result, url)

    async def fetch_many(
        self, requests: Iterable[FetchRequest | str]
    ) -> list[FetchResult | HeraldError]:
        """Fetch all ``requests`` concurrently; each failure is returned in its place."""
        return list(await asyncio.gather(*(self._fetch_safely(r) for r in requests)))

    async def aclose(self) -> None:
        """Close the connections."""
        await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ redirects and robots

    async def _fetch_safely(self, request: FetchRequest | str) -> FetchResult | HeraldError:
        req = FetchRequest(request) if isinstance(request, str) else request
        try:
            return await self.fetch(req.url, req.etag, req.last_modified)
        except HeraldError as e:
            return e
        except Exception as e:  # one item's failure is data, even an unexpected one
            logger.exception("unexpected error fetching %s", req.url)
            return FetchError(f"unexpected error fetching {req.url}: {type(e).__name__}: {e}")

    async def _follow(
        self,
        url: str,
        headers: Mapping[str, str],
        *,
        max_bytes: int,
        robots: bool,
        truncate: bool = False,
    ) -> FetchResult:
        current = url
        for _ in range(self.settings.max_redirects + 1):
            result = await self._hop(current, headers, max_bytes, robots=robots, truncate=truncate)
            target = _redirect_target(result)
            if target is None:
                return result
            current = target
        raise TooManyRedirectsError(
            f"too many redirects (more than {self.settings.max_redirects}) starting at {url}"
        )

    async def _hop(
        self, url: str, headers: Mapping[str, str], max_bytes: int, *, robots: bool, truncate: bool
    ) -> FetchResult:
        check_url(url, self.allow)
        crawl_delay = 0.0
        if robots:
            rules = await self.robots.check(url)
            crawl_delay = min(rules.crawl_delay(self.settings.user_agent), MAX_CRAWL_DELAY)
        return await self._with_retries(url, headers, max_bytes, crawl_delay, truncate)

    async def _fetch_robots(self, url: str) -> tuple[int, bytes]:
        try:
            result = await self._follow(
                url, {}, max_bytes=MAX_ROBOTS_BYTES, robots=False, truncate=True
            )
        except TooManyRedirectsError:
            return 404, b""  # RFC 9309: treat as unavailable
        return result.status, result.content

    # ------------------------------------------------------------------ retries

    async def _with_retries(
        self,
        url: str,
        headers: Mapping[str, str],
        max_bytes: int,
        crawl_delay: float,
        truncate: bool,
    ) -> FetchResult:
        attempt = 0
        while True:
            try:
                result = await self._attempt(url, headers, max_bytes, crawl_delay, truncate)
            except _TransientError as e:
                if attempt >= self.settings.fetch_retries:
                    raise e.error from e.__cause__
                wait, reason = self._backoff(attempt), str(e.error)
            else:
                status_wait = self._status_wait(result, attempt)
                if status_wait is None:
                    return result
                wait, reason = status_wait, f"HTTP {result.status}"
            logger.info("retrying %s in %.1fs after %s", url, wait, reason)
            await self._sleep(wait)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: base·2^attempt·(0.5..1.5), capped."""
        return min(self.retry_cap, self.retry_base * 2.0**attempt * (0.5 + self._rand()))

    def _status_wait(self, result: FetchResult, attempt: int) -> float | None:
        """Seconds to wait before asking again, or None to keep ``result`` as it is.

        Kept: any status but 5xx and 429, an answer after the last retry, and one whose
        Retry-After asks for longer than ``retry_cap`` (the server wants a long pause).
        """
        if not _retryable_status(result.status) or attempt >= self.settings.fetch_retries:
            return None
        asked = _retry_after(result.headers.get("retry-after", ""))
        if asked is None:
            return self._backoff(attempt)
        return asked if asked <= self.retry_cap else None

    # ------------------------------------------------------------------ one request

    async def _attempt(
        self,
        url: str,
        headers: Mapping[str, str],
        max_bytes: int,
        crawl_delay: float,
        truncate: bool,
    ) -> FetchResult:
        async with self._slot(urlsplit(url).netloc.lower(), crawl_delay):
            try:
                async with asyncio.timeout(self.total_timeout):
                    return await self._request(url, headers, max_bytes, truncate)
            except TimeoutError as e:
                raise FetchError(
                    f"timed out after {self.total_timeout:.1f}s downloading {url}"
                ) from e
            except httpx.ConnectTimeout as e:
                seconds = self.settings.connect_timeout
                error = FetchError(f"timed out after {seconds}s connecting to {url}")
                raise _TransientError(error) from e
            except httpx.TimeoutException as e:
                raise self._timeout_error(url, e) from e
            except httpx.ConnectError as e:
                if _certificate_failure(e):  # retrying cannot fix a bad certificate
                    raise FetchError(f"TLS certificate of {url} refused: {_describe(e)}") from e
                raise _TransientError(_transport_error(url, e)) from e
            except (httpx.RemoteProtocolError, httpx.ReadError) as e:
                raise _TransientError(_transport_error(url, e)) from e
            except BlockedError as e:  # raised by the guarded connection, after DNS
                raise BlockedError(f"refused {url}: {e}") from e
            except (httpx.HTTPError, httpx.InvalidURL) as e:
                raise FetchError(f"request to {url} failed: {_describe(e)}") from e

    async def _request(
        self, url: str, headers: Mapping[str, str], max_bytes: int, truncate: bool
    ) -> FetchResult:
        async with self._client.stream("GET", url, headers=headers) as response:
            content = b""
            if 200 <= response.status_code < 300:
                content = await _read_body(response, url, max_bytes, truncate)
            return FetchResult(
                url=url,
                status=response.status_code,
                content=content,
                headers={k.lower(): v for k, v in response.headers.items()},
            )

    def _timeout_error(self, url: str, error: httpx.TimeoutException) -> FetchError:
        seconds = self.settings.fetch_timeout
        if isinstance(error, httpx.PoolTimeout):
            return FetchError(f"timed out after {seconds}s waiting for a connection to {url}")
        if isinstance(error, httpx.WriteTimeout):
            return FetchError(f"timed out after {seconds}s sending the request to {url}")
        return FetchError(f"timed out after {seconds}s waiting for {url}")

    # ------------------------------------------------------------------ politeness

    @asynccontextmanager
    async def _slot(self, host: str, crawl_delay: float) -> AsyncIterator[None]:
        """Hold a per-host and a global slot, after the per-host delay."""
        state = self._hosts.get(host)
        if state is None:
            state = _Host(asyncio.Semaphore(max(1, self.settings.per_host_concurrency)))
            self._hosts[host] = state
        async with state.semaphore:
            await self._wait_turn(state, max(self.settings.per_host_delay, crawl_delay))
            async with self._global:
                yield

    async def _wait_turn(self, state: _Host, delay: float) -> None:
        now = self._clock()
        start = max(now, state.next_start)
        state.next_start = start + delay
        if start > now:
            await self._sleep(start - now)


# ---------------------------------------------------------------------- helpers


def _make_client(settings: Settings, transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.fetch_timeout,
        write=settings.fetch_timeout,
        pool=settings.fetch_timeout,
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        headers={"User-Agent": settings.user_agent, "Accept": ACCEPT},
        follow_redirects=False,
        trust_env=False,
    )


def _guarded_transport(fetcher: Fetcher) -> GuardedTransport:
    total = max(1, fetcher.settings.total_concurrency)
    idle = min(total, IDLE_CONNECTIONS)
    limits = httpx.Limits(max_connections=total, max_keepalive_connections=idle)
    return GuardedTransport(fetcher.allow, limits=limits)


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _redirect_target(result: FetchResult) -> str | None:
    if result.status not in REDIRECT_STATUSES:
        return None
    location = result.headers.get("location", "").strip()
    if not location:
        raise FetchError(f"HTTP {result.status} redirect without a Location for {result.url}")
    target = resolve(result.url, location)
    if not is_http_url(target):
        check_url(target)  # raises BlockedError with the reason
    return target.split("#", 1)[0]


def _final(result: FetchResult, requested: str) -> FetchResult:
    if result.status == 304:
        return FetchResult(result.url, result.status, b"", result.headers, not_modified=True)
    if 200 <= result.status < 300:
        return result
    raise HTTPStatusError(result.url, result.status, requested)


def _retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def _retry_after(value: str) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), None if absent."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


async def _read_body(response: httpx.Response, url: str, max_bytes: int, truncate: bool) -> bytes:
    """The decoded body, at most ``max_bytes`` (cut there when ``truncate``, else an error)."""
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > max_bytes:
        raise TooLargeError(_too_large(url, max_bytes, f"is {int(declared):,} bytes, over"))
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                if not truncate:
                    raise TooLargeError(_too_large(url, max_bytes, "is larger than"))
                break
    except httpx.DecodingError as e:
        raise FetchError(f"could not decode the response body of {url}: {_describe(e)}") from e
    return b"".join(chunks)[:max_bytes]


def _too_large(url: str, max_bytes: int, comparison: str) -> str:
    return f"response of {url} {comparison} the limit of {max_bytes:,} bytes (max_response_bytes)"


def _transport_error(url: str, error: Exception) -> FetchError:
    if isinstance(error, httpx.ConnectError):
        return FetchError(f"could not connect to {url}: {_describe(error)}")
    return FetchError(f"connection to {url} failed: {_describe(error)}")


def _certificate_failure(error: BaseException) -> bool:
    """Whether a connection failed on certificate verification (anywhere in its causes)."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            seen
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__
