"""``herald eval rank``: MIND metrics, the MIND files, the history-only scorer, the command.

Metric values are checked by hand on small cases and against MIND's own formulas (the
``evaluate.py`` of the MIND competition, written out below without scikit-learn) on random
impressions without ties. The scorer and the command run on the real MIND sample with the
real bundled MiniLM.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from herald.cli import app
from herald.eval.rank import (
    METRICS,
    auc,
    dcg,
    impression_metrics,
    mrr,
    ndcg,
    rank_table,
    run_rank_eval,
    summarize,
)
from herald.exceptions import ConfigError
from herald.nlp.embed import MiniLMEmbedder
from herald.rank.interest import (
    affinity,
    interests,
    profile_vector,
    recency_weights,
    unit,
)
from herald.rank.mind import (
    HistoryPrior,
    Impression,
    MindNews,
    MindScorer,
    embed_news,
    read_behaviors,
    read_news,
)

MIND = "recommendation/mind_small_subset"

# --------------------------------------------------------------------------- metrics


def test_auc_on_hand_checked_impressions() -> None:
    assert auc([1, 0, 0], [0.9, 0.5, 0.1]) == 1.0
    assert auc([1, 0], [0.1, 0.9]) == 0.0
    assert auc([1, 0], [0.5, 0.5]) == 0.5  # a tie counts half
    # clicked 0.8 and 0.4 against unclicked 0.6 and 0.2: three of four pairs in order
    assert auc([1, 0, 1, 0], [0.8, 0.6, 0.4, 0.2]) == 0.75
    with pytest.raises(ValueError):
        auc([1, 1], [0.2, 0.1])


def test_mrr_averages_the_reciprocal_ranks_of_every_click() -> None:
    # clicks at ranks 2 and 4: (1/2 + 1/4) / 2
    assert mrr([0, 1, 0, 1], [0.4, 0.3, 0.2, 0.1]) == pytest.approx(0.375)
    assert mrr([1, 0, 0], [0.9, 0.5, 0.1]) == 1.0


def test_ndcg_on_hand_checked_impressions() -> None:
    labels, scores = [0, 1, 0, 1], [0.4, 0.3, 0.2, 0.1]
    found = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3)
    assert dcg(labels, scores, 5) == pytest.approx(found)
    assert ndcg(labels, scores, 5) == pytest.approx(found / ideal)
    assert ndcg(labels, scores, 10) == pytest.approx(found / ideal)
    assert ndcg([0, 0, 1], [0.3, 0.2, 0.1], 2) == 0.0  # the click is past the cut
    assert ndcg([1, 0, 0], [0.3, 0.2, 0.1], 1) == 1.0


def test_tied_scores_give_the_expected_value_over_orders() -> None:
    # one click among two tied candidates: rank 1 or 2 with equal chance
    assert mrr([1, 0], [0.5, 0.5]) == pytest.approx(0.75)
    assert ndcg([1, 0], [0.5, 0.5], 10) == pytest.approx((1 + 1 / math.log2(3)) / 2)
    # the order of the listing does not matter
    assert ndcg([0, 1], [0.5, 0.5], 10) == ndcg([1, 0], [0.5, 0.5], 10)
    # a tie group straddling the cut: the click is at rank 1 or 2, the cut is 1
    assert ndcg([1, 0], [0.5, 0.5], 1) == pytest.approx(0.5)


def _mind_reference(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """MIND's evaluate.py (mrr_score, dcg_score, ndcg_score; AUC as Mann-Whitney)."""

    def dcg_score(y_true: np.ndarray, y_score: np.ndarray, k: int) -> float:
        order = np.argsort(y_score)[::-1]
        y_true = np.take(y_true, order[:k])
        gains = 2**y_true - 1
        discounts = np.log2(np.arange(len(y_true)) + 2)
        return float(np.sum(gains / discounts))

    def ndcg_score(y_true: np.ndarray, y_score: np.ndarray, k: int) -> float:
        return dcg_score(y_true, y_score, k) / dcg_score(y_true, y_true, k)

    order = np.argsort(scores)[::-1]
    ranked = np.take(labels, order)
    rr = ranked / (np.arange(len(ranked)) + 1)
    pos, neg = scores[labels == 1], scores[labels == 0]
    return {
        "auc": float((pos[:, None] > neg[None, :]).mean()),
        "mrr": float(np.sum(rr) / np.sum(labels)),
        "ndcg@5": ndcg_score(labels, scores, 5),
        "ndcg@10": ndcg_score(labels, scores, 10),
    }


def test_metrics_match_the_mind_formulas_without_ties() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        size = int(rng.integers(2, 40))
        labels = np.zeros(size, dtype=int)
        labels[rng.choice(size, int(rng.integers(1, size)), replace=False)] = 1
        scores = rng.permutation(size).astype(float)  # distinct
        ours = impression_metrics(labels.tolist(), scores.tolist())
        reference = _mind_reference(labels, scores)
        for name in METRICS:
            assert ours[name] == pytest.approx(reference[name]), name


def test_summary_means_and_standard_errors() -> None:
    rows = [impression_metrics([1, 0], [0.9, 0.1]), impression_metrics([1, 0], [0.1, 0.9])]
    found = summarize(rows)
    assert found["impressions"] == 2
    assert found["auc"] == 0.5
    assert found["auc_se"] == pytest.approx(0.5)
    assert summarize([])["auc"] is None


# --------------------------------------------------------------------------- the profile core


def test_recency_weights_halve_every_half_life() -> None:
    assert recency_weights(3, 1.0) == [0.25, 0.5, 1.0]
    assert recency_weights(2, 0.0) == [1.0, 1.0]
    assert recency_weights(0) == []


def _basis(*axes: int, dims: int = 6) -> list[np.ndarray]:
    return [np.eye(dims, dtype=np.float32)[a] for a in axes]


def test_profile_vector_and_affinity_keep_their_meaning() -> None:
    profile = profile_vector(_basis(0, 0, 1), [1.0, 1.0, 1.0])
    assert profile is not None
    scores = affinity(profile, np.stack(_basis(0, 1, 2)))
    assert scores[0] > scores[1] > scores[2] == 0
    assert profile_vector([], []) is None
    assert profile_vector(_basis(0), [-1.0]) is None


def test_interests_keep_distinct_centroids_and_a_negative_direction() -> None:
    # football twice, cooking once: the mean leans to football, a centroid sits on cooking
    vectors = [*_basis(0, 0, 1), *_basis(2)]
    found = interests(vectors, [1.0, 1.0, 1.0, -1.0])
    assert found is not None
    assert len(found.centroids) == 2
    assert found.shares.sum() == pytest.approx(1.0)
    candidates = np.stack(_basis(0, 1, 2, 3))
    nearest = found.nearest(candidates)
    assert nearest[0] == pytest.approx(1.0) and nearest[1] == pytest.approx(1.0)
    scores = found.score(candidates)
    assert scores[1] > affinity(found.mean, candidates)[1]  # cooking is not lost in the mean
    assert scores[2] < scores[3] == 0  # what was turned away scores below the unknown
    assert interests(_basis(0), [-1.0]) is None


def test_interests_merge_close_reads_into_one_centroid() -> None:
    base = np.eye(6, dtype=np.float32)[0]
    close = [unit((base + 0.1 * np.eye(6, dtype=np.float32)[k])[None, :])[0] for k in (1, 2)]
    found = interests([base, *close], [1.0, 1.0, 1.0])
    assert found is not None
    assert len(found.centroids) == 1


# --------------------------------------------------------------------------- MIND files


def test_read_the_real_mind_sample(shared_data: Path) -> None:
    news = read_news(shared_data / MIND / "news.tsv")
    impressions = read_behaviors(shared_data / MIND / "behaviors.tsv")
    assert len(news) == 2000
    assert len(impressions) == 5000
    item = news["N16278"]
    assert (item.category, item.subcategory) == ("sports", "more_sports")
    assert item.text.startswith("Silver Spring Man Nabs Title At Soggy Marine Corps Marathon. ")
    assert "Q6764107" in item.entities and len(item.entities) == len(set(item.entities))
    first = impressions[0]
    assert (first.id, first.user) == ("58376", "U81994")
    assert first.time is not None and (first.time.month, first.time.hour) == (11, 14)
    assert first.history[:2] == ("N138", "N64727")
    assert len(first.candidates) == len(first.labels) == 17
    assert first.candidates[2] == "N6975" and first.labels[2] == 1
    assert all(sum(i.labels) >= 1 for i in impressions)


def test_malformed_mind_files_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "behaviors.tsv"
    bad.write_text("1\tU1\t11/12/2019 2:14:46 PM\tN1\tN2-1 N3-x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad candidate"):
        read_behaviors(bad)
    bad.write_text("1\tU1\tN1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="3 tab-separated fields"):
        read_behaviors(bad)
    with pytest.raises(ConfigError, match="not found"):
        read_news(tmp_path / "missing.tsv")


def test_history_prior_counts_each_user_once(shared_data: Path) -> None:
    news = read_news(shared_data / MIND / "news.tsv")
    impressions = [
        Impression("1", "U1", None, ("N16278", "N35354"), ("N1",), (1,)),
        Impression("2", "U1", None, ("N16278",), ("N1",), (1,)),
        Impression("3", "U2", None, ("N16278", "N34700"), ("N1",), (1,)),
    ]
    prior = HistoryPrior.of(impressions, news)
    assert prior.users["N16278"] == 2
    assert prior.users["N35354"] == 1
    assert prior.category_share == pytest.approx({"sports": 0.75, "news": 0.25})


# --------------------------------------------------------------------------- scorer, command


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def _ids(news: Mapping[str, MindNews], category: str, count: int) -> list[str]:
    return [i for i, n in sorted(news.items()) if n.category == category][:count]


@pytest.mark.slow
def test_a_sports_reader_gets_sports_first(shared_data: Path, embedder: MiniLMEmbedder) -> None:
    news = read_news(shared_data / MIND / "news.tsv")
    sports, food = _ids(news, "sports", 8), _ids(news, "foodanddrink", 4)
    history, candidates = sports[:6], [*food[:3], sports[6]]
    vectors = embed_news(news, embedder, ids=[*history, *candidates, food[3]])
    scorer = MindScorer(news, vectors, HistoryPrior(users={}, category_share={}))
    imp = Impression(
        "1", "U1", None, (*history, "N-unknown"), (*candidates, "N-none"), (0, 0, 0, 1, 0)
    )
    scored = scorer.score(imp)
    assert scored.history_with_content == 6
    assert scored.scores[-1] is None
    values = [s for s in scored.scores if s is not None]
    assert values[3] == max(values)
    parts = scorer.features(history, candidates)
    assert parts["category"].tolist() == [0.0, 0.0, 0.0, 1.0]
    assert parts["profile"][3] > parts["profile"][:3].max()
    cold = scorer.score(Impression("2", "U2", None, (), tuple(candidates), (0, 0, 0, 1)))
    assert cold.history_with_content == 0 and len(set(cold.scores)) == 1  # nothing to go on


def _few_impressions(shared_data: Path, path: Path) -> tuple[int, int]:
    """Write 6 real impressions: 4 with clicked and unclicked content, 2 without content."""
    news = read_news(shared_data / MIND / "news.tsv")
    lines = (shared_data / MIND / "behaviors.tsv").read_text(encoding="utf-8").splitlines()
    good: list[str] = []
    bad: list[str] = []
    for line in lines:
        tokens = [t.rpartition("-") for t in line.split("\t")[4].split()]
        known = {label for news_id, _, label in tokens if news_id in news}
        if known == {"0", "1"} and len(good) < 4:
            good.append(line)
        elif not known and len(bad) < 2:
            bad.append(line)
    path.write_text("\n".join(good + bad) + "\n", encoding="utf-8")
    return len(good), len(bad)


@pytest.mark.slow
def test_eval_rank_command_end_to_end(shared_data: Path, tmp_path: Path) -> None:
    behaviors, output = tmp_path / "behaviors.tsv", tmp_path / "out.jsonl"
    good, bad = _few_impressions(shared_data, behaviors)
    args = ["eval", "rank", "--behaviors", str(behaviors), "--output", str(output), "--json"]
    result = CliRunner().invoke(app, [*args, "--news", str(shared_data / MIND / "news.tsv")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["impressions"] == good + bad == 6
    assert data["evaluated"] == good
    assert data["skipped"] == {"no candidate has content": bad}
    for name in METRICS:
        assert 0.0 <= data[name] <= 1.0
        assert data["variants"]["default"][name] == data[name]
    assert data["evaluated_with_history_content"] + data["evaluated_without_history_content"] == 4
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [set(line) for line in lines] == [{"impression", "scores"}] * 6
    impressions = read_behaviors(behaviors)
    for line, imp in zip(lines, impressions, strict=True):
        assert line["impression"] == imp.id
        assert len(line["scores"]) == len(imp.candidates)
    assert all(s is None for line in lines[good:] for s in line["scores"])
    assert any(isinstance(s, float) for s in lines[0]["scores"])
    console = Console(record=True, width=160)
    console.print(rank_table(data))
    shown = console.export_text()
    assert "6 impressions, 4 evaluated" in shown and "history popularity only" in shown


@pytest.mark.slow
def test_run_rank_eval_is_deterministic(
    shared_data: Path, tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    behaviors = tmp_path / "behaviors.tsv"
    _few_impressions(shared_data, behaviors)
    news = shared_data / MIND / "news.tsv"
    first = run_rank_eval(behaviors, news, tmp_path / "a.jsonl", embedder)
    second = run_rank_eval(behaviors, news, tmp_path / "b.jsonl", embedder)
    first.pop("seconds"), second.pop("seconds")
    assert first == {**second, "output": first["output"]}
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()
