"""robots.txt rules and their cache (over HTTP in test_ingest_fetch.py)."""

from __future__ import annotations

import asyncio

import pytest

from herald.exceptions import BlockedError, FetchError
from herald.ingest.robots import RobotsCache, RobotsMemory, RobotsRules

UA = "Herald/0.1.0 (+https://github.com/herald-news/herald; admin@example.invalid)"
ROBOTS = b"""# comment
User-agent: BadBot
Disallow: /

User-agent: *
Disallow: /private/
Allow: /private/ok
Crawl-delay: 3
"""


def test_rules_from_a_robots_file() -> None:
    rules = RobotsRules.from_response("https://x.example", 200, ROBOTS)
    assert rules.allows("https://x.example/news/1", UA)
    assert not rules.allows("https://x.example/private/feed", UA)
    assert rules.crawl_delay(UA) == 3.0
    assert rules.refusal("https://x.example/private/feed") == (
        "robots.txt of https://x.example disallows https://x.example/private/feed"
    )
    assert not rules.allows("https://x.example/", "BadBot/2.0")


@pytest.mark.parametrize(
    ("status", "allowed", "temporary"),
    [(404, True, False), (410, True, False), (400, True, False), (401, False, False),
     (403, False, False), (429, False, True), (500, False, True), (503, False, True)],
)  # fmt: skip
def test_rules_from_error_statuses(status: int, allowed: bool, temporary: bool) -> None:
    rules = RobotsRules.from_response("https://x.example", status, b"ignored")
    assert rules.allows("https://x.example/feed", UA) is allowed
    assert rules.temporary is temporary
    assert rules.crawl_delay(UA) == 0.0


def test_garbage_and_bom_are_tolerated() -> None:
    rules = RobotsRules.from_response(
        "https://x.example", 200, b"\xef\xbb\xbfUser-agent: *\nDisallow: /a\n\xff\xfe"
    )
    assert not rules.allows("https://x.example/a", UA)
    assert rules.allows("https://x.example/b", UA)


class Site:
    """A robots.txt source with a status per call, counting fetches."""

    def __init__(self, *answers: tuple[int, bytes]) -> None:
        self.answers = list(answers)
        self.fetched: list[str] = []

    async def __call__(self, url: str) -> tuple[int, bytes]:
        self.fetched.append(url)
        await asyncio.sleep(0)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_per_site_with_ttl() -> None:
    site = Site((200, b"User-agent: *\nDisallow: /x\n"), (200, b""))
    clock = Clock()
    cache = RobotsCache(site, UA, ttl=60, clock=clock)

    async def scenario() -> None:
        assert not await cache.allowed("https://a.example/x")
        assert await cache.allowed("https://a.example/y")
        assert await cache.allowed("https://A.example:443/z")
        assert site.fetched == ["https://a.example/robots.txt"]
        clock.now += 61
        assert await cache.allowed("https://a.example/x")  # new rules after the TTL
        await cache.allowed("http://a.example/")  # another scheme is another site
        assert site.fetched[-1] == "http://a.example/robots.txt"

    asyncio.run(scenario())
    assert len(site.fetched) == 3


def test_server_errors_are_cached_briefly() -> None:
    site = Site((503, b""), (200, b""))
    clock = Clock()
    cache = RobotsCache(site, UA, ttl=3600, error_ttl=30, clock=clock)

    async def scenario() -> None:
        with pytest.raises(BlockedError, match="answered HTTP 503"):
            await cache.check("https://a.example/feed")
        clock.now += 10
        assert not await cache.allowed("https://a.example/feed")
        clock.now += 25
        assert await cache.allowed("https://a.example/feed")

    asyncio.run(scenario())
    assert len(site.fetched) == 2


def test_concurrent_checks_fetch_once() -> None:
    site = Site((200, b""))
    cache = RobotsCache(site, UA)

    async def scenario() -> list[bool]:
        return await asyncio.gather(*(cache.allowed(f"https://a.example/{i}") for i in range(5)))

    assert asyncio.run(scenario()) == [True] * 5
    assert len(site.fetched) == 1


def test_unreachable_site_raises_and_is_not_cached() -> None:
    calls = 0

    async def down(url: str) -> tuple[int, bytes]:
        nonlocal calls
        calls += 1
        raise FetchError(f"could not connect to {url}")

    cache = RobotsCache(down, UA)
    for _ in range(2):
        with pytest.raises(FetchError, match="could not connect"):
            asyncio.run(cache.check("https://a.example/feed"))
    assert calls == 2


def test_forget() -> None:
    site = Site((200, b""))
    cache = RobotsCache(site, UA)
    asyncio.run(cache.allowed("https://a.example/"))
    cache.forget("https://a.example/anything")
    asyncio.run(cache.allowed("https://a.example/"))
    cache.forget()
    asyncio.run(cache.allowed("https://a.example/"))
    assert len(site.fetched) == 3


def test_caches_sharing_a_memory_read_a_site_once_per_ttl() -> None:
    """The pipeline makes new fetchers (and event loops) every round; they share the
    process's memory, so robots.txt is read once per TTL, not once per round."""
    site = Site((200, b"User-agent: *\nDisallow: /x\n"))
    clock = Clock()
    memory = RobotsMemory()

    def round_trip() -> bool:
        cache = RobotsCache(site, UA, ttl=60, clock=clock, memory=memory)
        return asyncio.run(cache.allowed("https://a.example/feed"))  # a new loop each time

    assert round_trip() and round_trip() and round_trip()
    assert site.fetched == ["https://a.example/robots.txt"]
    clock.now += 61
    assert round_trip()
    assert len(site.fetched) == 2
    RobotsCache(site, UA, memory=memory).forget("https://a.example/anything")
    assert len(memory) == 0


def test_a_memory_keeps_the_most_recent_sites() -> None:
    memory = RobotsMemory(max_sites=2)
    rules = RobotsRules.from_response("https://a.example", 404, b"")
    for name in ("a", "b", "c"):
        memory.put(f"https://{name}.example", 100.0, rules)
    assert len(memory) == 2
    assert memory.get("https://a.example", 0.0) is None
    assert memory.get("https://c.example", 0.0) is rules
    assert memory.get("https://c.example", 100.0) is None  # past its deadline
