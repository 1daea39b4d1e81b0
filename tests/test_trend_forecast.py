"""Properties of the growth forecast behind the trending score, and the trend evaluation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from herald.trend.forecast import SHAPES, ForecastParams, forecast, recent_rate, shape_gains

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def _times(hours_ago: list[float]) -> list[datetime]:
    return [NOW - timedelta(hours=h) for h in hours_ago]


def test_shapes_are_distributions() -> None:
    for shape in SHAPES:
        assert shape.cdf(0.0) == 0.0
        assert abs(shape.cdf(10_000.0) - 1.0) < 1e-9
        steps = [i * 0.01 for i in range(20_000)]
        area = sum(shape.pdf(t) * 0.01 for t in steps)
        assert abs(area - 1.0) < 0.02, shape


def test_young_fast_story_outgrows_big_fading_story() -> None:
    fading = _times([30 - h * 0.1 for h in range(200)])  # 200 articles 10 to 30 hours ago
    fading += _times([1.5, 4.0])
    rising = _times([h * 0.1 for h in range(15)])  # 15 in the last 1.5 hours
    assert forecast(rising, NOW).expected > 2 * forecast(fading, NOW).expected


def test_flash_story_is_over_after_its_hour() -> None:
    flash = _times([3.0 + h * 0.01 for h in range(80)])  # 80 articles in 0.8 h, 3 h ago
    result = forecast(flash, NOW)
    assert result.shape == "flash"
    assert result.from_shapes < 2.0


def test_steady_story_goes_on() -> None:
    steady = _times([h * 0.5 for h in range(40)])  # two an hour for 20 hours
    result = forecast(steady, NOW)
    assert result.shape == "steady"
    assert 6.0 <= result.expected <= 20.0


def test_posterior_weights_sum_to_one_and_one_article_is_bounded() -> None:
    gains, weights = shape_gains([0.0], 0.01, ForecastParams())
    assert abs(sum(weights) - 1.0) < 1e-9
    assert max(gains) <= 2 / ForecastParams().prior_exposure


def test_recent_rate_and_future_articles() -> None:
    assert recent_rate([0.0, 1.0, 2.0, 3.0], 4.0, ForecastParams(recent_articles=2)) == 1.0
    later = [NOW + timedelta(hours=1)] * 5
    assert forecast(later, NOW).expected == 0.0


def test_trend_eval_beats_the_recent_count_baseline(shared_data: Path, tmp_path: Path) -> None:
    from herald.eval.trend_eval import run_trend_eval

    out = tmp_path / "trend.jsonl"
    result = run_trend_eval(shared_data / "clustering" / "uci_stream_dev.jsonl", out, True, None)
    assert result["precision_at_5"] >= 0.43
    assert result["precision_at_5"] >= result["baseline_recent_2h_precision_at_5"] + 0.07
    assert result["ndcg_at_5"] > result["baseline_recent_2h_ndcg_at_5"]
    # The ceiling bounds every ranker: only stories with coverage so far can be ranked.
    assert result["precision_at_5"] <= result["ceiling_started_precision_at_5"] < 1.0
    assert result["ndcg_at_5"] <= result["ceiling_started_ndcg_at_5"]
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"checkpoint", "top"}


def test_retimed_streams_keep_articles_and_change_times(shared_data: Path) -> None:
    from herald.eval.cluster_eval import read_articles
    from herald.eval.trend_eval import retimed_stream

    articles = read_articles(shared_data / "clustering" / "uci_stream_dev.jsonl")[:400]
    one, two = retimed_stream(articles, 1), retimed_stream(articles, 2)
    assert sorted(a.id for a in one) == sorted(a.id for a in articles)
    assert [a.published for a in one] == sorted(a.published for a in one if a.published)
    assert {a.id: a.published for a in one} != {a.id: a.published for a in two}
    assert retimed_stream(articles, 1) == one


def test_heldout_eval_reports_the_mean_over_seeds(shared_data: Path) -> None:
    from herald.eval.trend_eval import run_heldout_eval

    result = run_heldout_eval(shared_data / "clustering" / "uci_stream_dev.jsonl", [0, 1])
    assert [r["seed"] for r in result["per_seed"]] == [0, 1]
    mean = result["mean"]
    assert set(mean) == {
        "precision_at_5",
        "ndcg_at_5",
        "baseline_recent_2h_precision_at_5",
        "baseline_recent_2h_ndcg_at_5",
        "ceiling_started_precision_at_5",
        "ceiling_started_ndcg_at_5",
    }
    pair = [r["precision_at_5"] for r in result["per_seed"]]
    assert abs(mean["precision_at_5"] - sum(pair) / 2) < 1e-3


def test_one_chatty_outlet_does_not_make_a_story_grow() -> None:
    from herald.trend.score import Coverage, score_stories

    chatty = [Coverage(NOW - timedelta(minutes=m), "wire") for m in range(1, 60)]
    chatty += [Coverage(NOW - timedelta(hours=5), "other")]
    broad = [Coverage(NOW - timedelta(minutes=3 * m), f"outlet-{m}") for m in range(1, 20)]
    scores = {s.story_key: s for s in score_stories({"chatty": chatty, "broad": broad}, NOW)}
    assert scores["broad"].expected > 3 * scores["chatty"].expected
