"""Properties of the trending score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from herald.trend.score import Coverage, TrendParams, score_stories

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def _articles(hours_ago: list[float], outlets: int) -> list[Coverage]:
    return [
        Coverage(NOW - timedelta(hours=h), f"outlet-{i % outlets}") for i, h in enumerate(hours_ago)
    ]


def _background() -> dict[str, list[Coverage]]:
    return {f"bg{i}": _articles([1.0 + i, 5.0 + i, 9.0 + i], 3) for i in range(8)}


def test_burst_outranks_flat_big_story() -> None:
    stories = _background()
    stories["flat"] = _articles([h * 0.5 for h in range(48)], 20)  # 2/hour for 24 hours
    stories["burst"] = _articles([h * 0.1 for h in range(12)], 12)  # 12 in the last 1.2 hours
    ranked = [s.story_key for s in score_stories(stories, NOW)]
    assert ranked.index("burst") < ranked.index("flat")
    assert ranked[0] == "burst"


def test_single_outlet_story_is_never_trending() -> None:
    stories = _background()
    stories["spam"] = _articles([h * 0.05 for h in range(60)], 1)
    scores = {s.story_key: s for s in score_stories(stories, NOW)}
    assert scores["spam"].outlets == 1
    assert not scores["spam"].trending
    assert any("fewer than 2 outlets" in r for r in scores["spam"].reasons)


def test_trending_needs_threshold_and_outlets() -> None:
    stories = _background()
    stories["hot"] = _articles([h * 0.1 for h in range(30)], 10)
    scores = {s.story_key: s for s in score_stories(stories, NOW)}
    assert scores["hot"].trending and scores["hot"].score >= 1.0
    assert not any(scores[f"bg{i}"].trending for i in range(8))
    strict = {s.story_key: s for s in score_stories(stories, NOW, TrendParams(threshold=99))}
    assert not strict["hot"].trending


def test_future_articles_and_old_stories_are_ignored() -> None:
    stories = {
        "future": [
            Coverage(NOW + timedelta(hours=1), "a"),
            Coverage(NOW + timedelta(hours=2), "b"),
        ],
        "old": _articles([50.0, 60.0], 2),
        "now": _articles([0.5, 1.0], 2),
    }
    assert [s.story_key for s in score_stories(stories, NOW)] == ["now"]


def test_score_is_relative_to_the_global_rate() -> None:
    quiet = _background()
    quiet["x"] = _articles([0.2, 0.4, 0.6, 0.8], 4)
    busy = {k: v * 3 for k, v in quiet.items()}
    one = {s.story_key: s.score for s in score_stories(quiet, NOW)}["x"]
    three = {s.story_key: s.score for s in score_stories(busy, NOW)}["x"]
    assert abs(one - three) < 0.6


class _Search:
    name = "search"
    weight = 2.0

    def value(self, story_key: object, now: datetime) -> float:
        return 1.0 if story_key == "bg7" else 0.0


def test_outside_signals_add_to_the_score() -> None:
    stories = _background()
    plain = {s.story_key: s.score for s in score_stories(stories, NOW)}
    boosted = {s.story_key: s for s in score_stories(stories, NOW, signals=[_Search()])}
    assert boosted["bg7"].score == plain["bg7"] + 2.0
    assert boosted["bg6"].score == plain["bg6"]
    assert any("search signal" in r for r in boosted["bg7"].reasons)
