"""A Ray cluster that goes away and comes back: the driver does not hang, says what
happened, and joins the restarted cluster at the same address on the next stage.

The driver sits idle, with the cluster down, for longer than the minute after which Ray
would end it. The cluster here is this test's own (one ``ray start`` node on loopback), not
the session's shared one, since the test stops it."""

from __future__ import annotations

import importlib.util
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from herald.app import make_herald
from herald.config import Settings
from herald.exceptions import ConfigError, WorkerError
from herald.executor.local_cluster import LocalRayCluster
from herald.nlp.embed import shared_embedder
from herald.pipeline.cluster_step import embed_texts
from tests.support.ray_cluster import unavailable

PG_URL = "postgresql+psycopg://herald@127.0.0.1/nowhere"  # the executor never opens it
# Ray ends a driver whose cluster has not answered for 60 s unless told otherwise.
IDLE_SECONDS = 65.0
TEXTS = [["markets rally as the central bank holds rates"], ["storm closes schools"]]


@pytest.fixture()
def ray_settings(tmp_path: Path) -> Settings:
    if importlib.util.find_spec("ray") is None:
        unavailable("Ray is not installed: pip install 'herald[ray]' (make dev does)")
    return Settings(data_dir=str(tmp_path / "data"), database_url=PG_URL, workers=1)


def test_the_driver_joins_a_restarted_cluster_again(
    ray_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from herald.executor import ray_executor

    monkeypatch.setattr(ray_executor, "WATCH_SECONDS", 1.0)
    first = LocalRayCluster(nodes=1)
    address = first.start()
    port = int(address.rsplit(":", 1)[1])
    h = make_herald(replace(ray_settings, executor="ray", ray_address=address), migrate=False)
    try:
        before = h.executor
        assert list(before.map_batches(embed_texts, TEXTS[:1]))
        assert before.healthy()
        first.stop()
        time.sleep(IDLE_SECONDS)  # a driver idle between rounds, longer than Ray's own limit

        assert not before.healthy()
        with pytest.raises(WorkerError, match="stopped answering"):
            list(before.map_batches(embed_texts, TEXTS))  # no hang: the wait is watched
        h.check_executor()  # dropped; while the cluster is down, a clear error
        with pytest.raises(ConfigError, match="cannot reach the Ray cluster"):
            _ = h.executor

        with LocalRayCluster(nodes=1, port=port) as second:
            assert second.address == address
            h.check_executor()
            after = h.executor
            assert after is not before and after.healthy()
            vectors = list(after.map_batches(embed_texts, TEXTS))
            h.close()
    finally:
        h.close()
        first.stop()
    local = shared_embedder()
    for batch, found in zip(TEXTS, vectors, strict=True):
        assert np.array_equal(found, local.embed(batch))
