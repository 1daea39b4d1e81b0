"""``herald bench rank``: simulated readers with known interests, on real MIND news.

Small runs with the real bundled MiniLM: the simulation is deterministic, the live feed and
the profile core learn an easy reader in fewer interactions than popularity, and the command
prints its table and its JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from herald.bench.rank_sim import (
    MIND_DIR,
    SimOptions,
    SimPool,
    SimReader,
    at_milestone,
    first_reaching,
    load_pool,
    make_ranker,
    make_reader,
    ndcg_at_10,
    quantile,
    run_rank_sim,
    sim_table,
    simulate_reader,
)
from herald.cli import app
from herald.exceptions import ConfigError
from herald.nlp.embed import MiniLMEmbedder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def pool(shared_data: Path, embedder: MiniLMEmbedder) -> SimPool:
    return load_pool(SimOptions(data=shared_data, items=500, seed=3), embedder)


def test_report_helpers() -> None:
    curve = [(0, 0.2), (4, 0.5), (9, 0.85), (15, 0.7)]
    assert first_reaching(curve, 0.8) == 9
    assert first_reaching(curve, 0.9) == math.inf
    assert at_milestone(curve, 10) == 0.85
    assert at_milestone(curve, 3) == 0.2
    assert at_milestone(curve, 16) is None
    assert quantile([3.0, 1.0, math.inf, 2.0], 0.5) == 2.0
    assert quantile([3.0, 1.0, math.inf, 2.0], 0.75) == 3.0
    assert quantile([1.0, math.inf, math.inf], 0.5) == math.inf


def test_ndcg_of_an_order_matches_the_eval_definition() -> None:
    rel = np.array([0.0, 1.0, 0.25, 0.0])
    assert ndcg_at_10(rel, np.array([1, 2, 0, 3])) == pytest.approx(1.0)
    worst = ndcg_at_10(rel, np.array([0, 3, 2, 1]))
    gains = [2**0.25 - 1, 1.0]
    found = gains[0] / math.log2(4) + gains[1] / math.log2(5)
    ideal = gains[1] / math.log2(2) + gains[0] / math.log2(3)
    assert worst == pytest.approx(found / ideal)


def test_readers_have_known_graded_interests(pool: SimPool) -> None:
    reader = make_reader(pool, np.random.default_rng(0))
    assert 1 <= len(reader.topics) <= 3 and max(reader.shares) == 1.0
    rel = reader.relevance(pool)
    main = reader.topics[int(np.argmax(reader.shares))]
    assert (rel[pool.topic == main] == 1.0).all()
    assert set(np.unique(rel)) <= {0.0, *reader.shares, *(0.25 * s for s in reader.shares)}
    with pytest.raises(ConfigError, match="unknown ranker"):
        make_ranker("oracle", pool, 0)


def test_personalized_rankers_learn_an_easy_reader_before_popularity(pool: SimPool) -> None:
    # one distinct subject (NFL football: no other sports subcategory is as large)
    reader = SimReader(topics=(pool.topic_names.index("sports/football_nfl"),), shares=(1.0,))
    options = SimOptions(data=Path("."), noise=0.02, budget=80, eval_slates=3)
    reached = {
        name: first_reaching(simulate_reader(pool, reader, name, options, seed=5), 0.8)
        for name in ("live feed", "live feed, scores only", "interests", "popularity")
    }
    assert reached["popularity"] == math.inf
    for name in ("live feed", "live feed, scores only", "interests"):
        assert reached[name] < reached["popularity"], name


def test_simulation_is_deterministic(shared_data: Path, embedder: MiniLMEmbedder) -> None:
    options = SimOptions(data=shared_data, readers=3, items=250, seed=3, budget=30)
    names = ("live feed", "interests", "popularity")
    first = run_rank_sim(options, embedder=embedder, rankers=names)
    second = run_rank_sim(options, embedder=embedder, rankers=names)
    first.pop("seconds"), second.pop("seconds")
    assert first == second
    assert list(first["rankers"]) == list(names)
    for found in first["rankers"].values():
        assert found["readers"] == 3
        assert found["share_reached"] + found["share_never"] == pytest.approx(1.0)
        assert set(found["ndcg@10_after_interactions"]) == {"0", "10", "25"}
    popularity = first["rankers"]["popularity"]["ndcg@10_after_interactions"]
    assert len(set(popularity.values())) == 1  # it never learns


def _small_data(shared_data: Path, folder: Path) -> Path:
    """A data folder holding the first 300 real news rows and 100 impressions."""
    target = folder / MIND_DIR
    target.mkdir(parents=True)
    for name, lines in (("news.tsv", 300), ("behaviors.tsv", 100)):
        text = (shared_data / MIND_DIR / name).read_text(encoding="utf-8").splitlines()
        (target / name).write_text("\n".join(text[:lines]) + "\n", encoding="utf-8")
    return folder


def test_bench_rank_command(shared_data: Path, tmp_path: Path) -> None:
    data = _small_data(shared_data, tmp_path)
    args = ["bench", "rank", "--readers", "2", "--budget", "15", "--data", str(data)]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["benchmark"] == "rank"
    assert found["pool"]["items"] == 300
    assert found["options"]["readers"] == 2 and found["options"]["seed"] == 0
    assert {"live feed", "popularity", "random"} <= set(found["rankers"])
    console = Console(record=True, width=200)
    console.print(sim_table(found))
    text = console.export_text()
    assert "live feed" in text and "never" in text
    missing = CliRunner().invoke(app, ["bench", "rank", "--data", str(tmp_path / "none")])
    assert missing.exit_code == 1
