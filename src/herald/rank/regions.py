"""Regions readers can follow: the countries of the outlets Herald reads (``sources.country``).

Sources name their country in full ("United Kingdom", from the source packs) or as an ISO 3166
code ("gb", from an OPML file); either way the reader sees a readable name.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from babel import Locale


@cache
def _territories() -> dict[str, str]:
    return {code.upper(): str(name) for code, name in Locale("en").territories.items()}


def region_name(value: str) -> str:
    """'gb' -> 'United Kingdom'; a full name stays as it is (whitespace tidied)."""
    clean = " ".join(value.split())
    if len(clean) in (2, 3) and clean.isalpha():
        return _territories().get(clean.upper(), clean)
    return clean


def region_key(value: str) -> str:
    """The value two spellings of one region share: 'GB', 'gb' and 'United Kingdom' alike."""
    return region_name(value).casefold()


def regions_of(countries: Iterable[str]) -> list[tuple[str, str]]:
    """(value, display name) of each distinct non-empty region, sorted by name."""
    found: dict[str, tuple[str, str]] = {}
    for country in countries:
        if country.strip():
            found.setdefault(region_key(country), (" ".join(country.split()), region_name(country)))
    return sorted(found.values(), key=lambda pair: pair[1].casefold())
