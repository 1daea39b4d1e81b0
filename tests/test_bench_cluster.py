"""``herald bench cluster`` on a small scale: it runs end to end and prints the JSON it promises.

No timing is asserted: the numbers depend on the machine.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from herald.bench.cluster_bench import BenchOptions, real_articles, run_cluster_bench
from herald.cli import app
from herald.exceptions import ConfigError
from herald.nlp.embed import Vectors, normalize

TOP_KEYS = {
    "benchmark",
    "machine",
    "options",
    "data_files",
    "empty_window",
    "window",
    "full_window",
    "memory",
    "targets",
    "total_seconds",
}
RUN_KEYS = {
    "articles",
    "seconds",
    "articles_per_second",
    "embed_seconds",
    "assign_seconds",
    "assign_only_articles_per_second",
    "new_stories",
    "cpu_seconds",
    "articles_per_cpu_second",
}


@pytest.mark.slow
def test_bench_cluster_cli_prints_json_with_every_number(shared_data: Path) -> None:
    args = ["bench", "cluster", "--articles", "50", "--window-articles", "2000", "--json-only"]
    result = CliRunner().invoke(app, [*args, "--data", str(shared_data)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data.keys() >= TOP_KEYS
    assert data["benchmark"] == "cluster"
    assert data["machine"]["cpu_count"] >= 1
    assert data["options"]["articles"] == 50
    assert data["options"]["window_articles"] == 2000
    for run in ("empty_window", "full_window"):
        assert data[run].keys() >= RUN_KEYS
        assert data[run]["articles"] == 50
        assert data[run]["articles_per_second"] > 0
    assert data["window"]["articles"] == data["window"]["members_held"] == 2000
    assert 1 < data["window"]["stories"] < 2000
    memory = data["memory"]
    assert memory["peak_rss_mb_after_assigning"] >= memory["peak_rss_mb"] > 0
    for target in ("articles_per_second", "memory_mb"):
        assert set(data["targets"][target]) >= {"target", "measured", "met"}
        assert isinstance(data["targets"][target]["met"], bool)
    assert data["targets"]["articles_per_second"]["target"] == 60.0
    assert data["targets"]["memory_mb"]["target"] == 1024.0


class _FakeEmbedder:
    """Deterministic vectors from the text's hash: the bench shell without the model."""

    dimensions = 8

    def embed(self, texts: Sequence[str]) -> Vectors:
        seeds = [zlib.crc32(t.encode()) for t in texts]
        rows = [np.random.default_rng(s).standard_normal(8) for s in seeds]
        return normalize(np.array(rows, dtype=np.float32).reshape(len(texts), 8))


def test_window_holds_the_asked_number_of_members(shared_data: Path) -> None:
    options = BenchOptions(data=shared_data, articles=20, window_articles=333, batch_size=8)
    data = run_cluster_bench(options, embedder=_FakeEmbedder())
    assert data["window"]["members_held"] == 333
    assert data["empty_window"]["articles"] == data["full_window"]["articles"] == 20


def test_real_articles_cycle_and_missing_data_is_a_clear_error(
    shared_data: Path, tmp_path: Path
) -> None:
    articles = real_articles(shared_data, 5000, seed=1)
    assert len(articles) == 5000
    assert {a.story for a in articles[:4000]} >= {a.story for a in articles[4000:]}
    with pytest.raises(ConfigError, match="shared data folder"):
        real_articles(tmp_path, 10, seed=0)
