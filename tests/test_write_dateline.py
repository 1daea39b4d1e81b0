"""Datelines and feed labels."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from herald.write.dateline import dateline, labels, ordinal


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (24, "24th"),
        (30, "30th"),
        (31, "31st"),
    ],
)
def test_ordinals(day: int, text: str) -> None:
    assert ordinal(day) == text


def test_dateline_date_and_datetime() -> None:
    assert dateline(date(2024, 12, 29)) == "December 29th 2024."
    assert dateline(datetime(2025, 3, 1, 23, 59, tzinfo=UTC)) == "March 1st 2025."
    assert dateline(date(2024, 1, 22)) == "January 22nd 2024."


def test_labels() -> None:
    assert labels(True, True) == (
        "This article has been trending online recently and has been generated with AI. "
        "Your feed is customized.",
        "Generative AI is experimental.",
    )
    assert labels(True, False) == (
        "This article has been trending online recently and has been generated with AI.",
        "Generative AI is experimental.",
    )
    assert labels(False, True) == (
        "This article has been generated with AI. Your feed is customized.",
        "Generative AI is experimental.",
    )
    assert labels(False, False) == (
        "This article has been generated with AI.",
        "Generative AI is experimental.",
    )
