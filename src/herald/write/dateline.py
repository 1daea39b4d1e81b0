"""Datelines and the labels shown under every written article."""

from __future__ import annotations

from datetime import date, datetime

TRENDING = "This article has been trending online recently and has been generated with AI."
GENERATED = "This article has been generated with AI."
CUSTOMIZED = "Your feed is customized."
EXPERIMENTAL = "Generative AI is experimental."
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


LINKS_ONLY = (
    "Herald has not written an article about this story: these are the outlets' own reports."
)
LINKS_ONLY_TRENDING = f"This story has been trending online recently. {LINKS_ONLY}"


def ordinal(day: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 22 -> '22nd'."""
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def dateline(d: date | datetime) -> str:
    """'December 29th 2024.' for a date or datetime (as given; English month names always)."""
    return f"{MONTH_NAMES[d.month - 1]} {ordinal(d.day)} {d.year}."


def labels(trending: bool, personalized: bool, generated: bool = True) -> tuple[str, ...]:
    """The labels of a story: why it is in the feed and how it was made, then a caution.

    Each part is said only when true: "trending online recently" only for a trending story,
    "Your feed is customized." only for a personalized feed, and for a story Herald did not
    write (links only) no claim of AI generation and no AI caution.
    """
    if not generated:
        first = LINKS_ONLY_TRENDING if trending else LINKS_ONLY
        return (f"{first} {CUSTOMIZED}" if personalized else first,)
    first = TRENDING if trending else GENERATED
    if personalized:
        first = f"{first} {CUSTOMIZED}"
    return first, EXPERIMENTAL
