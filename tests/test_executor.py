"""Executors: host shards, the local and the Ray executor on real feeds and the real
embedder, a model worker killed mid-batch, the PostgreSQL stage lock, and the refusal of
SQLite in distributed mode."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from herald.app import make_herald
from herald.config import Settings
from herald.exceptions import ConfigError
from herald.executor import RAY_NEEDS_POSTGRES, check_executor_settings, shard_by_host
from herald.executor.base import ShardResult, WorkContext, host_of
from herald.executor.local import LocalExecutor
from herald.executor.local_cluster import LocalRayCluster
from herald.executor.locks import stage_lock
from herald.nlp.embed import shared_embedder
from herald.pipeline.cluster_step import embed_texts
from herald.pipeline.ingest_step import FeedJob, FeedOutcome, fetch_feeds
from herald.store.store import Store
from herald.workers import WorkerPool
from tests.support.httpserver import LocalServer
from tests.support.postgres import postgres_database, postgres_url  # noqa: F401
from tests.support.ray_cluster import ray_cluster, ray_processes  # noqa: F401

PG_URL = "postgresql+psycopg://herald@127.0.0.1/nowhere"
HERALD = [sys.executable, "-m", "herald"]
WORDS = (
    "markets",
    "rally",
    "as",
    "central",
    "bank",
    "holds",
    "rates",
    "steady",
    "amid",
    "inflation",
)

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{name}</title><link>http://example.org/</link>
<description>Test feed</description>
<item><title>{name}: first story</title><link>http://example.org/{name}/1</link>
<guid>{name}-1</guid><pubDate>Mon, 02 Jun 2025 10:00:00 GMT</pubDate></item>
<item><title>{name}: second story</title><link>http://example.org/{name}/2</link>
<guid>{name}-2</guid><pubDate>Mon, 02 Jun 2025 11:00:00 GMT</pubDate></item>
</channel></rss>
"""


@pytest.fixture()
def feed_hosts() -> Iterator[list[LocalServer]]:
    """Two loopback servers (two hosts) with two RSS feeds each."""
    with LocalServer() as one, LocalServer() as two:
        for server, names in ((one, ("a", "b")), (two, ("c", "d"))):
            for name in names:
                server.route(
                    f"/{name}.xml",
                    body=RSS.format(name=name),
                    content_type="application/rss+xml",
                    etag=f'"{name}"',
                )
        yield [one, two]


def feed_jobs(servers: list[LocalServer]) -> list[list[FeedJob]]:
    jobs = [
        FeedJob(i, server.url(f"/{name}.xml"), None, None)
        for i, (server, name) in enumerate(
            [(servers[0], "a"), (servers[1], "c"), (servers[0], "b"), (servers[1], "d")]
        )
    ]
    return [[jobs[i] for i in shard] for shard in shard_by_host([j.url for j in jobs], 8)]


def titles(outcomes: list[FeedOutcome]) -> dict[int, list[str]]:
    return {
        o.source_id: [item.title for item in o.parsed.items] if o.parsed else [o.error]
        for o in outcomes
    }


# --------------------------------------------------------------------------- shards


def test_every_host_is_in_exactly_one_shard_and_shards_are_balanced() -> None:
    urls = [f"https://site{i % 7}.example/feed{i}.xml" for i in range(70)]
    urls += [f"http://big.example:8080/page/{i}" for i in range(30)]
    shards = shard_by_host(urls, 4)
    assert sorted(p for s in shards for p in s) == list(range(len(urls)))
    owners: dict[str, set[int]] = {}
    for n, shard in enumerate(shards):
        assert shard == sorted(shard)
        for position in shard:
            owners.setdefault(host_of(urls[position]), set()).add(n)
    assert all(len(o) == 1 for o in owners.values())
    assert len(owners) == 8
    sizes = sorted(len(s) for s in shards)
    assert sizes[-1] == 30  # the big host alone
    assert sizes[0] >= 20
    assert shard_by_host(urls, 4) == shards  # the cut depends only on the input
    assert shard_by_host(urls, 100) == [s for s in shard_by_host(urls, 8)]
    assert shard_by_host([], 4) == []


# --------------------------------------------------------------------------- refusals


def test_the_ray_executor_refuses_sqlite_with_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), executor="ray", ray_address="127.0.0.2:1")
    with pytest.raises(ConfigError) as raised:
        check_executor_settings(settings)
    assert str(raised.value) == RAY_NEEDS_POSTGRES
    assert "HERALD_DATABASE_URL=postgresql+psycopg://" in RAY_NEEDS_POSTGRES
    with pytest.raises(ConfigError, match="needs a shared PostgreSQL database"):
        make_herald(settings)
    assert not (tmp_path / "herald.db").exists()  # refused before any work
    check_executor_settings(replace(settings, database_url=PG_URL))  # accepted


def test_herald_run_with_the_ray_executor_on_sqlite_exits_with_the_error(tmp_path: Path) -> None:
    env = {**os.environ, "HERALD_DATA_DIR": str(tmp_path)}
    env.pop("HERALD_DATABASE_URL", None)
    done = subprocess.run(
        [*HERALD, "run", "--once", "--executor", "ray", "--ray-address", "127.0.0.2:1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "needs a shared PostgreSQL database" in done.stderr
    assert "HERALD_DATABASE_URL=postgresql+psycopg://" in " ".join(done.stderr.split())


def test_a_ray_address_nothing_answers_on_is_refused_at_once() -> None:
    """A dead cluster gives a clear error within seconds instead of Ray's long retries."""
    import socket

    from herald.executor.ray_executor import _reachable

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(ConfigError, match="cannot reach the Ray cluster"):
        _reachable(f"127.0.0.1:{port}")
    assert time.monotonic() - started < 10


def test_an_unknown_executor_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown executor 'dask'"):
        check_executor_settings(Settings(executor="dask"))


# --------------------------------------------------------------------------- local


async def _broken_shard(ctx: WorkContext, shard: int) -> int:
    if shard == 1:
        raise ValueError("this shard is broken")
    return shard * 10


def _run_shards(executor: LocalExecutor, fn: object, shards: list[object]) -> list[object]:
    async def collect() -> list[object]:
        return [r async for r in executor.run_shards(fn, shards)]  # type: ignore[arg-type]

    return asyncio.run(collect())


def test_the_local_executor_fetches_shards_and_reports_a_failed_one(
    settings: Settings, feed_hosts: list[LocalServer]
) -> None:
    with WorkerPool(1, 30.0) as pool:
        executor = LocalExecutor(settings, lambda: pool)
        results = _run_shards(executor, fetch_feeds, list(feed_jobs(feed_hosts)))
        broken = _run_shards(executor, _broken_shard, [0, 1, 2])
    outcomes = [o for r in results for o in r.value]  # type: ignore[attr-defined]
    assert titles(outcomes) == {
        0: ["a: first story", "a: second story"],
        1: ["c: first story", "c: second story"],
        2: ["b: first story", "b: second story"],
        3: ["d: first story", "d: second story"],
    }
    assert {o.etag for o in outcomes} == {'"a"', '"b"', '"c"', '"d"'}
    by_index = {r.index: r for r in broken}  # type: ignore[attr-defined]
    assert by_index[0] == ShardResult(0, 0) and by_index[2] == ShardResult(2, 20)
    assert by_index[1].value is None and "this shard is broken" in by_index[1].error


def test_the_local_executor_reads_robots_txt_once_across_rounds(
    settings: Settings, feed_hosts: list[LocalServer]
) -> None:
    from herald.ingest.robots import PROCESS_ROBOTS

    for server in feed_hosts:
        server.route("/robots.txt", body="User-agent: *\nAllow: /\n", content_type="text/plain")
        PROCESS_ROBOTS.forget(server.url("/").rstrip("/"))
    with WorkerPool(1, 30.0) as pool:
        executor = LocalExecutor(settings, lambda: pool)
        for _round in range(3):  # each round: new fetchers on a new event loop
            _run_shards(executor, fetch_feeds, list(feed_jobs(feed_hosts)))
    for server in feed_hosts:
        asked = [r.path for r in server.requests]
        assert asked.count("/robots.txt") == 1, asked
        assert len([p for p in asked if p.endswith(".xml")]) == 6


# --------------------------------------------------------------------------- stage lock


@pytest.mark.postgres
def test_the_stage_lock_makes_a_second_driver_wait(postgres_url: str) -> None:  # noqa: F811
    first, second = Store(postgres_url), Store(postgres_url)
    order: list[str] = []
    holding = threading.Event()

    def other_driver() -> None:
        holding.wait(10)
        with stage_lock(second, "cluster"):
            order.append("second in")

    thread = threading.Thread(target=other_driver)
    thread.start()
    try:
        with stage_lock(first, "cluster"):
            holding.set()
            time.sleep(0.5)
            with stage_lock(second, "extract"):  # another name is not held up
                order.append("other lock")
            order.append("first out")
        thread.join(10)
    finally:
        first.close()
        second.close()
    assert order == ["other lock", "first out", "second in"]


# --------------------------------------------------------------------------- Ray


def ray_settings(settings: Settings, cluster: LocalRayCluster) -> Settings:
    return replace(
        settings, executor="ray", ray_address=cluster.address, database_url=PG_URL, workers=2
    )


def texts(n: int) -> list[list[str]]:
    words = list(WORDS)
    return [
        [" ".join(words[(i + j) % len(words) :] + words[: (i + j) % len(words)]) for j in range(n)]
        for i in range(5)
    ]


def test_the_ray_executor_runs_host_shards_and_model_batches_on_the_cluster(
    ray_cluster: LocalRayCluster,  # noqa: F811
    settings: Settings,
    feed_hosts: list[LocalServer],
) -> None:
    from herald.executor.ray_executor import RayExecutor

    executor = RayExecutor(ray_settings(settings, ray_cluster))
    try:
        assert executor.workers == 2
        batches = texts(40)
        embedded = list(executor.map_batches(embed_texts, batches))
        shards = feed_jobs(feed_hosts)
        results = asyncio.run(_collect(executor, shards))
    finally:
        executor.close()
    local = shared_embedder()
    for batch, vectors in zip(batches, embedded, strict=True):
        assert np.array_equal(vectors, local.embed(batch))  # same model, same numbers
    assert sorted(r.index for r in results) == list(range(len(shards)))
    outcomes = [o for r in results for o in (r.value or [])]
    assert titles(outcomes)[3] == ["d: first story", "d: second story"]
    assert len(outcomes) == 4
    for server in feed_hosts:  # each feed fetched once, by the worker of its host's shard
        assert len([r for r in server.requests if r.path.endswith(".xml")]) == 2


async def _collect(executor: object, shards: list[list[FeedJob]]) -> list[ShardResult[object]]:
    return [r async for r in executor.run_shards(fetch_feeds, shards)]  # type: ignore[attr-defined]


def test_a_model_worker_killed_mid_batch_is_restarted_and_the_batch_redone(
    ray_cluster: LocalRayCluster,  # noqa: F811
    settings: Settings,
) -> None:
    from herald.executor.ray_executor import RayExecutor

    executor = RayExecutor(replace(ray_settings(settings, ray_cluster), workers=1))
    killed: list[int] = []

    def kill_first_busy_actor() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            busy = ray_processes(ray_cluster, "ray::ModelHost.call")
            if busy:
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.02)

    batches = texts(300)
    try:
        executor.prepare()  # the model is loaded: the kill lands in a batch
        thread = threading.Thread(target=kill_first_busy_actor)
        thread.start()
        embedded = list(executor.map_batches(embed_texts, batches))
        thread.join()
        after = ray_processes(ray_cluster, "ray::ModelHost")
    finally:
        executor.close()
    assert killed, "no busy model worker was seen"
    assert killed[0] not in after  # a new process took its place
    local = shared_embedder()
    for batch, vectors in zip(batches, embedded, strict=True):
        assert np.array_equal(vectors, local.embed(batch))
