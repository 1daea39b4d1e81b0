"""When to poll a source next: pure functions of the clock and the source's health.

A healthy source is polled every ``poll_interval`` seconds. A failing one waits
``base · 2^(failures-1)`` seconds, capped at ``maximum``, with ±``jitter`` (a share, 10% by
default) so that many sources failing together do not all come back at the same instant.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from herald.clock import to_utc

__all__ = ["backoff_seconds", "next_attempt_after_failure", "next_attempt_after_success"]


def next_attempt_after_success(now: datetime, poll_interval: float) -> datetime:
    """The next poll of a source that was just fetched successfully."""
    return to_utc(now) + timedelta(seconds=max(0.0, poll_interval))


def next_attempt_after_failure(
    now: datetime,
    failures: int,
    base: float,
    maximum: float,
    *,
    jitter: float = 0.1,
    rand: Callable[[], float] = random.random,
) -> datetime:
    """The next poll of a source that has now failed ``failures`` times in a row (1 or more)."""
    delay = backoff_seconds(failures, base, maximum, jitter=jitter, rand=rand)
    return to_utc(now) + timedelta(seconds=delay)


def backoff_seconds(
    failures: int,
    base: float,
    maximum: float,
    *,
    jitter: float = 0.1,
    rand: Callable[[], float] = random.random,
) -> float:
    """``base · 2^(failures-1)`` seconds, jittered by ±``jitter``, never above ``maximum``.

    ``rand`` returns a float in [0, 1); 0.5 means no jitter.
    """
    if base <= 0 or maximum <= 0:
        return 0.0
    exponent = min(max(failures, 1) - 1, 64)  # 2^64·base is past any sane maximum
    delay = min(maximum, base * 2.0**exponent)
    jittered = delay * (1.0 + jitter * (2.0 * rand() - 1.0))
    return min(maximum, max(0.0, jittered))
