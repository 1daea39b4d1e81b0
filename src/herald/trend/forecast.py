"""Forecast how many articles a story will gain in the next hours, from its coverage so far.

A pure function of the publication times of a story's articles; no I/O.

Two estimates, blended
----------------------
1. **Shape extrapolation.** News coverage follows a few typical shapes over a story's age
   ``t`` (hours since its first article), each a probability density ``f`` with cumulative
   ``F``: *breaking* (fast rise, exponential decay, time scales 3, 6 and 10 hours),
   *developing* (slow rise to a peak and decline: Erlang-2 with scale 7 hours, peak at 7,
   mean 14), *steady* (flat for two days) and *flash* (everything within one hour). A small
   share ``outlier_share`` of every shape is spread flat over ``background_hours`` so one
   stray article cannot rule a shape out.

   For each shape, the times seen so far (after the first article, which fixes ``t = 0``) give
   a likelihood ``prod f(t_i) / F(age)`` and an estimate of the story's eventual size
   ``N = (n + 1) / (F(age) + prior_exposure)`` (a Poisson rate estimate; ``prior_exposure``
   keeps a one-article story that is minutes old from being extrapolated to thousands).
   The expected gain over the next ``horizon`` hours is ``N * (F(age + horizon) - F(age))``,
   averaged over the shapes weighted by their posterior (equal priors). A young story that
   started fast is expected to keep growing, a breaking story ten hours old is expected to
   fade, a flash story is over after its hour, a steady story goes on.
2. **Recent rate.** The rate of its last ``recent_articles`` articles (their count over the
   time since the oldest of them, at least 15 minutes) times ``horizon``: robust when the
   story fits no shape well and in long tails where counts are small.

``expected = sqrt((1 + shape gain) * (1 + recent gain)) - 1`` (the geometric mean, on
counts plus one): each estimate corrects the other's failure mode (the shapes' overconfident
extrapolation of very young stories, the recent rate's blindness to decay).

Nothing here was fitted to an evaluation file: the shapes and their time scales are the four
coverage shapes described in ``shared/data/FORMATS.md`` with round numbers, and the blend is
an unweighted mean. See ``herald.eval.trend_eval`` for the measurements.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "SHAPES",
    "Forecast",
    "ForecastParams",
    "Shape",
    "forecast",
    "recent_rate",
    "shape_gains",
]


@dataclass(frozen=True)
class Shape:
    """A coverage shape over a story's age in hours: ``kind`` and its time ``scale``.

    ``kind`` is ``exponential`` (density ``exp(-t/s)/s``), ``erlang2`` (``t exp(-t/s)/s^2``)
    or ``uniform`` (flat over ``[0, s]``).
    """

    name: str
    kind: str
    scale: float

    def pdf(self, t: float) -> float:
        s = self.scale
        if t < 0:
            return 0.0
        if self.kind == "exponential":
            return math.exp(-t / s) / s
        if self.kind == "erlang2":
            return t * math.exp(-t / s) / (s * s)
        return 1.0 / s if t <= s else 0.0

    def cdf(self, t: float) -> float:
        s = self.scale
        if t <= 0:
            return 0.0
        if self.kind == "exponential":
            return 1.0 - math.exp(-t / s)
        if self.kind == "erlang2":
            return 1.0 - math.exp(-t / s) * (1.0 + t / s)
        return min(t / s, 1.0)


SHAPES: tuple[Shape, ...] = (
    Shape("breaking", "exponential", 3.0),
    Shape("breaking", "exponential", 6.0),
    Shape("breaking", "exponential", 10.0),
    Shape("developing", "erlang2", 7.0),
    Shape("steady", "uniform", 48.0),
    Shape("flash", "uniform", 1.0),
)


@dataclass(frozen=True)
class ForecastParams:
    """Tunables of the forecast (see the module docstring)."""

    horizon_hours: float = 6.0
    recent_articles: int = 5
    min_span_hours: float = 0.25
    prior_exposure: float = 0.02
    outlier_share: float = 0.02
    background_hours: float = 150.0
    shapes: tuple[Shape, ...] = SHAPES


@dataclass(frozen=True)
class Forecast:
    """Expected new articles in the next ``horizon_hours`` and the estimates behind it."""

    expected: float
    from_shapes: float
    from_recent_rate: float
    shape: str
    shape_weight: float


def forecast(
    times: Sequence[datetime], now: datetime, params: ForecastParams | None = None
) -> Forecast:
    """Forecast a story's growth from the publication times of its articles before ``now``."""
    params = params or ForecastParams()
    seen = sorted(t for t in times if t <= now)
    if not seen:
        return Forecast(0.0, 0.0, 0.0, "", 0.0)
    ages = [_hours(t - seen[0]) for t in seen]
    age = _hours(now - seen[0])
    gains, weights = shape_gains(ages, age, params, params.shapes)
    from_shapes = sum(g * w for g, w in zip(gains, weights, strict=True))
    from_rate = recent_rate(ages, age, params) * params.horizon_hours
    expected = math.sqrt((1.0 + from_shapes) * (1.0 + from_rate)) - 1.0
    shape, weight = _likeliest_kind(params.shapes, weights)
    return Forecast(expected, from_shapes, from_rate, shape, weight)


def shape_gains(
    ages: Sequence[float], age: float, params: ForecastParams, shapes: Sequence[Shape] = SHAPES
) -> tuple[list[float], list[float]]:
    """Per shape: the expected gain in the next horizon and the posterior weight.

    ``ages`` are the articles' hours since the first article (sorted, the first is 0) and
    ``age`` the story's age now.
    """
    age = max(age, 1e-3)
    gains: list[float] = []
    logs: list[float] = []
    for shape in shapes:
        seen = _mixed_cdf(shape, age, params)
        later = _mixed_cdf(shape, age + params.horizon_hours, params)
        size = (len(ages) + 1.0) / (seen + params.prior_exposure)
        gains.append(size * max(later - seen, 0.0))
        logs.append(_log_likelihood(shape, ages[1:], seen, params))
    top = max(logs)
    raw = [math.exp(v - top) for v in logs]
    total = sum(raw)
    return gains, [r / total for r in raw]


def recent_rate(ages: Sequence[float], age: float, params: ForecastParams) -> float:
    """Articles per hour over the story's last ``recent_articles`` articles, up to now."""
    last = ages[-params.recent_articles :]
    if not last:
        return 0.0
    return len(last) / max(age - last[0], params.min_span_hours)


def _mixed_cdf(shape: Shape, t: float, params: ForecastParams) -> float:
    flat = min(max(t, 0.0) / params.background_hours, 1.0)
    return (1.0 - params.outlier_share) * shape.cdf(t) + params.outlier_share * flat


def _mixed_pdf(shape: Shape, t: float, params: ForecastParams) -> float:
    flat = 1.0 / params.background_hours
    return (1.0 - params.outlier_share) * shape.pdf(t) + params.outlier_share * flat


def _log_likelihood(
    shape: Shape, ages: Sequence[float], seen: float, params: ForecastParams
) -> float:
    """log of ``prod f(t_i) / F(age)``: how well the shape explains the times seen so far."""
    total = sum(math.log(_mixed_pdf(shape, t, params)) for t in ages)
    return total - len(ages) * math.log(max(seen, 1e-12))


def _likeliest_kind(shapes: Sequence[Shape], weights: Sequence[float]) -> tuple[str, float]:
    """The shape name with the most posterior weight (summed over its time scales)."""
    by_name: dict[str, float] = {}
    for shape, weight in zip(shapes, weights, strict=True):
        by_name[shape.name] = by_name.get(shape.name, 0.0) + weight
    name = max(by_name, key=lambda k: by_name[k])
    return name, by_name[name]


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600.0
