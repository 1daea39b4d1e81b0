"""``herald bench ingest``: feed and page throughput, and memory, against a loopback server.

The targets (issue text): on 2 cores, from a local HTTP server on loopback serving real feed
files, at least 100 feeds per second fetched and parsed, at least 50 pages per second
extracted, and 10,000 tracked sources within 500 MB of memory.

What runs, in one temporary data folder with a fresh SQLite database:

1. Feeds. ``sources`` sources point at distinct addresses on the server (their bodies cycle
   through the real feed files of the shared data folder that ``parse_feed`` accepts). The
   worker processes (``workers`` setting; they parse feeds and extract pages) are started
   first, as a running ``herald run`` keeps them; the real ingest step
   (``herald.pipeline.ingest_step.ingest``: fetch, parse in the workers, store) runs once and
   memory is taken right after it (this process's peak plus each worker's current RSS).
   Then a second round with conditional GET (every answer a 304), and three one-process
   baselines on the same bodies: fetch + parse without storage, fetch alone, parse alone.
2. Pages. ``pages`` article pages (real pages of the extraction data, cycled) are queued as
   pending articles and the real extract step (``herald.pipeline.extract_step.extract``:
   fetch, extract in the workers, link near-duplicates, store) runs; then the workers' job
   (``herald.extract.page.extract_page``: extraction and signature) alone in this one
   process, warmed up as a worker is, as the baseline (``step_vs_alone`` is the ratio of the
   two rates). The step's CPU is split between this process and each worker (``cpu``), with
   the workers' CPU per page beside the baseline's (``cpu_ms_per_page``): on the shared
   2-core test machine a worker's CPU per page in the step ranged from equal to the
   baseline's (29 vs 30 ms) to a third more (53 vs 39 ms) as the host's load changed.

The server runs in a separate process (see ``loopback``); its CPU use is reported per
measurement so a reader can check it was not the bottleneck. Nothing here passes or fails:
the numbers are printed.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from herald.app import Herald, make_herald
from herald.bench.loopback import LoopbackServer
from herald.bench.machine import machine_info
from herald.config import Settings
from herald.exceptions import ConfigError, HeraldError
from herald.ingest.fetch import Fetcher
from herald.ingest.parse import parse_feed
from herald.ingest.urls import canonicalize
from herald.pipeline.ingest_step import ingest
from herald.pipeline.progress import NoProgress, Progress
from herald.store.store import NewEntry
from herald.types import Extraction, SourceSpec

__all__ = [
    "TARGET_FEEDS_PER_SECOND",
    "TARGET_MEMORY_MB",
    "TARGET_PAGES_PER_SECOND",
    "BenchOptions",
    "bench_settings",
    "feed_files",
    "page_files",
    "run_ingest_bench",
]

TARGET_FEEDS_PER_SECOND = 100.0
TARGET_PAGES_PER_SECOND = 50.0
TARGET_MEMORY_MB = 500.0
FEED_SUFFIXES = (".xml", ".json")

T = TypeVar("T")


@dataclass(frozen=True)
class BenchOptions:
    """What to measure: how many sources and pages, from which data folder."""

    data: Path
    sources: int = 10_000
    pages: int = 500
    concurrency: int = 64
    seed: int = 0


# --------------------------------------------------------------------------- data


def feed_files(data: Path) -> list[Path]:
    """The real feed files under ``data/feeds`` that ``parse_feed`` accepts, sorted.

    The folder also holds expected-output JSON and deliberately broken fixtures; only files
    Herald would actually ingest are served.
    """
    folder = _folder(data, "feeds")
    usable = []
    for file in sorted(p for p in folder.rglob("*") if p.suffix.lower() in FEED_SUFFIXES):
        try:
            parse_feed(file.read_bytes(), "http://127.0.0.1/feed")
        except HeraldError:
            continue
        usable.append(file)
    if not usable:
        raise ConfigError(f"no usable feed files under {folder}")
    return usable


def page_files(data: Path) -> list[Path]:
    """The real pages under ``data/extraction`` (gzipped HTML, plus Readability's sources)."""
    folder = _folder(data, "extraction")
    pages = sorted(folder.rglob("*.html.gz")) + sorted(folder.rglob("source.html"))
    if not pages:
        raise ConfigError(f"no pages (*.html.gz or source.html) under {folder}")
    return pages


def _folder(data: Path, name: str) -> Path:
    if not data.is_dir():
        raise ConfigError(
            f"shared data folder not found: {data.resolve()} (pass --data with the folder "
            "that holds feeds/ and extraction/)"
        )
    folder = data / name
    if not folder.is_dir():
        raise ConfigError(f"{data.resolve()} has no {name}/ folder; is it the shared data folder?")
    return folder


def _choose_pages(files: Sequence[Path], count: int, seed: int) -> list[Path]:
    """A fixed mix of the page collections: shuffled with ``seed``, the first ``count``."""
    shuffled = list(files)
    random.Random(seed).shuffle(shuffled)
    return shuffled[: max(1, min(count, len(shuffled)))]


def _read_page(file: Path) -> bytes:
    import gzip

    data = file.read_bytes()
    return gzip.decompress(data) if file.suffix == ".gz" else data


# --------------------------------------------------------------------------- settings


def bench_settings(data_dir: Path, concurrency: int) -> Settings:
    """Settings of the run: a temporary SQLite store and loopback fetching.

    All sources share one host (127.0.0.1), so ``per_host_concurrency`` is raised to
    ``total_concurrency``; otherwise the default of 2 per host would be what is measured.
    """
    return Settings(
        data_dir=str(data_dir),
        allow_networks="127.0.0.1/32",
        per_host_concurrency=concurrency,
        total_concurrency=concurrency,
        per_host_delay=0.0,
        respect_robots=True,
    )


def _settings_json(settings: Settings) -> dict[str, Any]:
    keys = (
        "allow_networks",
        "per_host_concurrency",
        "total_concurrency",
        "per_host_delay",
        "respect_robots",
        "fetch_retries",
        "fetch_timeout",
        "connect_timeout",
        "max_response_bytes",
        "min_article_chars",
    )
    return {
        **{key: getattr(settings, key) for key in keys},
        "database": "sqlite (temporary file)",
        "note": (
            "all sources share one host (127.0.0.1), so per_host_concurrency is raised to "
            "total_concurrency"
        ),
    }


# --------------------------------------------------------------------------- measuring


@dataclass
class _Measured:
    seconds: float
    server: dict[str, Any]


def _measure(server: LoopbackServer, work: Callable[[], T]) -> tuple[T, _Measured]:
    """Run ``work`` and time it; note how busy the server process was meanwhile."""
    before = server.stats()
    start = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - start
    after = server.stats()
    cpu = after.cpu_seconds - before.cpu_seconds
    requests = after.requests - before.requests - 1  # the first stats request
    return value, _Measured(
        seconds,
        {
            "requests": requests,
            "cpu_seconds": round(cpu, 3),
            "busy_share": round(cpu / seconds, 3) if seconds > 0 else None,
            "capacity_per_second": round(requests / cpu, 1) if cpu > 0 else None,
        },
    )


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def workers_rss_mb(pids: Sequence[int]) -> list[float]:
    """Current resident memory of each process in ``pids``, MB (from /proc; 0 if unknown)."""
    sizes = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            sizes.append(0.0)
            continue
        kb = next(
            (line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")), "0"
        )
        sizes.append(round(int(kb) / 1024, 1))
    return sizes


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used so far (from /proc; 0 if unknown)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


# --------------------------------------------------------------------------- phase 1: feeds


def _add_sources(h: Herald, urls: Sequence[str], now: datetime) -> int:
    specs = [
        SourceSpec(url=url, title=f"Bench feed {i}", outlet=f"Bench {i}", fetch_pages=False)
        for i, url in enumerate(urls)
    ]
    return h.store.add_sources(specs, now)


async def _fetch_feeds(
    settings: Settings, urls: Sequence[str], progress: Progress, *, parse: bool
) -> dict[str, int]:
    counts = {"ok": 0, "failed": 0, "items": 0}
    progress.start("Fetch + parse (no store)" if parse else "Fetch only", len(urls))
    async with Fetcher(settings) as fetcher:

        async def one(url: str) -> None:
            try:
                result = await fetcher.fetch(url)
                if parse:
                    content_type = result.headers.get("content-type", "")
                    counts["items"] += len(
                        parse_feed(result.content, result.url, content_type).items
                    )
                counts["ok"] += 1
            except HeraldError:
                counts["failed"] += 1
            progress.advance()

        await asyncio.gather(*(one(url) for url in urls))
    progress.finish()
    return counts


def _parse_alone(feeds: Sequence[Path], count: int, progress: Progress) -> dict[str, Any]:
    """``parse_feed`` alone, in this process, over ``count`` bodies cycled as the server does."""
    bodies = [f.read_bytes() for f in feeds]
    progress.start("parse_feed alone", count)
    start = time.perf_counter()
    for i in range(count):
        body = bodies[i % len(bodies)]
        parse_feed(body, "http://127.0.0.1/feed", "application/xml")
        progress.advance()
    seconds = time.perf_counter() - start
    progress.finish()
    return {"feeds": count, "seconds": round(seconds, 3), "per_second": _rate(count, seconds)}


def _feed_phase(
    h: Herald,
    server: LoopbackServer,
    feeds: Sequence[Path],
    progress: Progress,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(feed numbers, memory numbers) of phase 1."""
    urls = server.feed_urls()
    now = h.clock.now()
    rss_before = peak_rss_mb()
    progress.start(f"Adding {len(urls):,} sources", 1)
    start = time.perf_counter()
    added = _add_sources(h, urls, now)
    add_seconds = time.perf_counter() - start
    progress.advance()
    progress.finish()

    progress.start(f"Starting {h.pool.size} worker processes", 1)
    start = time.perf_counter()
    h.pool.start()
    workers_seconds = time.perf_counter() - start
    progress.advance()
    progress.finish()

    report, first = _measure(server, lambda: ingest(h, progress))
    own = peak_rss_mb()
    workers = workers_rss_mb(h.pool.pids())
    memory = {
        "tracked_sources": h.store.count("sources"),
        "peak_rss_mb_before_sources": rss_before,
        "peak_rss_mb_after_ingest": own,
        "workers_rss_mb_after_ingest": workers,
        "total_rss_mb_after_ingest": round(own + sum(workers), 1),
        "note": (
            "peak RSS of the benchmark process (ru_maxrss) plus the current RSS of each "
            "worker process; the HTTP server is another process and is not counted"
        ),
    }
    again, second = _measure(server, lambda: ingest(h, progress, force=True))
    raw, raw_m = _measure(
        server, lambda: asyncio.run(_fetch_feeds(h.settings, urls, progress, parse=True))
    )
    fetched, fetch_m = _measure(
        server, lambda: asyncio.run(_fetch_feeds(h.settings, urls, progress, parse=False))
    )
    sizes = [f.stat().st_size for f in feeds]
    numbers = {
        "sources": len(urls),
        "sources_added": added,
        "add_sources_seconds": round(add_seconds, 3),
        "workers": h.pool.size,
        "workers_start_seconds": round(workers_seconds, 3),
        "feed_files": len(feeds),
        "mean_feed_bytes": round(sum(sizes[i % len(sizes)] for i in range(len(urls))) / len(urls)),
        "ingest": {
            "what": "herald.pipeline.ingest_step.ingest: fetch + parse + store, all due sources",
            "seconds": round(first.seconds, 3),
            "feeds_per_second": _rate(len(urls), first.seconds),
            "fetched": report.fetched,
            "not_modified": report.not_modified,
            "failed": report.failed,
            "new_entries": report.new_entries,
            "first_errors": dict(list(report.errors.items())[:3]),
            "server": first.server,
        },
        "conditional": {
            "what": "second ingest round (force): conditional GET, answers are 304",
            "seconds": round(second.seconds, 3),
            "feeds_per_second": _rate(len(urls), second.seconds),
            "fetched": again.fetched,
            "not_modified": again.not_modified,
            "failed": again.failed,
            "server": second.server,
        },
        "fetch_parse": {
            "what": "Fetcher.fetch + parse_feed in this one process, no storage",
            "seconds": round(raw_m.seconds, 3),
            "feeds_per_second": _rate(len(urls), raw_m.seconds),
            **raw,
            "server": raw_m.server,
        },
        "fetch_only": {
            "what": "Fetcher.fetch alone",
            "seconds": round(fetch_m.seconds, 3),
            "feeds_per_second": _rate(len(urls), fetch_m.seconds),
            **fetched,
            "server": fetch_m.server,
        },
        "parse_only": _parse_alone(feeds, len(urls), progress),
    }
    return numbers, memory


# --------------------------------------------------------------------------- phase 2: pages


def _queue_pages(h: Herald, server: LoopbackServer) -> int:
    """Pending articles for every page address, under one source that fetches pages."""
    now = h.clock.now()
    source = h.store.add_source(
        SourceSpec(url=server.base_url + "/bench-pages.xml", title="Bench pages"), now
    )
    entries = [
        NewEntry(
            guid=url,
            url=url,
            canonical_url=canonicalize(url),
            title=f"Bench page {i}",
            summary="",
            author="",
            published=now,
        )
        for i, url in enumerate(server.page_urls())
    ]
    return h.store.add_entries(source.id, entries, now, fetch_pages=True)


def _run_extract_step(h: Herald, progress: Progress) -> dict[str, int]:
    from herald.pipeline.extract_step import extract

    report = extract(h, progress)
    return {
        "pages": report.pages,
        "ok": report.ok,
        "failed": report.failed,
        "duplicates": report.duplicates,
    }


def _extract(html: bytes, url: str, min_chars: int, encoding: str | None) -> Extraction:
    """The job the step's workers run on a page (extraction and its signature)."""
    from herald.extract.page import extract_page

    return extract_page(html, url, min_chars, encoding, "").extraction


def _extract_alone(
    bodies: Sequence[bytes], urls: Sequence[str], min_chars: int, progress: Progress
) -> dict[str, Any]:
    from herald.pipeline.warm import warm_worker

    warm_worker()  # as each worker process did when it started
    progress.start("extract_page alone (1 process)", len(urls))
    statuses: dict[str, int] = {}
    start, cpu = time.perf_counter(), time.process_time()
    for i, url in enumerate(urls):
        extraction = _extract(bodies[i % len(bodies)], url, min_chars, None)
        statuses[extraction.status.value] = statuses.get(extraction.status.value, 0) + 1
        progress.advance()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    progress.finish()
    return {
        "workers": 1,
        "pages": len(urls),
        "seconds": round(seconds, 3),
        "pages_per_second": _rate(len(urls), seconds),
        "cpu_ms_per_page": round(1000 * cpu / len(urls), 2),
        "statuses": statuses,
    }


def _page_phase(
    h: Herald, server: LoopbackServer, pages: Sequence[Path], progress: Progress
) -> dict[str, Any]:
    urls = server.page_urls()
    queued = _queue_pages(h, server)
    h.pool.start()  # already running after the feed phase; the CPU count needs their ids
    pids = h.pool.pids()
    before = [cpu_seconds(pid) for pid in (os.getpid(), *pids)]
    step, step_m = _measure(server, lambda: _run_extract_step(h, progress))
    spent = [cpu_seconds(pid) - b for pid, b in zip((os.getpid(), *pids), before, strict=True)]
    bodies = [_read_page(p) for p in pages]
    alone = _extract_alone(bodies, urls, h.settings.min_article_chars, progress)
    step_rate = _rate(len(urls), step_m.seconds)
    return {
        "pages": len(urls),
        "page_files": len(pages),
        "mean_page_bytes": round(
            sum(len(bodies[i % len(bodies)]) for i in range(len(urls))) / len(urls)
        ),
        "extract_step": {
            "what": (
                "herald.pipeline.extract_step.extract: fetch + extract (in the worker "
                "processes, started before the feed phase) + dedupe + store"
            ),
            "workers": h.pool.size,
            "queued": queued,
            "seconds": round(step_m.seconds, 3),
            "pages_per_second": step_rate,
            **step,
            "server": step_m.server,
            "cpu": _step_cpu(spent, len(urls), step_m.seconds),
        },
        "extract_alone": alone,
        "step_vs_alone": round(step_rate / alone["pages_per_second"], 2)
        if alone["pages_per_second"]
        else None,
    }


def _step_cpu(spent: Sequence[float], pages: int, seconds: float) -> dict[str, Any]:
    """Where the step's CPU went: this process (fetching, storing) and each worker, with the
    workers' CPU per page, to compare with ``extract_alone.cpu_ms_per_page`` (processes
    sharing the machine's cores each run slower than one alone)."""
    main, workers = spent[0], list(spent[1:])
    return {
        "main_process_seconds": round(main, 2),
        "main_process_share": round(main / seconds, 3) if seconds > 0 else None,
        "worker_seconds": [round(w, 2) for w in workers],
        "worker_cpu_ms_per_page": round(1000 * sum(workers) / pages, 2) if pages else None,
    }


# --------------------------------------------------------------------------- the whole run


def _targets(
    feeds: dict[str, Any], pages: dict[str, Any], memory: dict[str, Any]
) -> dict[str, Any]:
    feed_rate = feeds["ingest"]["feeds_per_second"]
    page_rate = pages["extract_step"]["pages_per_second"]
    rss = memory["total_rss_mb_after_ingest"]
    return {
        "feeds_per_second": {
            "target": TARGET_FEEDS_PER_SECOND,
            "measured": feed_rate,
            "met": feed_rate >= TARGET_FEEDS_PER_SECOND,
            "measured_by": "feeds.ingest",
        },
        "pages_per_second": {
            "target": TARGET_PAGES_PER_SECOND,
            "measured": page_rate,
            "met": page_rate >= TARGET_PAGES_PER_SECOND,
            "measured_by": "pages.extract_step",
        },
        "memory_mb": {
            "target": TARGET_MEMORY_MB,
            "sources": memory["tracked_sources"],
            "measured": rss,
            "met": rss <= TARGET_MEMORY_MB,
            "measured_by": "memory.total_rss_mb_after_ingest",
        },
    }


def run_ingest_bench(options: BenchOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Run both phases (see the module docstring) and return every number as JSON data."""
    progress = progress or NoProgress()
    if options.sources < 1 or options.pages < 1:
        raise ConfigError("--sources and --pages must be at least 1")
    feeds = feed_files(options.data)
    pages = _choose_pages(page_files(options.data), options.pages, options.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="herald-bench-") as tmp:
        folder = Path(tmp)
        settings = bench_settings(folder / "data", options.concurrency)
        server = LoopbackServer(
            folder / "manifest.json", feeds, options.sources, pages, options.pages
        )
        with server:
            h = make_herald(settings)
            try:
                feed_numbers, memory = _feed_phase(h, server, feeds, progress)
                page_numbers = _page_phase(h, server, pages, progress)
            finally:
                h.close()
    memory["peak_rss_mb_end"] = peak_rss_mb()
    return {
        "benchmark": "ingest",
        "machine": machine_info(),
        "options": {
            "sources": options.sources,
            "pages": options.pages,
            "data": str(options.data.resolve()),
        },
        "settings": _settings_json(settings),
        "server": {
            "kind": (
                "asyncio HTTP/1.1 in a separate process on 127.0.0.1, keep-alive, TCP_NODELAY, "
                "responses prebuilt; ETag/If-None-Match gives 304"
            ),
            "how_to_read": (
                "busy_share = server CPU seconds / wall seconds of a measurement (well under 1 "
                "means the server was not the bottleneck); capacity_per_second = requests per "
                "server CPU second"
            ),
        },
        "feeds": feed_numbers,
        "pages": page_numbers,
        "memory": memory,
        "targets": _targets(feed_numbers, page_numbers, memory),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
