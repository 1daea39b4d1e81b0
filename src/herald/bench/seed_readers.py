"""The readers' half of the benchmark seed: readers, their follows and mutes, reading signals.

Each reader follows 1-3 topics (popular topics more often) and usually a few entities of
those topics, sometimes outlets or a story; some mute a topic, an entity or an outlet they
do not follow. Reading signals fall in the last 14 days, after the story appeared; most are
on stories of followed topics: an open, often followed by a read (seconds on the page), and
now and then a citation click, a hide or a "less like this".
"""

from __future__ import annotations

import base64
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from herald.bench.seed_news import TOPIC_WEIGHTS, Catalog
from herald.rank.topics import TOPICS
from herald.types import FollowKind

__all__ = ["People", "plan_readers"]

Row = dict[str, object]
SIGNAL_DAYS = 14
MEAN_SIGNALS = 14.0


@dataclass
class People:
    readers: list[Row] = field(default_factory=list)
    preferences: list[Row] = field(default_factory=list)
    signals: list[Row] = field(default_factory=list)


@dataclass
class _Choices:
    """Cumulative weights reused for every reader."""

    topics: list[float]
    entities: list[float]
    outlets: list[float]

    @classmethod
    def of(cls, catalog: Catalog) -> _Choices:
        n_entities = len(next(iter(catalog.entities.values())))
        return cls(
            topics=list(itertools.accumulate(TOPIC_WEIGHTS)),
            entities=_zipf(n_entities),
            outlets=_zipf(len(catalog.outlets)),
        )


def _zipf(n: int) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + 1) for rank in range(n)))


def _token(rng: random.Random, size: int) -> str:
    """Like ``secrets.token_urlsafe(size)``, from the seeded generator."""
    return base64.urlsafe_b64encode(rng.randbytes(size)).rstrip(b"=").decode()


def plan_readers(rng: random.Random, now: datetime, n: int, catalog: Catalog) -> People:
    people = People()
    weights = _Choices.of(catalog)
    for reader_id in range(1, n + 1):
        people.readers.append(
            {
                "id": reader_id,
                "token": _token(rng, 32),
                "feed_secret": _token(rng, 24),
                "created_at": now - timedelta(days=rng.uniform(1, 180)),
            }
        )
        topics = _followed_topics(rng, weights)
        prefs = _preferences(rng, catalog, weights, topics)
        for kind, value, muted in prefs:
            people.preferences.append(
                {
                    "id": len(people.preferences) + 1,
                    "reader_id": reader_id,
                    "kind": kind.value,
                    "value": value,
                    "muted": muted,
                    "created_at": now - timedelta(days=rng.uniform(0, 30)),
                }
            )
        for row in _signals(rng, now, catalog, topics):
            row["id"] = len(people.signals) + 1
            row["reader_id"] = reader_id
            people.signals.append(row)
    return people


def _followed_topics(rng: random.Random, weights: _Choices) -> list[str]:
    k = rng.choices((1, 2, 3), weights=(0.45, 0.35, 0.2))[0]
    found: list[str] = []
    while len(found) < k:
        topic = rng.choices(TOPICS, cum_weights=weights.topics)[0]
        if topic not in found:
            found.append(topic)
    return found


def _preferences(
    rng: random.Random, catalog: Catalog, weights: _Choices, topics: list[str]
) -> list[tuple[FollowKind, str, bool]]:
    """(kind, value, muted) of one reader, each (kind, value) once."""
    prefs: dict[tuple[FollowKind, str], bool] = {(FollowKind.TOPIC, t): False for t in topics}
    for _ in range(rng.choices(range(6), weights=(25, 25, 20, 15, 10, 5))[0]):
        pool = catalog.entities[rng.choice(topics)]
        prefs.setdefault((FollowKind.ENTITY, _pick(rng, pool, weights.entities)), False)
    for _ in range(rng.choices(range(4), weights=(55, 25, 15, 5))[0]):
        prefs.setdefault((FollowKind.OUTLET, _pick(rng, catalog.outlets, weights.outlets)), False)
    if rng.random() < 0.1:
        story = rng.choice(catalog.by_topic[topics[0]] or [1])
        prefs.setdefault((FollowKind.STORY, str(story)), False)
    if rng.random() < 0.25:
        prefs.setdefault((FollowKind.TOPIC, rng.choice(TOPICS)), True)
    if rng.random() < 0.2:
        pool = catalog.entities[rng.choice(TOPICS)]
        prefs.setdefault((FollowKind.ENTITY, _pick(rng, pool, weights.entities)), True)
    if rng.random() < 0.1:
        prefs.setdefault((FollowKind.OUTLET, _pick(rng, catalog.outlets, weights.outlets)), True)
    return [(kind, value, muted) for (kind, value), muted in prefs.items()]


def _pick(rng: random.Random, pool: list[str], cum: list[float]) -> str:
    return rng.choices(pool, cum_weights=cum[: len(pool)])[0]


def _signals(rng: random.Random, now: datetime, catalog: Catalog, topics: list[str]) -> list[Row]:
    out: list[Row] = []
    earliest = now - timedelta(days=SIGNAL_DAYS)
    for _ in range(min(int(rng.expovariate(1 / MEAN_SIGNALS)), 80)):
        topic = rng.choice(topics) if rng.random() < 0.75 else rng.choice(TOPICS)
        if not catalog.by_topic[topic]:
            continue
        story_id = rng.choice(catalog.by_topic[topic])
        start = max(catalog.story_first_seen[story_id - 1], earliest)
        at = start + (now - start) * rng.random()
        out.append(_signal(story_id, "open", 1.0, at))
        roll = rng.random()
        later = min(at + timedelta(seconds=rng.uniform(5, 60)), now)
        if roll < 0.6:
            out.append(_signal(story_id, "read", round(rng.uniform(15, 400), 1), later))
        elif roll < 0.65:
            out.append(_signal(story_id, "hide", 1.0, later))
        elif roll < 0.69:
            out.append(_signal(story_id, "citation", 1.0, later))
        elif roll < 0.71:
            out.append(_signal(story_id, "less", 1.0, later))
    return out


def _signal(story_id: int, kind: str, value: float, at: datetime) -> Row:
    return {"story_id": story_id, "kind": kind, "value": value, "at": at}
