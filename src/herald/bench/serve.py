"""``herald bench serve``: the web app's latency and throughput under load, on loopback.

The issue's goal: on 2 cores, a p99 latency under 100 ms for the feed page at 50 concurrent
connections, with personalization on.

What runs:

1. A fresh database is seeded (``herald.bench.seed``): by default 10,000 readers, 100,000
   articles and 5,000 stories, in SQLite in a temporary folder, or in the empty PostgreSQL
   database of ``database_url``.
2. The real web app starts in its own process (``herald.bench.webproc``: uvicorn with
   ``web_workers`` workers) on a free loopback port, on that database, with the real clock
   as in production (the seed's ``now`` is the start of the run, so the three days of news
   are current, and caches that depend on the time, such as the feed's candidate window,
   move on during the run as they would in service).
3. The load generator (``herald.bench.loadgen``) in this process keeps exactly
   ``concurrency`` keep-alive HTTP/1.1 connections busy, one endpoint after the other:
   ``static`` (a small static file: the server's and the generator's own ceiling), the feed
   page ``/``, the JSON feed ``/api/v1/feed`` and a story page ``/stories/<id>`` (a random
   story each time). Every request carries the signed cookie of a random seeded reader
   (signed with the instance's secret key), so every feed is personalized. Each endpoint
   gets ``warmup`` seconds unrecorded, then ``duration`` seconds measured.

Then the feed page again in open loop (``herald.bench.loadgen``'s ``rate``): readers arrive
on a Poisson schedule at fixed shares (``rates``) of the closed-loop throughput just measured,
over the same connections, each latency counted from the request's arrival. This is the
latency a reader sees at a given load, and the highest of these rates whose p99 stays under
the goal is reported as the sustained rate (what a deployment should size by).

With ``profile`` set, the feed page and the JSON feed are then profiled in this process
(``herald.bench.feedprofile``: cProfile over single requests, by area and by step).

Reported per endpoint: requests, errors, requests per second, p50/p90/p99/max latency, the
generator's CPU share (well under 1.0 means the generator was not the limit), the server's
CPU seconds, and how many workers uvicorn's supervisor replaced (a worker that misses its
5 s health check, e.g. on an overloaded machine, is killed: its connections drop and its
replacement starts cold). Then the machine, with load averages at the start and the end
(other work on the machine slows the server down). Nothing here passes or fails.
"""

from __future__ import annotations

import base64
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from herald.bench.loadgen import RequestFactory, run_load, summarize
from herald.bench.machine import load_average, machine_info
from herald.bench.seed import SeedOptions, seed_database
from herald.bench.webproc import HOST, WebProcess, server_stack
from herald.config import Settings
from herald.exceptions import ConfigError
from herald.store.schema import readers, stories
from herald.store.store import Store
from herald.web.security import CSRF_COOKIE, READER_COOKIE, sign

__all__ = ["ENDPOINTS", "TARGET_P99_MS", "ServeOptions", "run_serve_bench"]

TARGET_P99_MS = 100.0
TARGET_CONCURRENCY = 50
ENDPOINTS = ("static", "feed_page", "api_feed", "story_page")


@dataclass(frozen=True)
class ServeOptions:
    readers: int = 10_000
    articles: int = 100_000
    stories: int = 5_000
    concurrency: int = 50
    duration: float = 20.0
    warmup: float = 5.0
    database_url: str = ""
    web_workers: int = 2
    seed: int = 1
    profile: int = 0
    """Feed requests to profile in process after the load (0: no profile)."""
    rates: tuple[float, ...] = (0.25, 0.5, 0.75)
    """Open-loop feed page rates, as shares of its closed-loop requests per second."""

    def check(self) -> None:
        if self.concurrency < 1 or self.web_workers < 1:
            raise ConfigError("concurrency and web workers must be at least 1")
        if self.duration <= 0 or self.warmup < 0 or self.profile < 0:
            raise ConfigError("the duration must be positive and the warm-up not negative")
        if any(not 0 < r <= 2 for r in self.rates):
            raise ConfigError("open-loop rates are shares of the closed-loop rate, in (0, 2]")
        if self.database_url and not self.database_url.startswith("postgresql"):
            raise ConfigError("--database-url takes a PostgreSQL URL (SQLite is the default)")


def run_serve_bench(
    options: ServeOptions, log: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Seed, serve, load each endpoint; returns the JSON report."""
    options.check()
    say = log or (lambda _message: None)
    started = time.perf_counter()
    machine = machine_info()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="herald-bench-serve-") as tmp:
        settings = Settings(data_dir=str(Path(tmp) / "data"), database_url=options.database_url)
        seeded, cookies, story_ids = _prepare(settings, options, now, say)
        env = _server_env(settings)
        with WebProcess(env, options.web_workers, Path(tmp) / "server.log") as server:
            say(f"serving on {HOST}:{server.port} with {options.web_workers} worker(s)")
            paths = _paths(story_ids)
            endpoints = {
                name: _measure(server, name, _factory(server.port, cookies, path), options, say)
                for name, path in paths.items()
            }
            ceiling = float(endpoints["feed_page"]["requests_per_second"])
            at_rates = [
                _measure(
                    server,
                    f"feed_page at {share:.0%} of {ceiling:,.0f} req/s",
                    _factory(server.port, cookies, paths["feed_page"]),
                    options,
                    say,
                    rate=share * ceiling,
                )
                | {"share": share, "rate": round(share * ceiling, 1)}
                for share in options.rates
                if ceiling > 0
            ]
        profile = _profile(settings, cookies, options.profile, say) if options.profile else None
    feed = endpoints["feed_page"]
    return {
        "benchmark": "serve",
        "machine": machine,
        "options": asdict(options) | {"database_url": _redact(options.database_url)},
        "database": "postgresql" if options.database_url else "sqlite",
        "server": {"web_workers": options.web_workers, **server_stack()},
        "seed": seeded,
        "endpoints": endpoints,
        "feed_page_open_loop": at_rates,
        "goal": {
            "feed_page_p99_ms": feed["latency_ms"]["p99"],
            "sustained_rate_under_target": _sustained(at_rates),
            "target_p99_ms": TARGET_P99_MS,
            "target_concurrency": TARGET_CONCURRENCY,
            "met": _goal_met(feed, options),
        },
        "load_average_1m_at_end": load_average(),
        "total_seconds": round(time.perf_counter() - started, 1),
    } | ({"profile": profile} if profile is not None else {})


def _prepare(
    settings: Settings, options: ServeOptions, now: datetime, say: Callable[[str], None]
) -> tuple[dict[str, object], list[bytes], list[int]]:
    """Seed the database; the readers' signed cookies and the story ids to request."""
    from herald.app import make_herald

    herald = make_herald(settings, migrate=False)
    try:
        report = seed_database(
            herald.store,
            SeedOptions(
                now=now,
                readers=options.readers,
                articles=options.articles,
                stories=options.stories,
                seed=options.seed,
            ),
            say,
        )
        cookies = _cookies(herald.secret_key, _tokens(herald.store), options.seed)
        story_ids = _story_ids(herald.store)
    finally:
        herald.close()
    return report.to_json(), cookies, story_ids


def _profile(
    settings: Settings, cookies: list[bytes], requests: int, say: Callable[[str], None]
) -> dict[str, Any]:
    """cProfile of the feed page and the JSON feed in this process (the server has stopped)."""
    from herald.app import make_herald
    from herald.bench.feedprofile import profile_endpoint
    from herald.web.app import create_app

    herald = make_herald(settings, migrate=False)
    try:
        app = create_app(herald)
        found = {}
        for name, path in (("feed_page", "/"), ("api_feed", "/api/v1/feed")):
            say(f"profiling {requests} requests of {path} in process")
            found[name] = profile_endpoint(app, path, cookies, requests)
        return found
    finally:
        herald.close()


def _tokens(store: Store) -> list[str]:
    with store.tx() as conn:
        return [
            str(t) for t in conn.execute(select(readers.c.token).order_by(readers.c.id)).scalars()
        ]


def _story_ids(store: Store) -> list[int]:
    stmt = select(stories.c.id).where(stories.c.article_count > 0).order_by(stories.c.id)
    with store.tx() as conn:
        return [int(i) for i in conn.execute(stmt).scalars()]


def _cookies(secret_key: str, tokens: list[str], seed: int) -> list[bytes]:
    """A ``Cookie`` header value per reader: the signed reader cookie and a CSRF nonce."""
    rng = random.Random(seed)
    out = []
    for token in tokens:
        nonce = base64.urlsafe_b64encode(rng.randbytes(24)).decode()
        out.append(f"{READER_COOKIE}={sign(secret_key, token)}; {CSRF_COOKIE}={nonce}".encode())
    return out


def _server_env(settings: Settings) -> dict[str, str]:
    env = {"HERALD_DATA_DIR": settings.data_dir}
    if settings.database_url:
        env["HERALD_DATABASE_URL"] = settings.database_url
    return env


def _paths(story_ids: list[int]) -> dict[str, Callable[[random.Random], str]]:
    return {
        "static": lambda _rng: "/static/herald.css",
        "feed_page": lambda _rng: "/",
        "api_feed": lambda _rng: "/api/v1/feed",
        "story_page": lambda rng: f"/stories/{story_ids[rng.randrange(len(story_ids))]}",
    }


def _factory(
    port: int, cookies: list[bytes], path: Callable[[random.Random], str]
) -> RequestFactory:
    host = f"{HOST}:{port}".encode()

    def make(rng: random.Random) -> bytes:
        cookie = cookies[rng.randrange(len(cookies))]
        return b"".join(
            (
                b"GET ",
                path(rng).encode(),
                b" HTTP/1.1\r\nHost: ",
                host,
                b"\r\nUser-Agent: herald-bench\r\nAccept: */*\r\nCookie: ",
                cookie,
                b"\r\n\r\n",
            )
        )

    return make


def _measure(
    server: WebProcess,
    name: str,
    make: RequestFactory,
    options: ServeOptions,
    say: Callable[[str], None],
    rate: float | None = None,
) -> dict[str, Any]:
    say(f"{name}: {options.warmup:g} s warm-up, {options.duration:g} s measured")
    load_before = load_average()
    cpu_before = server.cpu_seconds()
    restarts_before = server.worker_restarts()
    result = run_load(
        HOST,
        server.port,
        make,
        concurrency=options.concurrency,
        warmup=options.warmup,
        duration=options.duration,
        seed=options.seed,
        rate=rate,
    )
    cpu_after = server.cpu_seconds()
    summary = summarize(result)
    if cpu_before is not None and cpu_after is not None:
        # Includes the warm-up: the server's CPU per second of the whole phase.
        spent = cpu_after - cpu_before
        summary["server_cpu_seconds"] = round(spent, 2)
        summary["server_cpu_share"] = round(spent / (options.warmup + options.duration), 3)
    summary["server_worker_restarts"] = server.worker_restarts() - restarts_before
    summary["load_average_1m"] = {"before": load_before, "after": load_average()}
    return summary


def _sustained(at_rates: list[dict[str, Any]]) -> float | None:
    """The highest open-loop rate whose p99 stayed under the target, without errors."""
    good = [
        row["rate"]
        for row in at_rates
        if row["errors"] == 0
        and row["latency_ms"]["p99"] is not None
        and row["latency_ms"]["p99"] < TARGET_P99_MS
    ]
    return max(good, default=None)


def _goal_met(feed: dict[str, Any], options: ServeOptions) -> bool | None:
    """Whether the feed page met the goal; None when the run was not at the goal's load."""
    p99 = feed["latency_ms"]["p99"]
    if options.concurrency != TARGET_CONCURRENCY or p99 is None:
        return None
    return bool(feed["errors"] == 0 and p99 < TARGET_P99_MS)


def _redact(url: str) -> str:
    if not url:
        return ""
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)
