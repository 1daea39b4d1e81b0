"""The demo snapshot through both executors, on a real two-node Ray cluster and PostgreSQL.

A slice of the bundled snapshot (real news) is served over HTTP on loopback by three feed
servers (three hosts, so fetching has shards to spread); each run goes into a fresh
PostgreSQL database. Checked: the local and the Ray executor store identical articles
(guid, canonical URL, extraction status, text, wire-copy links) and identical stories (as
sets of member articles, with their titles and writeups); killing Ray worker processes
mid-run (a shard task's and a model actor's) loses nothing; two drivers clustering the
same articles at once create no duplicate stories.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from herald.app import Herald, make_herald
from herald.bench.pipeline import add_sources
from herald.config import Settings
from herald.demo.feedserver import FeedServer, Response
from herald.demo.snapshot import SnapshotArticle, snapshot_end
from herald.executor.local_cluster import LocalRayCluster
from herald.pipeline.extract_step import extract
from herald.pipeline.ingest_step import ingest
from herald.pipeline.run import run_round
from tests.support.postgres import postgres_database, temporary_database  # noqa: F401
from tests.support.ray_cluster import ray_cluster, ray_processes  # noqa: F401
from tests.test_pipeline_e2e import snapshot_slice

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

HOSTS = 3


class SlowFeedServer(FeedServer):
    """The demo feed server, answering ``delay`` seconds late (set while a test needs
    time to catch workers mid-job)."""

    delay = 0.0

    def respond(self, path: str) -> Response:
        if self.delay:
            time.sleep(self.delay)
        return super().respond(path)


@dataclass(frozen=True)
class Output:
    """What a run stored, keyed by things that do not depend on row ids."""

    articles: dict[tuple[str, str], tuple[Any, ...]]
    stories: dict[frozenset[tuple[str, str]], tuple[str, str, str]]


@pytest.fixture(scope="module")
def slice_articles() -> list[SnapshotArticle]:
    return snapshot_slice(multinews=5, uci=2, per_uci_story=20)


@pytest.fixture(scope="module")
def servers(slice_articles: list[SnapshotArticle]) -> Iterator[list[SlowFeedServer]]:
    started = [SlowFeedServer(slice_articles) for _ in range(HOSTS)]
    try:
        for server in started:
            server.start()
        yield started
    finally:
        for server in started:
            server.stop()


def settings_for(
    url: URL, tmp: Path, articles: list[SnapshotArticle], **overrides: Any
) -> Settings:
    return Settings(
        data_dir=str(tmp),
        database_url=url.render_as_string(hide_password=False),
        allow_networks="127.0.0.1/32",
        now=snapshot_end(articles).isoformat(),
        per_host_concurrency=4,
        fetch_retries=0,
    ).with_overrides(**overrides)


def output(h: Herald) -> Output:
    """Articles and stories as stored, keyed by (feed URL, guid)."""
    with h.store.tx() as conn:
        rows = conn.execute(
            text(
                "SELECT a.id, s.url AS feed, a.guid, a.canonical_url, a.extract_status,"
                " a.text, a.content_hash, a.duplicate_of, a.story_id"
                " FROM articles a JOIN sources s ON s.id = a.source_id"
            )
        ).all()
        stories = {
            r.id: r.title
            for r in conn.execute(text("SELECT id, title FROM stories WHERE merged_into IS NULL"))
        }
        writeups = {
            r.story_id: (r.status, r.headline)
            for r in conn.execute(text("SELECT story_id, status, headline FROM writeups"))
        }
    key = {r.id: (r.feed, r.guid) for r in rows}
    articles = {
        key[r.id]: (
            r.canonical_url,
            r.extract_status,
            hashlib.sha256(r.text.encode()).hexdigest(),
            r.content_hash,
            key.get(r.duplicate_of),
        )
        for r in rows
    }
    members: dict[int, set[tuple[str, str]]] = {}
    for r in rows:
        assert r.story_id is not None, f"article {key[r.id]} has no story"
        members.setdefault(r.story_id, set()).add(key[r.id])
    return Output(
        articles,
        {frozenset(m): (stories[sid], *writeups.get(sid, ("", ""))) for sid, m in members.items()},
    )


def run_pipeline(settings: Settings, servers: list[SlowFeedServer]) -> Output:
    h = make_herald(settings)
    try:
        add_sources(h, servers)
        report = run_round(h)
        assert report.errors == {}
        return output(h)
    finally:
        h.close()


@pytest.fixture(scope="module")
def local_output(
    postgres_database: URL,  # noqa: F811
    servers: list[SlowFeedServer],
    slice_articles: list[SnapshotArticle],
    tmp_path_factory: pytest.TempPathFactory,
) -> Output:
    with temporary_database(postgres_database) as url:
        settings = settings_for(url, tmp_path_factory.mktemp("local"), slice_articles, workers=2)
        return run_pipeline(settings, servers)


def test_local_and_ray_executors_store_identical_articles_and_stories(
    ray_cluster: LocalRayCluster,  # noqa: F811
    postgres_database: URL,  # noqa: F811
    servers: list[SlowFeedServer],
    slice_articles: list[SnapshotArticle],
    local_output: Output,
    tmp_path: Path,
) -> None:
    with temporary_database(postgres_database) as url:
        settings = settings_for(
            url, tmp_path, slice_articles, executor="ray", ray_address=ray_cluster.address
        )
        ray_output = run_pipeline(settings, servers)
    assert len(local_output.articles) == len(slice_articles)
    assert sum(1 for a in local_output.articles.values() if a[1] == "ok") >= 5
    assert len(local_output.stories) >= 5
    assert ray_output.articles == local_output.articles
    assert ray_output.stories == local_output.stories


def test_killing_ray_workers_mid_run_loses_nothing(
    ray_cluster: LocalRayCluster,  # noqa: F811
    postgres_database: URL,  # noqa: F811
    servers: list[SlowFeedServer],
    slice_articles: list[SnapshotArticle],
    local_output: Output,
    tmp_path: Path,
) -> None:
    killed: dict[str, int] = {}
    done = threading.Event()

    def killer() -> None:
        """SIGKILL the first process seen running a shard task, then the first model
        actor seen running a batch."""
        for title in ("ray::run_shard", "ray::ModelHost.call"):
            while not done.is_set():
                found = ray_processes(ray_cluster, title)
                if found:
                    os.kill(found[0], signal.SIGKILL)
                    killed[title] = found[0]
                    break
                time.sleep(0.02)

    with temporary_database(postgres_database) as url:
        settings = settings_for(
            url, tmp_path, slice_articles, executor="ray", ray_address=ray_cluster.address
        )
        for server in servers:
            server.delay = 0.2  # fetching takes long enough to be caught mid-shard
        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        try:
            disturbed = run_pipeline(settings, servers)
        finally:
            done.set()
            thread.join(timeout=10)
            for server in servers:
                server.delay = 0.0
    assert set(killed) == {"ray::run_shard", "ray::ModelHost.call"}, killed
    assert disturbed.articles == local_output.articles
    assert disturbed.stories == local_output.stories


def test_two_drivers_clustering_at_once_create_no_duplicate_stories(
    ray_cluster: LocalRayCluster,  # noqa: F811
    postgres_database: URL,  # noqa: F811
    servers: list[SlowFeedServer],
    slice_articles: list[SnapshotArticle],
    local_output: Output,
    tmp_path: Path,
) -> None:
    """Two `herald cluster` processes (one local, one on Ray) start together on the same
    unclustered articles: every article ends in exactly one story, and the stories are
    those of a single driver."""
    with temporary_database(postgres_database) as url:
        settings = settings_for(url, tmp_path / "data", slice_articles)
        h = make_herald(settings)
        try:
            add_sources(h, servers)
            ingest(h)
            extract(h)
            assert h.store.stage_counts()["unclustered"] == len(slice_articles)
        finally:
            h.close()
        env = {
            **os.environ,
            "HERALD_DATA_DIR": str(tmp_path / "data"),
            "HERALD_DATABASE_URL": url.render_as_string(hide_password=False),
            "HERALD_NOW": settings.now,
            "HERALD_RAY_ADDRESS": ray_cluster.address,
        }
        drivers = [
            subprocess.Popen(
                [sys.executable, "-m", "herald", "cluster", "--executor", executor],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for executor in ("local", "ray")
        ]
        logs = [d.communicate(timeout=600)[0].decode(errors="replace") for d in drivers]
        assert [d.returncode for d in drivers] == [0, 0], logs
        clustered = [int(log.split(" articles:")[0].split()[-1]) for log in logs]
        assert sum(clustered) == len(slice_articles), logs  # each article assigned once
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                counts = conn.execute(
                    text(
                        "SELECT count(*) FILTER (WHERE story_id IS NULL),"
                        " count(DISTINCT story_id) FROM articles"
                    )
                ).one()
                live = conn.execute(
                    text(
                        "SELECT count(*) FROM stories WHERE merged_into IS NULL"
                        " AND article_count > 0"
                    )
                ).scalar_one()
        finally:
            engine.dispose()
        h = make_herald(settings, migrate=False)
        try:
            stories = {frozenset(m) for m in _members(h)}
        finally:
            h.close()
    assert counts[0] == 0
    assert counts[1] == live
    assert stories == set(local_output.stories)


def _members(h: Herald) -> list[set[tuple[str, str]]]:
    with h.store.tx() as conn:
        rows = conn.execute(
            text(
                "SELECT s.url AS feed, a.guid, a.story_id"
                " FROM articles a JOIN sources s ON s.id = a.source_id"
            )
        ).all()
    members: dict[int, set[tuple[str, str]]] = {}
    for r in rows:
        members.setdefault(r.story_id, set()).add((r.feed, r.guid))
    return list(members.values())


def test_the_pipeline_bench_measures_both_executors_on_the_same_output(
    ray_cluster: LocalRayCluster,  # noqa: F811
    postgres_database: URL,  # noqa: F811
) -> None:
    from herald.bench.pipeline import PipelineBenchOptions, pipeline_table, run_pipeline_bench

    server = postgres_database.render_as_string(hide_password=False)
    common = {"workers": (1,), "articles": 80, "hosts": 2, "database_url": server}
    local = run_pipeline_bench(PipelineBenchOptions(executor="local", **common))
    on_ray = run_pipeline_bench(
        PipelineBenchOptions(executor="ray", ray_address=ray_cluster.address, **common)
    )
    for result in (local, on_ray):
        [run] = result["runs"]
        assert set(run["stages"]) == {"ingest", "extract", "cluster", "trend", "write"}
        assert run["stages"]["ingest"]["items"] == result["snapshot"]["feeds"]
        assert run["stages"]["cluster"]["items"] == 80
        assert all(s["per_second"] and s["per_second"] > 0 for s in run["stages"].values())
        shown = Console(file=io.StringIO(), width=150)
        shown.print(pipeline_table(result))
        assert "items/s" in shown.file.getvalue() and "write" in shown.file.getvalue()
    assert local["runs"][0]["counts"] == on_ray["runs"][0]["counts"]
