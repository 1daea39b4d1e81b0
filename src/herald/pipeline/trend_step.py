"""Trend step: score every recently covered story and store who is trending."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import timedelta

from herald.app import Herald
from herald.executor.locks import stage_lock
from herald.pipeline.progress import NoProgress, Progress
from herald.trend.score import Coverage, TrendParams, TrendSignal, score_stories


@dataclass
class TrendReport:
    """What one trend round did."""

    stories: int = 0
    trending: int = 0


def trend_params(h: Herald) -> TrendParams:
    s = h.settings
    return TrendParams(
        half_life_hours=s.trend_half_life_hours,
        threshold=s.trend_threshold,
        min_outlets=s.trend_min_outlets,
    )


def trend(
    h: Herald, progress: Progress | None = None, signals: tuple[TrendSignal, ...] = ()
) -> TrendReport:
    """Score stories with coverage in the last day (others stop trending), holding the
    ``trend`` lock (PostgreSQL: two drivers never interleave their scores)."""
    with stage_lock(h.store, "trend"):
        return _trend(h, progress or NoProgress(), signals)


def _trend(h: Herald, progress: Progress, signals: tuple[TrendSignal, ...]) -> TrendReport:
    now = h.clock.now()
    params = trend_params(h)
    coverage: dict[Hashable, list[Coverage]] = defaultdict(list)
    for c in h.store.story_coverage(now - timedelta(hours=params.history_hours)):
        coverage[c.story_id].append(Coverage(c.published, c.outlet))
    progress.start("Scoring stories", len(coverage))
    scores = score_stories(coverage, now, params, signals)
    h.store.save_trends([(int(str(s.story_key)), s.score, s.trending) for s in scores])
    progress.advance(len(coverage))
    progress.finish()
    return TrendReport(stories=len(scores), trending=sum(s.trending for s in scores))
