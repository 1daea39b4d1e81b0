"""Per-source poll scheduling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from herald.ingest.schedule import (
    backoff_seconds,
    next_attempt_after_failure,
    next_attempt_after_success,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_after_success_waits_the_poll_interval() -> None:
    assert next_attempt_after_success(NOW, 900) == NOW + timedelta(seconds=900)
    naive = datetime(2024, 5, 1, 12, 0)
    assert next_attempt_after_success(naive, 60).tzinfo is UTC


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 300), (1, 300), (2, 600), (3, 1200), (5, 4800), (9, 76_800), (10, 86_400)],
)
def test_after_failure_doubles_up_to_the_maximum(failures: int, seconds: float) -> None:
    when = next_attempt_after_failure(NOW, failures, 300, 86_400, rand=lambda: 0.5)
    assert when == NOW + timedelta(seconds=seconds)


def test_jitter_stays_within_its_share_and_below_the_maximum() -> None:
    low = backoff_seconds(3, 100, 10_000, jitter=0.1, rand=lambda: 0.0)
    high = backoff_seconds(3, 100, 10_000, jitter=0.1, rand=lambda: 0.999999)
    assert low == pytest.approx(360) and high == pytest.approx(440, rel=1e-5)
    assert backoff_seconds(50, 100, 1000, rand=lambda: 0.999999) == 1000
    assert backoff_seconds(10_000, 100, 1000, rand=lambda: 0.5) == 1000


def test_default_random_jitter() -> None:
    delays = {backoff_seconds(2, 300, 86_400) for _ in range(20)}
    assert all(540 <= d <= 660 for d in delays)
    assert len(delays) > 1


def test_degenerate_settings() -> None:
    assert backoff_seconds(3, 0, 100) == 0
    assert next_attempt_after_failure(NOW, 3, 10, 0) == NOW
