"""The arrays behind :class:`herald.cluster.online.OnlineClusterer`, kept per story slot.

Every story held by the clusterer owns a slot (a row number). Per slot the index keeps the
story's normalised centroid (one row of a contiguous float32 matrix), its first and last
publication times (integer microseconds, so the window test gives exactly the clusterer's
``timedelta`` arithmetic), whether the slot is in use and whether the story has an
embedding of the matrix's width. Per token (term or entity) it keeps the slots of the
stories whose members use it: a growable int32 array whose length is the token's story
frequency. Everything is updated in place as stories are created, joined, merged and
forgotten; freed slots go on a free list and the arrays are compacted when more than half
of them are free.

Per article, the clusterer then needs a handful of vector operations instead of loops over
every story: the active mask (:meth:`StoryIndex.active`), one matrix-vector product for the
centroid similarities (:meth:`StoryIndex.similarities`), a weighted count over the postings
of the article's tokens (:meth:`StoryIndex.shared_token_weights`) and a top-k selection
(:func:`top_slots`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Hashable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Slots = npt.NDArray[np.int64]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
_MIN_CAPACITY = 64
_MIN_COMPACT = 1024
_SAMPLE_FROM = 64  # top_slots samples arrays longer than this many times k
_SAMPLE_TIMES = 8  # ... taking about this many times k values


def micros(moment: datetime) -> int:
    """``moment`` as integer microseconds since the epoch (naive times as if UTC)."""
    epoch = _NAIVE_EPOCH if moment.utcoffset() is None else _EPOCH
    return (moment - epoch) // _MICROSECOND


@functools.lru_cache(maxsize=16)
def window_micros(window_hours: float) -> int | None:
    """The largest gap in microseconds ``d`` with ``d / 1e6 / 3600 <= window_hours``.

    That float test (what ``timedelta.total_seconds() / 3600`` computes) is monotonic in
    ``d``, so it holds exactly for the gaps up to this one. None for an infinite or NaN
    window.
    """
    if not math.isfinite(window_hours):
        return None
    limit = math.floor(window_hours * 3600e6)
    while limit / 1e6 / 3600.0 > window_hours:
        limit -= 1
    while (limit + 1) / 1e6 / 3600.0 <= window_hours:
        limit += 1
    return limit


def top_slots(values: npt.NDArray[np.floating], mask: Mask, k: int) -> list[int]:
    """The (at most ``k``) masked positions with the largest ``values``, largest first.

    For long arrays the ``k``-th largest of an evenly spaced sample is a threshold that at
    least ``k`` masked values reach, so only those few are partitioned.
    """
    if k <= 0:
        return []
    masked = np.where(mask, values, -np.inf)
    where = None
    if masked.size > _SAMPLE_FROM * k:
        sample = masked[:: masked.size // (_SAMPLE_TIMES * k)]
        threshold = np.partition(sample, sample.size - k)[sample.size - k]
        if threshold > -np.inf:
            where = np.flatnonzero(masked >= threshold)
    if where is None:
        where = np.flatnonzero(mask)
    if not where.size:
        return []
    chosen = masked[where]
    part = np.argpartition(-chosen, k - 1)[:k] if where.size > k else np.arange(where.size)
    order = part[np.argsort(-chosen[part], kind="stable")]
    out: list[int] = where[order].tolist()
    return out


_Array = TypeVar("_Array", bound=npt.NDArray[Any])


def _grown(array: _Array, capacity: int) -> _Array:
    """``array`` with ``capacity`` rows, the new ones zero."""
    out = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    out[: len(array)] = array
    return cast(_Array, out)


class _Posting:
    """The slots of the stories using one token (unordered, ``size`` of them)."""

    __slots__ = ("size", "slots")

    def __init__(self, slot: int) -> None:
        self.slots = np.array([slot], dtype=np.int32)
        self.size = 1

    def add(self, slot: int) -> None:
        if self.size == len(self.slots):
            grown = np.empty(2 * self.size, dtype=np.int32)
            grown[: self.size] = self.slots
            self.slots = grown
        self.slots[self.size] = slot
        self.size += 1

    def remove(self, slot: int) -> None:
        used = self.slots[: self.size]
        found = np.flatnonzero(used == slot)
        if found.size:
            self.size -= 1
            used[int(found[0])] = used[self.size]


class StoryIndex:
    """Slot arrays for the stories of one clusterer (see the module docstring)."""

    def __init__(self) -> None:
        self.dims: int | None = None
        self.size = 0  # slots handed out (used or free): the arrays' live length
        self.keys: list[Hashable | None] = []
        self.slots: dict[Hashable, int] = {}
        self._free: list[int] = []
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._first = np.zeros(0, dtype=np.int64)
        self._last = np.zeros(0, dtype=np.int64)
        self._used = np.zeros(0, dtype=np.bool_)
        self._embedded = np.zeros(0, dtype=np.bool_)
        self.terms: dict[str, _Posting] = {}
        self.entities: dict[str, _Posting] = {}

    # ------------------------------------------------------------------ slots

    def __len__(self) -> int:
        return len(self.slots)

    def add(self, key: Hashable) -> int:
        """A slot for the new story ``key`` (set its times and vector with :meth:`update`)."""
        if self._free:
            slot = self._free.pop()
            self.keys[slot] = key
        else:
            if self.size == len(self._used):
                self._grow(max(_MIN_CAPACITY, 2 * self.size))
            slot = self.size
            self.size += 1
            self.keys.append(key)
        self.slots[key] = slot
        self._used[slot] = True
        self._embedded[slot] = False
        return slot

    def remove(self, key: Hashable) -> None:
        """Free ``key``'s slot (its tokens must have been unposted)."""
        slot = self.slots.pop(key)
        self.keys[slot] = None
        self._used[slot] = False
        self._embedded[slot] = False
        self._free.append(slot)
        if len(self._free) >= _MIN_COMPACT and 2 * len(self._free) >= self.size:
            self._compact()

    def update(
        self, slot: int, first: datetime, last: datetime, centroid: npt.NDArray[np.float32] | None
    ) -> None:
        """Set a slot's times and centroid (None: no embedding)."""
        self._first[slot] = micros(first)
        self._last[slot] = micros(last)
        if centroid is None or centroid.ndim != 1:
            self._embedded[slot] = False
            return
        if self.dims is None:
            self.dims = int(centroid.shape[0])
            self._matrix = np.zeros((len(self._used), self.dims), dtype=np.float32)
        if centroid.shape[0] != self.dims:
            self._embedded[slot] = False
            return
        self._matrix[slot] = centroid
        self._embedded[slot] = True

    def centroid(self, slot: int) -> npt.NDArray[np.float32] | None:
        """The slot's centroid row (a view), or None when it has none in the matrix."""
        return self._matrix[slot] if self._embedded[slot] else None

    def first_micros(self, slot: int) -> int:
        return int(self._first[slot])

    def last_micros(self, slot: int) -> int:
        return int(self._last[slot])

    def _grow(self, capacity: int) -> None:
        self._first = _grown(self._first, capacity)
        self._last = _grown(self._last, capacity)
        self._used = _grown(self._used, capacity)
        self._embedded = _grown(self._embedded, capacity)
        if self.dims is not None:
            self._matrix = _grown(self._matrix, capacity)

    def _compact(self) -> None:
        """Move the used slots to the front, in slot order, and renumber the postings."""
        kept = np.flatnonzero(self._used[: self.size])
        renumber = np.full(self.size, -1, dtype=np.int32)
        renumber[kept] = np.arange(kept.size, dtype=np.int32)
        for array in (self._first, self._last, self._used, self._embedded):
            array[: kept.size] = array[kept]
            array[kept.size : self.size] = 0
        if self.dims is not None:
            self._matrix[: kept.size] = self._matrix[kept]
        self.keys = [self.keys[int(i)] for i in kept]
        self.slots = {key: slot for slot, key in enumerate(self.keys)}
        self._free = []
        self.size = int(kept.size)
        for postings in (self.terms, self.entities):
            for posting in postings.values():
                used = posting.slots[: posting.size]
                used[:] = renumber[used]

    # ------------------------------------------------------------------ postings

    def post(self, slot: int, terms: Iterable[str], entities: Iterable[str]) -> None:
        """Record that the story in ``slot`` now uses ``terms`` and ``entities``."""
        for postings, tokens in ((self.terms, terms), (self.entities, entities)):
            for token in tokens:
                posting = postings.get(token)
                if posting is None:
                    postings[token] = _Posting(slot)
                else:
                    posting.add(slot)

    def unpost(self, slot: int, terms: Iterable[str], entities: Iterable[str]) -> None:
        """Undo :meth:`post` for the story in ``slot``."""
        for postings, tokens in ((self.terms, terms), (self.entities, entities)):
            for token in tokens:
                posting = postings.get(token)
                if posting is not None:
                    posting.remove(slot)
                    if not posting.size:
                        del postings[token]

    def term_df(self, term: str) -> int:
        """How many stories use ``term``."""
        posting = self.terms.get(term)
        return 0 if posting is None else posting.size

    def entity_df(self, name: str) -> int:
        posting = self.entities.get(name)
        return 0 if posting is None else posting.size

    # ------------------------------------------------------------------ per article

    def active(self, at: int, window_hours: float) -> Mask:
        """Used slots whose story is within ``window_hours`` of ``at`` (microseconds).

        Exactly the clusterer's ``timedelta.total_seconds() / 3600 <= window_hours`` test
        on the datetimes (see :func:`window_micros`), as integer comparisons.
        """
        size = self.size
        limit = window_micros(window_hours)
        if limit is None:  # an infinite or NaN window: the float test itself
            late: Mask = (at - self._last[:size]) / 1e6 / 3600.0 <= window_hours
            early: Mask = (self._first[:size] - at) / 1e6 / 3600.0 <= window_hours
        else:
            late = self._last[:size] >= at - limit
            early = self._first[:size] <= at + limit
        out: Mask = late & early & self._used[:size]
        return out

    def embedded(self) -> Mask:
        """Slots whose story has a centroid in the matrix."""
        return self._embedded[: self.size]

    def similarities(self, vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Every slot's centroid (garbage for unembedded slots) dotted with ``vector``.

        A single-threaded numpy loop: faster here than a BLAS call, whose threads only
        wait for each other on a small, memory-bound product on a busy machine.
        """
        out: npt.NDArray[np.float32] = np.einsum(
            "ij,j->i", self._matrix[: self.size], vector.astype(np.float32, copy=False)
        )
        return out

    def shared_token_weights(
        self, terms: Iterable[str], entities: Iterable[str], active: Mask, stories: int
    ) -> Floats | None:
        """Per slot, the summed rarity weights of the tokens it shares with an article.

        A token found in ``f`` active stories weighs ``log(1 + stories / f)``; None when no
        active story shares a token.
        """
        everyone = int(np.count_nonzero(active)) == len(self.slots)
        found: list[npt.NDArray[np.int32]] = []
        weights: list[float] = []
        for postings, tokens in ((self.terms, terms), (self.entities, entities)):
            for token in tokens:
                posting = postings.get(token)
                if posting is None:
                    continue
                slots = posting.slots[: posting.size]
                if not everyone:
                    slots = slots[active[slots]]
                    if not slots.size:
                        continue
                found.append(slots)
                weights.append(math.log(1 + stories / slots.size))
        if not found:
            return None
        every = np.concatenate(found)
        each = np.repeat(np.asarray(weights), [len(f) for f in found])
        totals: Floats = np.bincount(every, weights=each, minlength=self.size).astype(
            np.float64, copy=False
        )
        return totals

    def check(self) -> None:
        """Assert the internal invariants (for tests)."""
        assert len(self.keys) == self.size
        assert sorted(self.slots.values()) == sorted(
            i for i, k in enumerate(self.keys) if k is not None
        )
        assert all(self.keys[slot] == key for key, slot in self.slots.items())
        assert sorted(self._free) == [i for i, k in enumerate(self.keys) if k is None]
        assert list(np.flatnonzero(self._used[: self.size])) == sorted(self.slots.values())
        assert not np.any(self._used[self.size :]) and not np.any(self._embedded[self.size :])
        for postings in (self.terms, self.entities):
            for posting in postings.values():
                used = posting.slots[: posting.size]
                assert posting.size > 0 and len(set(used.tolist())) == posting.size
                assert bool(np.all(self._used[used]))
