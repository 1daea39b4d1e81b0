"""Near-duplicate detection for wire copies: shingles, SimHash, MinHash and an LSH index.

Texts become sets of word 5-shingles (case-folded ``\\w+`` words; a text of fewer than five
words is one shingle). Each word is hashed once with BLAKE2b (stable across processes and
machines) and a shingle's 64-bit hash is a position-weighted sum of its words' hashes.

* ``shingle_similarity``: exact Jaccard similarity of two shingle sets;
* ``fingerprint``: a 64-bit SimHash of the shingles, as 16 hex digits; copies differ in a few
  bits (``hamming_distance``);
* ``NearDuplicateIndex``: MinHash signatures (256 multiply-shift hashes) banded for LSH
  (32 bands of 8 rows): a pair with Jaccard 0.8 becomes a candidate with probability 0.997,
  0.7 with 0.94, 0.5 with 0.12; candidates are then ranked by the share of equal MinHash
  values, an unbiased estimate of their Jaccard similarity (standard error about 0.02 near
  0.85, so pairs within a few hundredths of the threshold may fall on either side).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

SHINGLE_WORDS = 5
_WORD = re.compile(r"\w+")
_POSITION_MULTIPLIERS = np.array(
    [pow(0x9E3779B97F4A7C15, k + 1, 1 << 64) | 1 for k in range(SHINGLE_WORDS)], dtype=np.uint64
)
_BLOCK = 2048  # shingles hashed at once when computing MinHash signatures

Hashes = npt.NDArray[np.uint64]
Signature = npt.NDArray[np.uint32]
K = TypeVar("K", bound=Hashable)


def words(text: str) -> list[str]:
    """Case-folded word tokens."""
    return _WORD.findall(text.casefold())


def _word_hashes(tokens: list[str]) -> Hashes:
    cache: dict[str, int] = {}
    values = []
    for token in tokens:
        value = cache.get(token)
        if value is None:
            digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
            value = cache[token] = int.from_bytes(digest, "little")
        values.append(value)
    return np.array(values, dtype=np.uint64)


def shingle_hashes(text: str, size: int = SHINGLE_WORDS) -> Hashes:
    """Sorted unique 64-bit hashes of the text's word shingles (empty for a text without words)."""
    hashes = _word_hashes(words(text))
    if len(hashes) == 0:
        return hashes
    width = min(size, len(hashes))
    count = len(hashes) - width + 1
    combined = np.zeros(count, dtype=np.uint64)
    for k in range(width):
        combined += hashes[k : k + count] * _POSITION_MULTIPLIERS[k]
    return np.unique(combined)


def shingle_similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' word 5-shingle sets (0.0 if either has no words)."""
    first, second = shingle_hashes(a), shingle_hashes(b)
    if len(first) == 0 or len(second) == 0:
        return 0.0
    common = len(np.intersect1d(first, second, assume_unique=True))
    return common / (len(first) + len(second) - common)


def fingerprint(text: str) -> str:
    """64-bit SimHash of the text's shingles as 16 lower-case hex digits."""
    return fingerprint_of(shingle_hashes(text))


def fingerprint_of(hashes: Hashes) -> str:
    """``fingerprint`` of ``shingle_hashes`` output."""
    if len(hashes) == 0:
        return "0" * 16
    shifts = np.arange(64, dtype=np.uint64)
    bits = ((hashes[:, None] >> shifts) & np.uint64(1)).astype(np.int64)
    votes = 2 * bits.sum(axis=0) - len(hashes)
    value = sum(1 << int(i) for i in np.flatnonzero(votes > 0))
    return f"{value:016x}"


def hamming_distance(a: str, b: str) -> int:
    """Number of differing bits between two fingerprints."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


class MinHasher:
    """MinHash signatures over shingle hashes with ``size`` seeded multiply-shift functions."""

    def __init__(self, size: int = 256, seed: int = 20_240_601) -> None:
        rng = np.random.default_rng(seed)
        high = np.iinfo(np.uint64).max
        self.size = size
        self._a = rng.integers(1, high, size=size, dtype=np.uint64, endpoint=True) | np.uint64(1)
        self._b = rng.integers(0, high, size=size, dtype=np.uint64, endpoint=True)

    def signature(self, hashes: Hashes) -> Signature:
        """Minimum of each hash function over the shingles (all ones for no shingles)."""
        lowest = np.full(self.size, np.iinfo(np.uint32).max, dtype=np.uint32)
        for start in range(0, len(hashes), _BLOCK):
            block = hashes[start : start + _BLOCK, None]
            values = ((block * self._a + self._b) >> np.uint64(32)).astype(np.uint32)
            np.minimum(lowest, values.min(axis=0), out=lowest)
        return lowest


class _BandTable:
    """A multimap from 64-bit band keys to slots: a sorted array plus an unsorted tail that
    is merged in once it outgrows a sixteenth of the table (amortised O(log n) per insert)."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, dtype=np.uint64)
        self._slots = np.zeros(0, dtype=np.int64)
        self._tail_keys = np.zeros(4096, dtype=np.uint64)
        self._tail_slots = np.zeros(4096, dtype=np.int64)
        self._tail_size = 0

    def add(self, keys: Hashes, slot: int) -> None:
        end = self._tail_size + len(keys)
        if end > len(self._tail_keys):
            self._tail_keys = np.resize(self._tail_keys, 2 * end)
            self._tail_slots = np.resize(self._tail_slots, 2 * end)
        self._tail_keys[self._tail_size : end] = keys
        self._tail_slots[self._tail_size : end] = slot
        self._tail_size = end
        if end > max(4096, len(self._keys) // 16):
            self._merge()

    def lookup(self, keys: Hashes) -> npt.NDArray[np.int64]:
        """Slots stored under any of the keys (with repeats)."""
        left = np.searchsorted(self._keys, keys, side="left")
        right = np.searchsorted(self._keys, keys, side="right")
        found = [self._slots[a:b] for a, b in zip(left.tolist(), right.tolist(), strict=True)]
        tail = slice(0, self._tail_size)
        found.append(self._tail_slots[tail][np.isin(self._tail_keys[tail], keys)])
        return np.concatenate(found)

    def _merge(self) -> None:
        tail = slice(0, self._tail_size)
        keys = np.concatenate([self._keys, self._tail_keys[tail]])
        slots = np.concatenate([self._slots, self._tail_slots[tail]])
        order = np.argsort(keys, kind="stable")
        self._keys, self._slots = keys[order], slots[order]
        self._tail_size = 0


class NearDuplicateIndex(Generic[K]):
    """In-memory MinHash-LSH index of texts by key: ``add``, ``find``, ``matches``, ``remove``.

    About 0.8 KB per text (a 256-value signature kept as 16-bit values, 32 band keys);
    100,000 texts take about 80 MB. Removed keys are only marked dead.
    """

    def __init__(self, bands: int = 32, rows: int = 8, seed: int = 20_240_601) -> None:
        self.bands, self.rows = bands, rows
        self._hasher = MinHasher(bands * rows, seed)
        rng = np.random.default_rng(seed + 1)
        high = np.iinfo(np.uint64).max
        self._row_weights = rng.integers(1, high, size=rows, dtype=np.uint64) | np.uint64(1)
        self._band_salts = rng.integers(0, high, size=bands, dtype=np.uint64)
        self._signatures = np.zeros((1024, bands * rows), dtype=np.uint16)
        self._alive = np.zeros(1024, dtype=bool)
        self._keys: list[K] = []
        self._slots: dict[K, int] = {}
        self._table = _BandTable()

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, key: object) -> bool:
        return key in self._slots

    def signature(self, text: str) -> Signature | None:
        """The text's MinHash signature, or None for a text without words (indexes built
        with the same bands, rows and seed give the same signature, in any process)."""
        return self.signature_of(shingle_hashes(text))

    def signature_of(self, hashes: Hashes) -> Signature | None:
        """The MinHash signature of ``shingle_hashes`` output (None when empty)."""
        return self._hasher.signature(hashes) if len(hashes) else None

    def add(self, key: K, text: str) -> None:
        """Index a text under key, replacing the key's earlier text; a text without words
        is not indexed."""
        self.add_signature(key, self.signature(text))

    def add_signature(self, key: K, signature: Signature | None) -> None:
        """``add`` for a signature computed earlier (None: only forget the key)."""
        self.remove(key)
        if signature is None:
            return
        slot = len(self._keys)
        self._grow(slot + 1)
        self._signatures[slot] = signature.astype(np.uint16)
        self._alive[slot] = True
        self._keys.append(key)
        self._slots[key] = slot
        self._table.add(self._band_keys(signature), slot)

    def remove(self, key: K) -> None:
        """Forget a key (no-op for an unknown key)."""
        slot = self._slots.pop(key, None)
        if slot is not None:
            self._alive[slot] = False

    def find(self, text: str, threshold: float = 0.8) -> K | None:
        """The indexed key most similar to text if its estimated Jaccard is >= threshold."""
        matches = self.matches(text, threshold)
        return matches[0][0] if matches else None

    def matches(self, text: str, threshold: float = 0.8) -> list[tuple[K, float]]:
        """Indexed keys with estimated Jaccard >= threshold, most similar first."""
        return self.matches_signature(self.signature(text), threshold)

    def find_signature(self, signature: Signature | None, threshold: float = 0.8) -> K | None:
        """``find`` for a signature computed earlier."""
        matches = self.matches_signature(signature, threshold)
        return matches[0][0] if matches else None

    def matches_signature(
        self, signature: Signature | None, threshold: float = 0.8
    ) -> list[tuple[K, float]]:
        """``matches`` for a signature computed earlier."""
        if signature is None:
            return []
        slots = np.unique(self._table.lookup(self._band_keys(signature)))
        slots = slots[self._alive[slots]]
        scores = (self._signatures[slots] == signature.astype(np.uint16)).mean(axis=1)
        keep = scores >= threshold
        ranked = sorted(zip(slots[keep].tolist(), scores[keep].tolist(), strict=True), key=_score)
        return [(self._keys[slot], score) for slot, score in ranked]

    def _band_keys(self, signature: Signature) -> Hashes:
        rows = signature.astype(np.uint64).reshape(self.bands, self.rows)
        keys: Hashes = (rows * self._row_weights).sum(axis=1, dtype=np.uint64) + self._band_salts
        return keys

    def _grow(self, needed: int) -> None:
        capacity = len(self._alive)
        if needed <= capacity:
            return
        size = max(needed, 2 * capacity)
        signatures = np.zeros((size, self._signatures.shape[1]), dtype=np.uint16)
        signatures[:capacity] = self._signatures
        alive = np.zeros(size, dtype=bool)
        alive[:capacity] = self._alive
        self._signatures, self._alive = signatures, alive


def _score(pair: tuple[int, float]) -> float:
    return -pair[1]
