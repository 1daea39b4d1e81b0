"""``herald bench pipeline``: items per second of every stage, with 1 and 2 workers.

The demo snapshot (real news, or a fixed slice of it) is served over HTTP on loopback by
several feed servers, one per port, so fetching has several hosts to shard (outlets are
dealt out to the servers in name order). For each worker count, a fresh database gets the
sources and every stage runs once, timed on its own after the executor has started its
workers and loaded its models (which is paid once per process, not per round):

* ingest: feeds polled and parsed per second;
* extract: article pages fetched and extracted per second;
* cluster: articles embedded and assigned per second;
* trend: stories scored per second;
* write: stories written and verified per second.

The driver's own models (the embedder for topic labels, spaCy for story entities) are
loaded before the timing too: like the workers' models, they load once per process.

``--executor ray`` runs on the cluster at ``--ray-address``, or on a local cluster the
benchmark starts (one node of one CPU per worker, on loopback) and stops. Both executors
need a database every worker count can start afresh: SQLite files in a temporary folder
(local only), or temporary databases on the PostgreSQL server of ``--database-url`` (the
role must be allowed to create databases).
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from herald.app import Herald, make_herald
from herald.bench.machine import load_average, machine_info
from herald.config import Settings
from herald.demo.feedserver import FeedServer
from herald.demo.snapshot import SnapshotArticle, load_snapshot, snapshot_end
from herald.exceptions import ConfigError, StorageError
from herald.executor import RAY_NEEDS_POSTGRES
from herald.ingest.opml import read_opml
from herald.pipeline.progress import NoProgress, Progress
from herald.pipeline.run import STAGES, stage_functions
from herald.types import SourceSpec

__all__ = [
    "PipelineBenchOptions",
    "add_sources",
    "pipeline_table",
    "run_pipeline_bench",
    "serve_snapshot",
]

UNITS = {
    "ingest": "feeds",
    "extract": "pages",
    "cluster": "articles",
    "trend": "stories",
    "write": "stories",
}


@dataclass(frozen=True)
class PipelineBenchOptions:
    """What to measure: executor, worker counts, where the cluster and database are."""

    executor: str = "local"
    workers: tuple[int, ...] = (1, 2)
    ray_address: str = ""
    database_url: str = ""
    hosts: int = 8
    articles: int = 0  # 0: the whole snapshot; else the first N in time order


@contextmanager
def serve_snapshot(articles: Sequence[SnapshotArticle], hosts: int) -> Iterator[list[FeedServer]]:
    """``hosts`` feed servers of the snapshot on 127.0.0.1, each on its own port."""
    with ExitStack() as stack:
        yield [stack.enter_context(FeedServer(articles)) for _ in range(max(1, hosts))]


def add_sources(h: Herald, servers: Sequence[FeedServer]) -> int:
    """Add every outlet as a source, outlet ``i`` on server ``i mod len(servers)``."""
    listings = [read_opml(server.respond("/opml").body) for server in servers]
    specs: list[SourceSpec] = [listings[i % len(listings)][i] for i in range(len(listings[0]))]
    return h.store.add_sources(specs, h.clock.now())


def run_pipeline_bench(
    options: PipelineBenchOptions, progress: Progress | None = None
) -> dict[str, Any]:
    """Measure every stage for each worker count; returns the numbers as a dict."""
    progress = progress or NoProgress()
    _check(options)
    articles = _slice(options.articles)
    result: dict[str, Any] = {
        "benchmark": "pipeline",
        "executor": options.executor,
        "machine": machine_info(),
        "snapshot": {"articles": len(articles), "feeds": len({a.outlet for a in articles})},
        "hosts": options.hosts,
        "runs": [],
    }
    with ExitStack() as stack:
        address = options.ray_address
        if options.executor == "ray" and not address:
            from herald.executor.local_cluster import LocalRayCluster

            cluster = LocalRayCluster(nodes=max(options.workers), cpus=1)
            progress.start(f"Starting a local Ray cluster of {cluster.nodes} nodes", 1)
            address = stack.enter_context(cluster).address
            progress.finish()
            result["ray_cluster"] = {"nodes": cluster.nodes, "cpus_per_node": 1}
        servers = stack.enter_context(serve_snapshot(articles, options.hosts))
        for workers in options.workers:
            with _database(options.database_url) as (url, data_dir):
                settings = _settings(options, articles, workers, address, url, data_dir)
                result["runs"].append(_one_run(settings, servers, workers, progress))
    result["load_average_1m_at_end"] = load_average()
    return result


def _check(options: PipelineBenchOptions) -> None:
    if options.executor not in ("local", "ray"):
        raise ConfigError(f"unknown executor {options.executor!r}; use local or ray")
    if options.executor == "ray" and not options.database_url.startswith("postgresql"):
        raise ConfigError(f"{RAY_NEEDS_POSTGRES} (here: --database-url)")
    if not options.workers or min(options.workers) < 1:
        raise ConfigError("--workers takes counts of 1 or more")


def _slice(count: int) -> list[SnapshotArticle]:
    articles = sorted(load_snapshot(), key=lambda a: (a.published, a.id))
    return articles[:count] if count > 0 else articles


def _settings(
    options: PipelineBenchOptions,
    articles: Sequence[SnapshotArticle],
    workers: int,
    address: str,
    url: str,
    data_dir: str,
) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=url,
        executor=options.executor,
        ray_address=address if options.executor == "ray" else "",
        workers=workers,
        allow_networks="127.0.0.1/32",
        now=snapshot_end(articles).isoformat(),
        per_host_concurrency=8,
        total_concurrency=32,
        fetch_retries=0,
    )


def _one_run(
    settings: Settings, servers: Sequence[FeedServer], workers: int, progress: Progress
) -> dict[str, Any]:
    h = make_herald(settings)
    try:
        add_sources(h, servers)
        progress.start(f"{settings.executor}, {workers} workers: starting workers", 1)
        started = time.perf_counter()
        h.executor.prepare()
        _load_driver_models(h)
        prepare = time.perf_counter() - started
        progress.finish()
        stages: dict[str, Any] = {}
        for name, fn in stage_functions().items():
            started = time.perf_counter()
            report = fn(h, progress)
            seconds = time.perf_counter() - started
            items = _items(name, report)
            stages[name] = {
                "items": items,
                "unit": UNITS[name],
                "seconds": round(seconds, 3),
                "per_second": round(items / seconds, 2) if seconds > 0 else None,
            }
        counts = h.store.stage_counts()
    finally:
        h.close()
    return {
        "workers": workers,
        "prepare_seconds": round(prepare, 2),
        "stages": stages,
        "counts": counts,
    }


def _load_driver_models(h: Herald) -> None:
    """The models the driver itself uses (topic labels and story entities), loaded once per
    process like the workers' ones, so no stage pays for them."""
    from herald.cluster.ner import load_ner

    h.embedder.embed(["Herald loads its models once."])
    load_ner()


def _items(stage: str, report: Any) -> int:
    if stage == "ingest":
        return int(report.sources)
    if stage == "extract":
        return int(report.pages)
    if stage == "cluster":
        return int(report.articles)
    if stage == "trend":
        return int(report.stories)
    return int(report.published + report.links_only)


@contextmanager
def _database(server_url: str) -> Iterator[tuple[str, str]]:
    """(database URL, data folder) for one run: a temporary PostgreSQL database on the
    server of ``server_url``, else an SQLite file; dropped or deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="herald-bench-") as folder:
        if not server_url:
            yield "", folder
            return
        with _temporary_postgres(server_url) as url:
            yield url, folder


@contextmanager
def _temporary_postgres(server_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.exc import SQLAlchemyError

    url = make_url(server_url)
    name = f"herald_bench_{secrets.token_hex(6)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except SQLAlchemyError as e:
            raise StorageError(
                f"cannot create a temporary database on {url.host}: {e} "
                "(--database-url must name a server where the role may CREATE DATABASE)"
            ) from e
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def pipeline_table(result: dict[str, Any]) -> Any:
    """The result as a rich table: items/s per stage (rows) and worker count (columns)."""
    from rich.table import Table

    runs = result["runs"]
    table = Table(
        "stage",
        "items",
        *(f"{r['workers']} worker{'s' if r['workers'] > 1 else ''} (items/s)" for r in runs),
        title=f"herald bench pipeline: {result['executor']} executor, "
        f"{result['snapshot']['articles']} articles from {result['snapshot']['feeds']} feeds "
        f"on {result['hosts']} hosts",
    )
    for stage in STAGES:
        first = runs[0]["stages"][stage]
        cells = [
            f"{r['stages'][stage]['per_second']} ({r['stages'][stage]['seconds']:.2f} s)"
            for r in runs
        ]
        table.add_row(stage, f"{first['items']} {first['unit']}", *cells)
    return table
