"""The feed's candidates as a ``Pool``: built once from the stories of the last days, ranked
for many readers (``herald.rank.feed``).

Each candidate carries the parts of its base score that are the same for every reader: how
much it is trending and its quality (independent outlets, a verified article). The pool indexes
the candidates by topic, entity, outlet, region and story id, keeps their unit centroids as
one matrix and their diversity groups (topic, story type), so that ranking one reader is a
few array operations.

A pool does not depend on the time it is ranked at, only on the stories it was built from: the
time window (the stories of the last ``days``, the ``limit`` most trending of them) and the
freshness part of the base score are computed for the moment asked, ``Pool.window(at)``, from
the pool's arrays. So a web worker keeps one pool for as long as the stories do not change
(``herald.store.feedcache``), however long that is, and every worker ranks alike at any moment.
A pool built at ``now`` can rank any moment from ``now`` on (the stories that enter a later
window are a subset of those it holds).
"""

from __future__ import annotations

import copy
import math
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
WINDOWS_KEPT = 4  # moments a pool keeps its window of (the current minute, mostly)
# A verified article is what readers come for: it outranks a link-only story of similar heat.
VERIFIED_BONUS = 1.5


# --------------------------------------------------------------------------- base score


# The third part, freshness, halves every ``FRESH_HALF_LIFE_HOURS`` since the story was last
# seen; it depends on the moment ranked, so ``Pool.window`` computes it for all at once.


def trend_part(story: Story) -> float:
    return 1.5 * math.log1p(max(story.trend_score, 0.0)) + (0.5 if story.trending else 0.0)


def quality_part(story: Story, writeup: Writeup | None) -> float:
    return 0.6 * min(story.outlet_count, 8) / 8 + (VERIFIED_BONUS if _written(writeup) else 0.0)


def _written(writeup: Writeup | None) -> bool:
    return writeup is not None and writeup.status is WriteupStatus.PUBLISHED


def story_type(item: Item) -> str:
    return "article" if item.written else "links"


# --------------------------------------------------------------------------- the pool


@dataclass(frozen=True)
class Item:
    """A candidate story: ``regions[i]`` is the region key of ``outlets[i]`` ('' unknown);
    ``trend`` and ``quality`` are its base score's parts that do not change with time."""

    story: Story
    writeup: Writeup | None
    outlets: tuple[str, ...]
    regions: tuple[str, ...]
    trend: float
    quality: float

    @cached_property
    def outlet_keys(self) -> tuple[str, ...]:
        """The outlets' matching names, in order."""
        return tuple(norm(o) for o in self.outlets)

    @cached_property
    def outlet_key_set(self) -> frozenset[str]:
        return frozenset(self.outlet_keys)

    @cached_property
    def region_set(self) -> frozenset[str]:
        """The outlets' known region keys."""
        return frozenset(r for r in self.regions if r)

    @property
    def written(self) -> bool:
        return _written(self.writeup)


@dataclass(frozen=True)
class Window:
    """The candidates of one moment: those seen in the pool's last ``days`` (the ``limit``
    most trending of them), and every candidate's base score then (trend, freshness,
    quality). ``live`` lists the indices of ``candidate``, in pool order, and ``rows`` their
    unit centroid rows (as ``herald.rank.interest.affinity`` makes them: unit again);
    ``freshest`` lists them last seen last first (then by story id), the order of ties."""

    at: datetime
    candidate: Bools
    live: Ints
    base: Floats
    rows: NDArray[np.float32] | None
    freshest: Ints


class Pool:
    """Candidate stories, indexed for ranking many readers at any moment from ``now`` on.

    ``now`` and ``days`` are those the pool was built for: ranking without a moment ranks at
    ``now``. ``order`` is how the candidates' window is cut to ``limit`` stories: every story
    the pool was built from (pulled ones too: they take their place in the cut), most trending
    first, with the time it was last seen and its candidate index (-1 for one that is never
    shown).
    """

    def __init__(
        self,
        items: Sequence[Item],
        centroids: NDArray[np.floating] | None = None,
        *,
        now: datetime = EPOCH,
        days: float = math.inf,
        limit: int | None = None,
        order: tuple[NDArray[np.int64], Ints] | None = None,
        complete: bool = True,
    ):
        self.items = tuple(items)
        self.now = now
        self.days = days
        self.limit = limit
        self.complete = complete
        self.trend: Floats = np.array([i.trend for i in items], dtype=np.float64)
        self.quality: Floats = np.array([i.quality for i in items], dtype=np.float64)
        self.seen: Floats = np.array([i.story.last_seen.timestamp() for i in items])
        self.seen_us = np.array([micros(i.story.last_seen) for i in items], dtype=np.int64)
        self.seen_list: list[float] = self.seen.tolist()
        self.ids: Ints = np.array([i.story.id for i in items], dtype=np.intp)
        self.order = order
        self.by_story = {item.story.id: n for n, item in enumerate(items)}
        self.topic_keys = [norm(i.story.topic) for i in items]
        self.entity_keys = [frozenset(norm(e) for e in i.story.entities) for i in items]
        self.outlet_keys = [frozenset(i.outlet_keys) for i in items]
        self.by_topic = _index([key] for key in self.topic_keys)
        self.has_topic: Bools = np.array([bool(key) for key in self.topic_keys], dtype=np.bool_)
        self.by_entity = _index(self.entity_keys)
        self.by_outlet = _index(self.outlet_keys)
        self.entity_rows = KeyRows(self.by_entity)
        self.outlet_rows = KeyRows(self.by_outlet)
        self.by_region = _index((r for r in i.regions if r) for i in items)
        # Diversity groups: (topic as shown, story type) of each candidate.
        groups: dict[tuple[str, str], int] = {}
        for item in items:
            groups.setdefault((item.story.topic, story_type(item)), len(groups))
        self.group_keys: list[tuple[str, str]] = list(groups)
        self.group: Ints = np.array(
            [groups[(i.story.topic, story_type(i))] for i in items], dtype=np.intp
        )
        self._outlet_pairs()
        usable = centroids is not None and len(items) > 0 and centroids.shape[0] == len(items)
        self.raw_centroids = centroids if usable else None
        self.centroids = unit(centroids) if usable and centroids is not None else None
        # What cosine similarity to a reader's profile multiplies: the rows made unit again,
        # as ``herald.rank.interest.affinity`` does (computed once here, not per reader).
        self.unit_rows = unit(self.centroids) if self.centroids is not None else None
        self._windows: dict[datetime, Window] = {}
        self._moments: dict[datetime, Pool] = {}
        self._covered: dict[datetime, bool] = {}
        self._last_live: tuple[Ints, Pool] | None = None  # the latest moment's candidates
        self._lock = threading.RLock()  # ``live`` holds it while ``window`` takes it too

    def __len__(self) -> int:
        return len(self.items)

    def window(self, at: datetime | None = None) -> Window:
        """The candidates and base scores at ``at`` (default: the pool's ``now``)."""
        moment = self.now if at is None else at
        found = self._windows.get(moment)
        if found is None:
            found = self._window(moment)
            with self._lock:
                if len(self._windows) >= WINDOWS_KEPT:
                    self._windows.clear()
                self._windows[moment] = found
        return found

    def covers(self, at: datetime) -> bool:
        """Whether the pool holds the candidates of ``at``: it holds every story of its
        window, or at least ``limit`` of the most trending ones still seen within ``at``'s
        (then those are the first ``limit`` of all: the pool is a prefix of the order)."""
        if self.complete or self.limit is None or self.order is None:
            return True
        found = self._covered.get(at)  # asked on every request, for the minute's moment
        if found is None:
            start = micros(at - timedelta(days=self.days))
            found = int(np.count_nonzero(self.order[0] >= start)) >= self.limit
            if len(self._covered) >= WINDOWS_KEPT:
                self._covered.clear()
            self._covered[at] = found
        return found

    def live(self, at: datetime | None = None) -> Pool:
        """The candidates of ``at`` (default: the pool's ``now``) as a pool of their own, made
        for ranking at ``at``: every reader's feed at that moment is ranked from it (kept for
        the last few moments; a pool whose candidates are all of it is its own)."""
        moment = self.now if at is None else at
        found = self._moments.get(moment)
        if found is None:
            with self._lock:
                found = self._moments.get(moment)
                if found is None:
                    found = self._live(moment)
                    if len(self._moments) >= WINDOWS_KEPT:
                        self._moments.clear()
                    self._moments[moment] = found
        return found

    def _live(self, at: datetime) -> Pool:
        live = self.window(at).live
        if at == self.now and len(live) == len(self):
            return self
        last = self._last_live
        if last is not None and np.array_equal(last[0], live):
            # The same candidates as the moment before (the usual case, minute after
            # minute): everything built from them is shared, only the moment is new.
            found = last[1].moved(at)
        else:
            raw = self.raw_centroids
            found = Pool(
                [self.items[n] for n in live.tolist()],
                None if raw is None else raw[live],
                now=at,
                days=self.days,
            )
        self._last_live = (live, found)
        return found

    def moved(self, at: datetime) -> Pool:
        """This pool for ranking at ``at`` by default: its candidates and everything built
        from them (none of it depends on the moment, and none of it is changed after it is
        built) are shared; the per-moment caches are new."""
        other = copy.copy(self)
        other.now = at
        other._windows = {}
        other._moments = {}
        other._covered = {}
        other._last_live = None
        other._lock = threading.RLock()
        return other

    def _window(self, at: datetime) -> Window:
        start = micros(at - timedelta(days=self.days)) if math.isfinite(self.days) else None
        if self.order is None or self.limit is None:
            candidate = np.ones(len(self), dtype=np.bool_)
            if start is not None:
                candidate &= self.seen_us >= start
        else:
            seen_us, index = self.order
            inside = index if start is None else index[seen_us >= start]
            chosen = inside[: self.limit]
            candidate = np.zeros(len(self), dtype=np.bool_)
            candidate[chosen[chosen >= 0]] = True
        ages = np.maximum((at.timestamp() - self.seen) / 3600.0, 0.0)
        fresh = np.exp(-math.log(2) * ages / FRESH_HALF_LIFE_HOURS)
        base: Floats = (self.trend + fresh) + self.quality
        live = np.flatnonzero(candidate)
        rows = None if self.unit_rows is None else np.ascontiguousarray(self.unit_rows[live])
        freshest = live[np.lexsort((self.ids[live], -self.seen[live]))]
        return Window(at, candidate, live, base, rows, freshest)

    def _outlet_pairs(self) -> None:
        """One entry per (candidate, outlet): the candidate, the outlet's matching name and
        its region key as numbers (-1: none), and each candidate's outlet count."""
        names: dict[str, int] = {}
        regions: dict[str, int] = {}
        item, name, region = [], [], []
        for n, it in enumerate(self.items):
            for key, reg in zip(it.outlet_keys, it.regions, strict=True):
                item.append(n)
                name.append(names.setdefault(key, len(names)) if key else -1)
                region.append(regions.setdefault(reg, len(regions)) if reg else -1)
        self.outlet_ids, self.region_ids = names, regions
        self.pair_item: Ints = np.array(item, dtype=np.intp)
        self.pair_name = np.array(name, dtype=np.intp)
        self.pair_region = np.array(region, dtype=np.intp)
        self.outlet_count: Ints = np.array([len(i.outlets) for i in self.items], dtype=np.intp)

    def all_outlets_in(self, names: frozenset[str], regions: frozenset[str]) -> Bools:
        """The candidates every outlet of which is named in ``names`` (matching names) or is
        of a region in ``regions`` (region keys)."""
        name_ids = [self.outlet_ids[k] for k in names if k in self.outlet_ids]
        region_ids = [self.region_ids[k] for k in regions if k in self.region_ids]
        muted = np.isin(self.pair_name, name_ids) | np.isin(self.pair_region, region_ids)
        count = np.bincount(self.pair_item[muted], minlength=len(self))
        found: Bools = (count == self.outlet_count) & (count > 0)
        return found

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


class KeyRows:
    """An index of candidates by key (entity, outlet) as flat arrays, to look many keys up
    at once: the candidates of key number ``k`` are ``rows[start[k]:start[k + 1]]``."""

    def __init__(self, index: Mapping[str, Ints]) -> None:
        self.ids = {key: k for k, key in enumerate(index)}
        self.start: Ints = np.zeros(len(index) + 1, dtype=np.intp)
        np.cumsum([len(rows) for rows in index.values()], out=self.start[1:])
        found = list(index.values())
        self.rows: Ints = np.concatenate(found) if found else np.zeros(0, dtype=np.intp)

    def gather(self, keys: Ints, values: Floats) -> tuple[Ints, Floats]:
        """The candidates of each key (by number), each with its key's value."""
        starts = self.start[keys]
        sizes = self.start[keys + 1] - starts
        offsets = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes)
        return self.rows[offsets + np.arange(len(offsets))], np.repeat(values, sizes)


def micros(at: datetime) -> int:
    """Microseconds since the epoch: exact, for comparing times as integers."""
    return (at - EPOCH) // MICROSECOND


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
    limit: int | None = None,
    complete: bool = True,
) -> Pool:
    """Stories of the last ``days`` that have articles and are not pulled, for ranking at
    ``now`` and later.

    ``regions[story_id]`` lists the country of each of ``outlets[story_id]``; ``centroids``
    the stories' embedding centroids (all of one size; missing ones score no similarity).
    With ``limit``, ``stories`` come most trending first and a moment's candidates are the
    first ``limit`` of those seen within its window (as a query with that order and limit
    would give them). ``complete`` False: ``stories`` are only the first of the window's, in
    that order (``Pool.covers`` tells the moments they serve).
    """
    since = now - timedelta(days=days)
    items: list[Item] = []
    index: list[int] = []
    for story in stories:
        writeup = writeups.get(story.id)
        pulled = writeup is not None and writeup.status is WriteupStatus.PULLED
        if story.last_seen < since or story.article_count <= 0 or pulled:
            index.append(-1)
            continue
        names = tuple(outlets.get(story.id, ()))
        countries = tuple((regions or {}).get(story.id, ()))
        keys = tuple(region_key(c) if c.strip() else "" for c in countries)
        keys = (keys + ("",) * len(names))[: len(names)]
        index.append(len(items))
        items.append(
            Item(story, writeup, names, keys, trend_part(story), quality_part(story, writeup))
        )
    order = (
        np.array([micros(s.last_seen) for s in stories], dtype=np.int64),
        np.array(index, dtype=np.intp),
    )
    return Pool(
        items,
        _centroid_matrix(items, centroids),
        now=now,
        days=days,
        limit=limit,
        order=order if limit is not None else None,
        complete=complete,
    )


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
