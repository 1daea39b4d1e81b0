"""Sensitive topics: stories a human may want to review before an AI-written article is shown.

Keyword rules over the story's text (headlines and source text). A story is sensitive when it
mentions any of these topics; the list is deliberately broad, and matching is case-insensitive
on whole words:

- deaths and disasters (killed, dead, died, fatal, massacre, shooting victims...)
- crime victims and violent crime (murder, assault, stabbing, kidnapping, hostage...)
- sexual violence and abuse (rape, sexual assault, abuse, harassment, trafficking...)
- suicide and self-harm
- children and minors (child, minor, teenager, schoolchildren, infant...)
- health and medical conditions (cancer, overdose, pandemic, diagnosis, mental illness...)
- elections and voting (election, ballot, polls, candidate, vote fraud...)
- terrorism and war casualties (terror attack, bombing, airstrike...)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SENSITIVE_TOPICS: dict[str, tuple[str, ...]] = {
    "deaths": (
        "killed",
        "kills",
        "dead",
        "death",
        "deaths",
        "died",
        "dies",
        "fatal",
        "fatally",
        "massacre",
        "bodies",
        "body was found",
        "funeral",
        "death toll",
        "obituary",
    ),
    "crime victims": (
        "murder",
        "murdered",
        "homicide",
        "assault",
        "assaulted",
        "stabbing",
        "stabbed",
        "kidnapped",
        "kidnapping",
        "hostage",
        "victim",
        "victims",
        "shot dead",
        "manslaughter",
    ),
    "sexual violence": (
        "rape",
        "raped",
        "sexual assault",
        "sexually assaulted",
        "sexual abuse",
        "molested",
        "molestation",
        "harassment",
        "sex trafficking",
        "human trafficking",
        "abused",
    ),
    "suicide": ("suicide", "suicidal", "self-harm", "took his own life", "took her own life"),
    "children": (
        "child",
        "children",
        "minor",
        "minors",
        "teenager",
        "teenage",
        "toddler",
        "infant",
        "baby",
        "schoolchildren",
        "schoolgirl",
        "schoolboy",
        "juvenile",
    ),
    "health": (
        "cancer",
        "overdose",
        "pandemic",
        "epidemic",
        "diagnosed",
        "diagnosis",
        "disease",
        "mental illness",
        "depression",
        "hiv",
        "aids",
        "terminal illness",
        "outbreak",
    ),
    "elections": (
        "election",
        "elections",
        "ballot",
        "ballots",
        "polling",
        "voters",
        "voting",
        "vote fraud",
        "electoral",
        "referendum",
        "candidate",
        "campaign",
    ),
    "terrorism and war": (
        "terror attack",
        "terrorist",
        "terrorism",
        "bombing",
        "suicide bomber",
        "airstrike",
        "air strike",
        "civilian casualties",
        "genocide",
        "war crimes",
    ),
}

_PATTERNS = {
    topic: re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keys) + r")\b", re.IGNORECASE)
    for topic, keys in SENSITIVE_TOPICS.items()
}


def sensitive_topics(texts: Iterable[str]) -> list[str]:
    """The sensitive topics mentioned anywhere in ``texts``, in the order of SENSITIVE_TOPICS."""
    joined = "\n".join(texts)
    return [topic for topic, pattern in _PATTERNS.items() if pattern.search(joined)]


def is_sensitive(texts: Iterable[str]) -> bool:
    """Whether any text mentions a sensitive topic."""
    return bool(sensitive_topics(texts))
