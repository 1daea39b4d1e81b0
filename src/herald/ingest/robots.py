"""robots.txt: fetched once per site, kept in memory for a while, asked before every fetch.

The rules follow RFC 9309 as far as ``urllib.robotparser`` goes: a missing robots.txt (404
and other 4xx) allows everything; 401 and 403 disallow everything; a server error (5xx, 429)
disallows everything for a short while, until robots.txt can be read again.

Where the rules are kept is a :class:`RobotsMemory`: each :class:`RobotsCache` has its own by
default, and the pipeline's fetchers share the process's (``PROCESS_ROBOTS``), so a site's
robots.txt is read once per ``ttl`` in a worker process, not once per round of ``herald
run`` (each round makes new fetchers), and a polled feed does not cost its site two requests.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.robotparser import RobotFileParser

from herald.exceptions import BlockedError
from herald.ingest.urls import origin

__all__ = ["PROCESS_ROBOTS", "RobotsCache", "RobotsFetch", "RobotsMemory", "RobotsRules"]

#: Fetches one robots.txt URL and returns ``(status, body)``; raises FetchError when the
#: site cannot be reached at all.
RobotsFetch = Callable[[str], Awaitable[tuple[int, bytes]]]

MAX_ROBOTS_BYTES = 512_000


@dataclass(frozen=True)
class RobotsRules:
    """The robots.txt verdict for one site (scheme, host and port)."""

    site: str
    status: int
    parser: RobotFileParser | None = None
    temporary: bool = False

    @classmethod
    def from_response(cls, site: str, status: int, body: bytes) -> RobotsRules:
        if 200 <= status < 300:
            return cls(site, status, _parse(body))
        if status in (401, 403):
            return cls(site, status)
        if status == 429 or status >= 500:
            return cls(site, status, temporary=True)
        return cls(site, status, _parse(b""))

    def allows(self, url: str, user_agent: str) -> bool:
        """True when ``url`` may be fetched by ``user_agent``."""
        return self.parser is not None and self.parser.can_fetch(user_agent, url)

    def crawl_delay(self, user_agent: str) -> float:
        """The Crawl-delay for ``user_agent`` in seconds, 0 when none is given."""
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(user_agent)
        try:
            return max(0.0, float(delay or 0))
        except (TypeError, ValueError):
            return 0.0

    def refusal(self, url: str) -> str:
        """Why ``url`` is refused, for a :class:`BlockedError` message."""
        if self.temporary:
            return (
                f"robots.txt of {self.site} answered HTTP {self.status}; "
                f"fetching {url} waits until it can be read"
            )
        if self.parser is None:
            return f"robots.txt of {self.site} answered HTTP {self.status}: all fetching refused"
        return f"robots.txt of {self.site} disallows {url}"


def _parse(body: bytes) -> RobotFileParser:
    parser = RobotFileParser()
    text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
    parser.parse(text.lstrip("\ufeff").splitlines())
    return parser


class RobotsMemory:
    """Sites' rules until their deadlines (on the caches' clock), for any number of caches
    and threads; the ``max_sites`` most recently stored are kept."""

    def __init__(self, max_sites: int = 50_000) -> None:
        self.max_sites = max_sites
        self._rules: OrderedDict[str, tuple[float, RobotsRules]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, site: str, now: float) -> RobotsRules | None:
        """The site's rules while their deadline is after ``now``."""
        with self._lock:
            found = self._rules.get(site)
        if found is None or found[0] <= now:
            return None
        return found[1]

    def put(self, site: str, deadline: float, rules: RobotsRules) -> None:
        with self._lock:
            self._rules[site] = (deadline, rules)
            self._rules.move_to_end(site)
            while len(self._rules) > self.max_sites:
                self._rules.popitem(last=False)

    def forget(self, site: str | None = None) -> None:
        """Drop one site's rules, or every site's."""
        with self._lock:
            if site is None:
                self._rules.clear()
            else:
                self._rules.pop(site, None)

    def __len__(self) -> int:
        return len(self._rules)


PROCESS_ROBOTS = RobotsMemory()
"""The rules the pipeline's fetchers of this process share (see the module docstring)."""


class RobotsCache:
    """robots.txt rules per site, cached for ``ttl`` seconds (``error_ttl`` after a 5xx) in
    ``memory`` (by default a memory of its own)."""

    def __init__(
        self,
        fetch: RobotsFetch,
        user_agent: str,
        *,
        ttl: float = 3600.0,
        error_ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        memory: RobotsMemory | None = None,
    ) -> None:
        self._fetch = fetch
        self.user_agent = user_agent
        self.ttl = ttl
        self.error_ttl = error_ttl
        self._clock = clock
        self._memory = memory if memory is not None else RobotsMemory()
        self._locks: dict[str, asyncio.Lock] = {}

    async def rules(self, url: str) -> RobotsRules:
        """The rules of the site of ``url``, fetched when missing or stale."""
        site = origin(url)
        async with self._locks.setdefault(site, asyncio.Lock()):
            cached = self._fresh(site)
            if cached is not None:
                return cached
            rules = await self._load(site)
            ttl = self.error_ttl if rules.temporary else self.ttl
            self._memory.put(site, self._clock() + ttl, rules)
            return rules

    def _fresh(self, site: str) -> RobotsRules | None:
        return self._memory.get(site, self._clock())

    async def _load(self, site: str) -> RobotsRules:
        status, body = await self._fetch(f"{site}/robots.txt")
        return RobotsRules.from_response(site, status, body)

    async def allowed(self, url: str) -> bool:
        """True when robots.txt lets Herald fetch ``url``."""
        return (await self.rules(url)).allows(url, self.user_agent)

    async def check(self, url: str) -> RobotsRules:
        """Raise :class:`BlockedError` if robots.txt refuses ``url``; return the rules."""
        rules = await self.rules(url)
        if not rules.allows(url, self.user_agent):
            raise BlockedError(rules.refusal(url))
        return rules

    def forget(self, url: str | None = None) -> None:
        """Drop the cached rules of ``url``'s site, or of every site."""
        self._memory.forget(None if url is None else origin(url))
