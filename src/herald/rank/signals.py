"""What a reader's signals teach the feed: the pure core (no I/O) of implicit learning.

Each signal weighs by its kind and fades with age: its weight halves every
``HALF_LIFE_DAYS`` (14) days. Signals add up per story, each kind saturating so that
reloading a page or leaving a tab open does not swamp everything else:

- ``open``: +1 (counted once per story);
- ``read``: up to +2, growing with the seconds spent reading as ``1 - exp(-s / 90)``
  (30 s give +0.57, 90 s +1.26, 5 minutes +1.93);
- ``citation``: +1 per cited source followed, at most +2;
- ``hide``: -1.5, and the story is never shown again;
- ``less`` ("show less like this"): -3, and the story is never shown again.

A story's net weight then feeds (a) an embedding profile, the weighted mean direction of the
centroids of the stories read (and a separate one of the stories turned away), scored with
``herald.rank.interest``; and (b) implicit affinities of the topics, entities and outlets of
those stories: the sum of the weights of the stories that carry them (an outlet gets its share
of a story covered by several). The feed squashes and bounds both (``herald.rank.feed``).
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from herald.rank.interest import Vector, unit, unit_profile
from herald.types import Signal, SignalKind, SignalStory

HALF_LIFE_DAYS = 14.0
# How far back the feed reads positive signals; hides and "less" count whatever their age.
SIGNAL_DAYS = 60.0
# The most signals (newest first) the feed reads for one reader.
MAX_SIGNALS = 500
READ_CAP_SECONDS = 600.0  # one "read" signal counts at most ten minutes
READ_SATURATION_SECONDS = 90.0
OPEN_WEIGHT = 1.0
READ_WEIGHT = 2.0
CITATION_WEIGHT = 1.0
CITATION_MAX = 2.0
HIDE_WEIGHT = -1.5
LESS_WEIGHT = -3.0
NEGATIVE_KINDS = frozenset({SignalKind.HIDE, SignalKind.LESS})


@functools.lru_cache(maxsize=100_000)
def norm(value: str) -> str:
    """The matching form of a name: case-folded, whitespace collapsed (kept: the feed asks
    for the same names on every request)."""
    return " ".join(value.casefold().split())


def decay(age_days: float) -> float:
    """The share of its weight a signal keeps after ``age_days`` (1.0 for future times)."""
    return float(0.5 ** (max(age_days, 0.0) / HALF_LIFE_DAYS))


def read_value(seconds: float) -> float:
    """The weight of ``seconds`` of reading: saturating towards ``READ_WEIGHT``."""
    return READ_WEIGHT * (1.0 - math.exp(-max(seconds, 0.0) / READ_SATURATION_SECONDS))


def story_weights(signals: Sequence[Signal], now: datetime) -> dict[int, float]:
    """The net, decayed weight of each story the reader acted on."""
    sums: dict[int, dict[SignalKind, float]] = defaultdict(lambda: defaultdict(float))
    for s in signals:
        age = (now - s.at).total_seconds() / 86_400.0
        amount = min(max(s.value, 0.0), READ_CAP_SECONDS) if s.kind is SignalKind.READ else 1.0
        sums[s.story_id][s.kind] += amount * decay(age)
    return {story: _combine(kinds) for story, kinds in sums.items()}


def _combine(kinds: Mapping[SignalKind, float]) -> float:
    return (
        OPEN_WEIGHT * min(kinds.get(SignalKind.OPEN, 0.0), 1.0)
        + read_value(kinds.get(SignalKind.READ, 0.0))
        + CITATION_WEIGHT * min(kinds.get(SignalKind.CITATION, 0.0), CITATION_MAX)
        + HIDE_WEIGHT * min(kinds.get(SignalKind.HIDE, 0.0), 1.0)
        + LESS_WEIGHT * min(kinds.get(SignalKind.LESS, 0.0), 1.0)
    )


@dataclass(frozen=True)
class Learned:
    """A reader's implicit interests. Keys of the affinity maps are ``norm``-ed names."""

    weights: Mapping[int, float] = field(default_factory=dict)
    hidden: frozenset[int] = frozenset()
    topics: Mapping[str, float] = field(default_factory=dict)
    entities: Mapping[str, float] = field(default_factory=dict)
    outlets: Mapping[str, float] = field(default_factory=dict)
    positive: Vector | None = None
    negative: Vector | None = None
    sources: tuple[SignalStory, ...] = ()  # the stories learned from, in the order learned

    @cached_property
    def names(self) -> Mapping[str, str]:
        """Norm-ed entity or outlet name -> its display form (the first one seen)."""
        names: dict[str, str] = {}
        for story in self.sources:
            for name in story.entities + story.outlets:
                names.setdefault(norm(name), " ".join(name.split()))
        return names

    @property
    def active(self) -> bool:
        """Whether anything was learned at all."""
        return bool(self.hidden) or any(abs(w) > 1e-9 for w in self.weights.values())

    @property
    def interested(self) -> bool:
        """Whether the reader showed positive interest in something."""
        return any(w > 0 for w in self.weights.values())


NOTHING = Learned()


def learn(signals: Sequence[Signal], stories: Mapping[int, SignalStory], now: datetime) -> Learned:
    """The reader's implicit interests from ``signals`` on ``stories`` (keyed by story id)."""
    if not signals:
        return NOTHING
    weights = story_weights(signals, now)
    hidden = frozenset(s.story_id for s in signals if s.kind in NEGATIVE_KINDS)
    topics: dict[str, float] = defaultdict(float)
    entities: dict[str, float] = defaultdict(float)
    outlets: dict[str, float] = defaultdict(float)
    sources: list[SignalStory] = []
    for story_id, weight in weights.items():
        story = stories.get(story_id)
        if story is None or abs(weight) < 1e-9:
            continue
        sources.append(story)
        if story.topic.strip():
            topics[norm(story.topic)] += weight
        entity_keys, outlet_keys = _keys(story.entities, story.outlets)
        for entity in entity_keys:
            entities[entity] += weight
        for outlet in outlet_keys:
            outlets[outlet] += weight / len(outlet_keys)
    positive, negative = _profiles(weights, stories)
    return Learned(
        weights=weights,
        hidden=hidden,
        topics=dict(topics),
        entities=dict(entities),
        outlets=dict(outlets),
        positive=positive,
        negative=negative,
        sources=tuple(sources),
    )


@functools.lru_cache(maxsize=50_000)
def _keys(
    entities: tuple[str, ...], outlets: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A story's distinct entity and outlet names, norm-ed, in order (kept: the same stories
    come back request after request)."""
    return (
        tuple(dict.fromkeys(norm(e) for e in entities if e.strip())),
        tuple(dict.fromkeys(norm(o) for o in outlets if o.strip())),
    )


def _profiles(
    weights: Mapping[int, float], stories: Mapping[int, SignalStory]
) -> tuple[Vector | None, Vector | None]:
    """The mean direction of the stories read, and of the stories turned away (of the
    centroids of the most common size, should the stories' centroids differ in size)."""
    blobs: dict[int, bytes] = {}
    for story_id in weights:
        story = stories.get(story_id)
        if story is not None and story.centroid:
            blobs[story_id] = story.centroid
    if not blobs:
        return None, None
    sizes = Counter(len(b) for b in blobs.values())
    size = max(sizes, key=lambda n: (sizes[n], n))
    ids = [sid for sid, blob in blobs.items() if len(blob) == size]
    rows = np.frombuffer(b"".join(blobs[sid] for sid in ids), dtype=np.float32)
    units = unit(rows.reshape(len(ids), -1))  # row by row, as ``profile_vector`` makes them
    found = [weights[sid] for sid in ids]
    return _mean(units, found, 1.0), _mean(units, found, -1.0)


def _mean(units: NDArray[np.float32], weights: Sequence[float], sign: float) -> Vector | None:
    """``profile_vector`` of the rows whose weight has ``sign`` (each weighted by the weight's
    magnitude)."""
    picked = [k for k, w in enumerate(weights) if sign * w > 0]
    if not picked:
        return None
    return unit_profile(units[picked], [sign * weights[k] for k in picked])
