"""Dates as feeds really write them: RFC 3339, RFC 822, and RFC 822 with local month names."""

from __future__ import annotations

import email.utils
import re
from datetime import datetime

from herald.clock import parse_iso, to_utc

__all__ = ["parse_date"]

# Month names (first letters, lowercase, accents removed) in languages common in news feeds.
MONTHS = {
    "jan": "Jan", "gen": "Jan", "ene": "Jan", "janv": "Jan", "jän": "Jan", "jaan": "Jan",
    "feb": "Feb", "fev": "Feb", "fév": "Feb", "févr": "Feb", "fevr": "Feb",
    "mar": "Mar", "mär": "Mar", "mrz": "Mar", "mrt": "Mar", "mars": "Mar", "maa": "Mar",
    "apr": "Apr", "abr": "Apr", "avr": "Apr",
    "may": "May", "mag": "May", "mai": "May", "mei": "May", "mayo": "May", "maio": "May",
    "jun": "Jun", "giu": "Jun", "juin": "Jun", "juni": "Jun",
    "jul": "Jul", "lug": "Jul", "juil": "Jul", "juli": "Jul",
    "aug": "Aug", "ago": "Aug", "aoû": "Aug", "aou": "Aug",
    "sep": "Sep", "set": "Sep", "sept": "Sep",
    "oct": "Oct", "ott": "Oct", "okt": "Oct", "out": "Oct",
    "nov": "Nov",
    "dec": "Dec", "dic": "Dec", "dez": "Dec", "déc": "Dec",
}  # fmt: skip

# Zone abbreviations that email.utils does not know (it would silently take them as UTC).
ZONES = {
    "CET": "+0100", "CEST": "+0200", "MEZ": "+0100", "MESZ": "+0200", "WET": "+0000",
    "WEST": "+0100", "EET": "+0200", "EEST": "+0300", "BST": "+0100", "MSK": "+0300",
    "JST": "+0900", "KST": "+0900", "AEST": "+1000", "AEDT": "+1100", "NZST": "+1200",
}  # fmt: skip
_ZONE = re.compile(r"\b([A-Z]{3,4})\s*$")

_LOCAL_RFC822 = re.compile(
    r"^\s*(?:[^\W\d]+\.?,?\s+)?(\d{1,2})\.?\s+([^\W\d]+)\.?\s+(\d{4})\s+(\d{1,2}:\d{2}(?::\d{2})?)"
    r"\s*([+-]\d{4}|[A-Za-z]{1,5})?\s*$"
)


def parse_date(text: str) -> datetime | None:
    """A UTC datetime from an RFC 3339, RFC 822 or localized RFC 822 date; None if unreadable.

    Dates without a timezone are taken to be UTC.
    """
    text = text.strip()
    if not text:
        return None
    return parse_iso(text) or _rfc822(text) or _localized_rfc822(text)


def _rfc822(text: str) -> datetime | None:
    text = _ZONE.sub(lambda m: ZONES.get(m.group(1), m.group(1)), text)
    try:
        return to_utc(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _localized_rfc822(text: str) -> datetime | None:
    """``mer, 16 nov 2022 00:38:15 +0100`` and the like, with the month name translated."""
    match = _LOCAL_RFC822.match(text)
    if match is None:
        return None
    day, month, year, clock, zone = match.groups()
    english = _month(month)
    if english is None:
        return None
    return _rfc822(f"{day} {english} {year} {clock} {zone or '+0000'}")


def _month(name: str) -> str | None:
    name = name.lower()
    for length in (4, 3):
        if name[:length] in MONTHS:
            return MONTHS[name[:length]]
    return None
