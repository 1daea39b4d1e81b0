"""The feed's candidates as a ``Pool``: built once from the stories of the last days, ranked
for many readers (``herald.rank.feed``).

Each candidate carries its base score, the same for every reader: how much it is trending,
how fresh it is, and its quality (independent outlets, a verified article). The pool indexes
the candidates by topic, entity, outlet, region and story id, keeps their unit centroids as
one matrix and their diversity groups (topic, story type), so that ranking one reader is a
few array operations.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from herald.rank.interest import unit
from herald.rank.regions import region_key
from herald.rank.signals import norm
from herald.types import FollowKind, Preference, Story, Writeup, WriteupStatus

Floats = NDArray[np.float64]
Ints = NDArray[np.intp]
Bools = NDArray[np.bool_]

FRESH_HALF_LIFE_HOURS = 12.0
# A verified article is what readers come for: it outranks a link-only story of similar heat.
VERIFIED_BONUS = 1.5


# --------------------------------------------------------------------------- base score


def trend_part(story: Story) -> float:
    return 1.5 * math.log1p(max(story.trend_score, 0.0)) + (0.5 if story.trending else 0.0)


def freshness_part(story: Story, now: datetime) -> float:
    age_hours = max((now - story.last_seen).total_seconds() / 3600.0, 0.0)
    return math.exp(-math.log(2) * age_hours / FRESH_HALF_LIFE_HOURS)


def quality_part(story: Story, writeup: Writeup | None) -> float:
    return 0.6 * min(story.outlet_count, 8) / 8 + (VERIFIED_BONUS if _written(writeup) else 0.0)


def _written(writeup: Writeup | None) -> bool:
    return writeup is not None and writeup.status is WriteupStatus.PUBLISHED


def story_type(item: Item) -> str:
    return "article" if item.written else "links"


# --------------------------------------------------------------------------- the pool


@dataclass(frozen=True)
class Item:
    """A candidate story: ``regions[i]`` is the region key of ``outlets[i]`` ('' unknown)."""

    story: Story
    writeup: Writeup | None
    outlets: tuple[str, ...]
    regions: tuple[str, ...]
    base: float

    @cached_property
    def outlet_keys(self) -> tuple[str, ...]:
        """The outlets' matching names, in order."""
        return tuple(norm(o) for o in self.outlets)

    @property
    def written(self) -> bool:
        return _written(self.writeup)


class Pool:
    """The candidates of one moment, indexed for ranking many readers."""

    def __init__(self, items: Sequence[Item], centroids: NDArray[np.floating] | None = None):
        self.items = tuple(items)
        self.base: Floats = np.array([i.base for i in items], dtype=np.float64)
        self.seen: Floats = np.array([i.story.last_seen.timestamp() for i in items])
        self.seen_list: list[float] = self.seen.tolist()
        self.ids: Ints = np.array([i.story.id for i in items], dtype=np.intp)
        self.by_story = {item.story.id: n for n, item in enumerate(items)}
        self.topic_keys = [norm(i.story.topic) for i in items]
        self.entity_keys = [frozenset(norm(e) for e in i.story.entities) for i in items]
        self.outlet_keys = [frozenset(i.outlet_keys) for i in items]
        self.by_topic = _index([key] for key in self.topic_keys)
        self.has_topic: Bools = np.array([bool(key) for key in self.topic_keys], dtype=np.bool_)
        self.by_entity = _index(self.entity_keys)
        self.by_outlet = _index(self.outlet_keys)
        self.by_region = _index((r for r in i.regions if r) for i in items)
        # Diversity groups: (topic as shown, story type) of each candidate.
        groups: dict[tuple[str, str], int] = {}
        for item in items:
            groups.setdefault((item.story.topic, story_type(item)), len(groups))
        self.group_keys: list[tuple[str, str]] = list(groups)
        self.group: Ints = np.array(
            [groups[(i.story.topic, story_type(i))] for i in items], dtype=np.intp
        )
        usable = centroids is not None and len(items) > 0 and centroids.shape[0] == len(items)
        self.centroids = unit(centroids) if usable and centroids is not None else None

    def __len__(self) -> int:
        return len(self.items)

    def matches(self, n: int, pref: Preference) -> bool:
        """Whether a follow or mute applies to candidate ``n`` (outlets, regions: any)."""
        if pref.kind is FollowKind.TOPIC:
            return self.topic_keys[n] == norm(pref.value)
        if pref.kind is FollowKind.ENTITY:
            return norm(pref.value) in self.entity_keys[n]
        if pref.kind is FollowKind.OUTLET:
            return norm(pref.value) in self.outlet_keys[n]
        if pref.kind is FollowKind.REGION:
            return region_key(pref.value) in self.items[n].regions
        return str(self.items[n].story.id) == pref.value.strip()

    def where(self, pref: Preference) -> Ints:
        """Indices of the candidates a follow or mute applies to (outlets: any of them)."""
        empty: Ints = np.zeros(0, dtype=np.intp)
        if pref.kind is FollowKind.STORY:
            found = self.by_story.get(int(pref.value)) if pref.value.strip().isdigit() else None
            return empty if found is None else np.array([found], dtype=np.intp)
        index = {
            FollowKind.TOPIC: self.by_topic,
            FollowKind.ENTITY: self.by_entity,
            FollowKind.OUTLET: self.by_outlet,
            FollowKind.REGION: self.by_region,
        }[pref.kind]
        key = region_key(pref.value) if pref.kind is FollowKind.REGION else norm(pref.value)
        return index.get(key, empty)


def _index(keys: Iterable[Iterable[str]]) -> dict[str, Ints]:
    found: dict[str, list[int]] = {}
    for n, item_keys in enumerate(keys):
        for key in dict.fromkeys(item_keys):
            if key:
                found.setdefault(key, []).append(n)
    return {k: np.array(v, dtype=np.intp) for k, v in found.items()}


def build_pool(
    stories: Sequence[Story],
    writeups: Mapping[int, Writeup],
    outlets: Mapping[int, Sequence[str]],
    now: datetime,
    *,
    days: float,
    regions: Mapping[int, Sequence[str]] | None = None,
    centroids: Mapping[int, NDArray[np.floating]] | None = None,
) -> Pool:
    """Stories of the last ``days`` that have articles and are not pulled, with base scores.

    ``regions[story_id]`` lists the country of each of ``outlets[story_id]``; ``centroids``
    the stories' embedding centroids (all of one size; missing ones score no similarity).
    """
    since = now - timedelta(days=days)
    items = []
    for story in stories:
        writeup = writeups.get(story.id)
        if story.last_seen < since or story.article_count <= 0:
            continue
        if writeup is not None and writeup.status is WriteupStatus.PULLED:
            continue
        names = tuple(outlets.get(story.id, ()))
        countries = tuple((regions or {}).get(story.id, ()))
        keys = tuple(region_key(c) if c.strip() else "" for c in countries)
        keys = (keys + ("",) * len(names))[: len(names)]
        base = trend_part(story) + freshness_part(story, now) + quality_part(story, writeup)
        items.append(Item(story, writeup, names, keys, base))
    return Pool(items, _centroid_matrix(items, centroids))


def _centroid_matrix(
    items: Sequence[Item], centroids: Mapping[int, NDArray[np.floating]] | None
) -> NDArray[np.float32] | None:
    if not centroids or not items:
        return None
    sizes = Counter(v.shape[0] for v in centroids.values() if v.ndim == 1)
    if not sizes:
        return None
    dims = sizes.most_common(1)[0][0]
    matrix = np.zeros((len(items), dims), dtype=np.float32)
    for n, item in enumerate(items):
        vector = centroids.get(item.story.id)
        if vector is not None and vector.shape == (dims,):
            matrix[n] = vector
    return matrix
