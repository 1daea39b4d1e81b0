"""Trending scores: which stories are about to gain coverage.

A pure function of each story's coverage (the publication time and outlet of its articles)
and the current time; no I/O.

The score, on a log2 scale
--------------------------
For each story with an article in the last ``history_hours``:

* ``expected``: the articles it is forecast to gain in the next ``horizon_hours``
  (:mod:`herald.trend.forecast`): its coverage so far is matched against typical coverage
  shapes (breaking, developing, steady, flash) and extrapolated with decay in mind, and
  blended with the rate of its latest articles. This ranks the stories that are about to
  grow, not the biggest ones: a big story that is fading is expected to gain little, a young
  story rising fast a lot. In the last ``3 * half_life_hours`` each outlet counts at most
  ``max_per_outlet`` articles (one chatty outlet is not a trend).
* ``relative``: ``log2((expected + 1) / (typical + 1))`` where ``typical`` is the mean
  forecast of the scored stories (the global rate), so the score is comparable across quiet
  and busy hours.
* ``outlets``: distinct publishers over the whole coverage (corroboration); a story with
  fewer than ``min_outlets`` of them has a positive score scaled by ``single_outlet_factor``.
* outside signals (:class:`TrendSignal`, e.g. search or social trends): each value in
  [0, 1] adds ``weight * value``. None are required.

``score = relative + signals`` (then the outlet scaling).

Trending label
--------------
A story is labelled trending when it has at least ``min_outlets`` distinct publishers AND
``score >= threshold`` (default 1.0): it is forecast to gain, in the next ``horizon_hours``,
at least about twice as many articles as the typical active story (plus one). On
uci_stream_dev (gold stories) that labels 2.1 of 26 scored stories per checkpoint on average
(at most 7; none at 26 of the 71 checkpoints).

The reasons also report the acceleration (``burst``: the rate of the last ``window_hours``
against the story's own rate in the ``history_hours`` before) and the recency-weighted
coverage (``heat``, each article weighted ``0.5 ** (age / half_life_hours)``, each outlet
counted at most ``max_per_outlet`` times in the recent window).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from herald.trend.forecast import Forecast, ForecastParams, forecast

StoryKey = Hashable


@dataclass(frozen=True)
class Coverage:
    """One article of a story: when it was published and by whom."""

    published: datetime
    outlet: str


class TrendSignal(Protocol):
    """An outside popularity signal (search, social...): a value in [0, 1] per story."""

    name: str
    weight: float

    def value(self, story_key: StoryKey, now: datetime) -> float: ...


@dataclass(frozen=True)
class TrendParams:
    """Tunables of the trending score (see the module docstring)."""

    half_life_hours: float = 6.0
    threshold: float = 1.0
    min_outlets: int = 2
    window_hours: float = 2.0
    history_hours: float = 48.0
    max_per_outlet: int = 3
    single_outlet_factor: float = 0.5
    forecast: ForecastParams = field(default_factory=ForecastParams)


@dataclass(frozen=True)
class TrendScore:
    """A story's trending score and why."""

    story_key: StoryKey
    score: float
    trending: bool
    velocity: float
    outlets: int
    reasons: tuple[str, ...]
    expected: float = 0.0


def decayed_heat(coverage: Sequence[Coverage], now: datetime, params: TrendParams) -> float:
    """Recency-weighted article count, each outlet capped in the recent window."""
    horizon = now - timedelta(hours=3 * params.half_life_hours)
    per_outlet: Counter[str] = Counter()
    heat = 0.0
    for item in sorted(coverage, key=lambda c: c.published, reverse=True):
        if item.published > now:
            continue
        if item.published >= horizon:
            per_outlet[item.outlet] += 1
            if item.outlet and per_outlet[item.outlet] > params.max_per_outlet:
                continue
        heat += 0.5 ** (_hours(now - item.published) / params.half_life_hours)
    return heat


def capped_times(
    coverage: Sequence[Coverage], now: datetime, params: TrendParams
) -> list[datetime]:
    """Publication times up to ``now``, each outlet counted at most ``max_per_outlet`` times
    in the last ``3 * half_life_hours`` (one chatty outlet does not make a story grow)."""
    horizon = now - timedelta(hours=3 * params.half_life_hours)
    per_outlet: Counter[str] = Counter()
    kept: list[datetime] = []
    for item in sorted(coverage, key=lambda c: c.published, reverse=True):
        if item.published > now:
            continue
        if item.published >= horizon and item.outlet:
            per_outlet[item.outlet] += 1
            if per_outlet[item.outlet] > params.max_per_outlet:
                continue
        kept.append(item.published)
    return kept[::-1]


def velocity(coverage: Sequence[Coverage], now: datetime, hours: float) -> float:
    """Articles per hour over the last ``hours``."""
    start = now - timedelta(hours=hours)
    return sum(1 for c in coverage if start <= c.published < now) / hours


def burst(coverage: Sequence[Coverage], now: datetime, params: TrendParams) -> float:
    """log2 of the recent rate over the story's own earlier rate, clipped to [-1, 2]."""
    recent = velocity(coverage, now, params.window_hours)
    before = now - timedelta(hours=params.window_hours)
    earlier = velocity(coverage, before, params.history_hours)
    prior = 1.0 / params.history_hours
    return max(-1.0, min(2.0, math.log2((recent + prior) / (earlier + prior))))


def typical_growth(forecasts: Sequence[Forecast]) -> float:
    """The global rate: the mean forecast growth of the scored stories."""
    return sum(f.expected for f in forecasts) / len(forecasts) if forecasts else 0.0


def score_stories(
    coverage: Mapping[StoryKey, Sequence[Coverage]],
    now: datetime,
    params: TrendParams | None = None,
    signals: Sequence[TrendSignal] = (),
) -> list[TrendScore]:
    """Score every story at ``now``, highest first (articles after ``now`` are ignored)."""
    params = params or TrendParams()
    recent = {k: c for k, c in coverage.items() if _active(c, now, params)}
    forecasts = {
        k: forecast(capped_times(items, now, params), now, params.forecast)
        for k, items in recent.items()
    }
    typical = typical_growth(list(forecasts.values()))
    scores = [
        _score(key, items, now, params, forecasts[key], typical, signals)
        for key, items in recent.items()
    ]
    return sorted(scores, key=lambda s: (-s.score, str(s.story_key)))


def _active(items: Sequence[Coverage], now: datetime, params: TrendParams) -> bool:
    start = now - timedelta(hours=params.history_hours)
    return any(start <= c.published <= now for c in items)


def _score(
    key: StoryKey,
    items: Sequence[Coverage],
    now: datetime,
    params: TrendParams,
    growth: Forecast,
    typical: float,
    signals: Sequence[TrendSignal],
) -> TrendScore:
    outlets = len({c.outlet for c in items if c.published <= now and c.outlet})
    relative = math.log2((growth.expected + 1.0) / (typical + 1.0))
    extra = {s.name: s.weight * max(0.0, min(1.0, s.value(key, now))) for s in signals}
    score = relative + sum(extra.values())
    if outlets < params.min_outlets:
        score = score * params.single_outlet_factor if score > 0 else score
    trending = outlets >= params.min_outlets and score >= params.threshold
    facts = _Facts(relative, growth, burst(items, now, params), outlets)
    reasons = _reasons(facts, extra, params, decayed_heat(items, now, params))
    rate = velocity(items, now, params.window_hours)
    return TrendScore(key, score, trending, rate, outlets, reasons, growth.expected)


@dataclass(frozen=True)
class _Facts:
    relative: float
    growth: Forecast
    jump: float
    outlets: int


def _reasons(
    facts: _Facts, extra: Mapping[str, float], params: TrendParams, heat: float
) -> tuple[str, ...]:
    growth = facts.growth
    hours = f"{params.forecast.horizon_hours:g}"
    reasons = [
        f"about {growth.expected:.0f} new articles expected in {hours} h "
        f"({2**facts.relative:.1f}x the typical story)",
        f"coverage looks {growth.shape} ({growth.shape_weight:.0%}), "
        f"recency-weighted size {heat:.1f}",
    ]
    if facts.jump >= 1.0:
        reasons.append(f"coverage accelerating ({2**facts.jump:.1f}x its earlier rate)")
    elif facts.jump <= -0.5:
        reasons.append("coverage slowing")
    reasons.append(f"{facts.outlets} outlets")
    if facts.outlets < params.min_outlets:
        reasons.append(f"fewer than {params.min_outlets} outlets: not trending")
    reasons.extend(f"{name} signal +{value:.2f}" for name, value in extra.items() if value)
    return tuple(reasons)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600.0
