"""Online story clustering: each new article joins the most similar active story or starts one.

The decision core is pure (no I/O): the storage shell loads the active stories with
:meth:`OnlineClusterer.load`, feeds new articles in publication order to
:meth:`OnlineClusterer.add`, and persists :meth:`OnlineClusterer.stories` afterwards.

Similarity of an article to a story
-----------------------------------
``score = cosine + lexical_weight * lexical + entity_weight * entity - time_penalty``

* ``cosine``: the article embedding against the story centroid (the normalised running mean
  of its members' embeddings).
* ``lexical`` and ``entity``: the share of the article's terms (resp. entities, see
  :mod:`herald.cluster.entities`) that the story's members use, each term weighted by its
  inverse story frequency (a term found in many active stories says little) and by the
  share of the story's members that contain it. Both lie in [0, 1]. They carry the
  decision where the English-centric embedding is weak (Malay, Chinese, names, numbers).
* ``time_penalty``: ``time_weight * (1 - exp(-gap / time_scale_hours))``, where ``gap`` is
  the time between the article and the story's nearest member (zero inside the story's
  span). Coverage of a story fades: a story quiet for a day is much less likely to be the
  one a new article is about than a story that had an article an hour ago, and the penalty
  saturates at ``time_weight`` so a strong match can still revive an old story.

An article joins the best-scoring story whose last article is within ``window_hours`` when
the score is at least ``threshold``; otherwise it starts a new story with a key from the
injected ``allocate`` callable. An article whose non-empty ``fingerprint`` was seen before
joins that story directly (exact and near duplicates).

After a join, the story is merged with another active story whose centroid has converged
to it (centroid cosine plus lexical overlap of the two stories at least
``merge_threshold``): the smaller story moves into the larger, the merge is reported in the
:class:`Assignment` so the shell can re-point the members, and no member is lost.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count as _counter

import numpy as np
import numpy.typing as npt

from herald.cluster.entities import entities, guess_latin_language, terms

StoryKey = int | str
Vector = npt.NDArray[np.float32]

LEAD_SENTENCES = 2
LEAD_CHARS = 200
WORDS_CHARS = 3000
CJK_SHARE = 0.3
MERGE_CANDIDATES = 3


@dataclass
class ClusterItem:
    """One article as the clusterer sees it."""

    id: int | str
    title: str
    text: str
    outlet: str
    published: datetime
    language: str
    embedding: Vector | None
    fingerprint: str = ""


@dataclass
class StoryState:
    """A story's clustering state: enough to decide joins and to persist and restore it.

    ``mean`` is the running mean of the ``vectors`` member embeddings used (``centroid`` is
    it normalised; members in scripts the embedder does not cover add none); ``terms`` and
    ``entities`` count, per term, the members that contain it.
    """

    key: StoryKey
    mean: Vector
    count: int
    outlets: set[str]
    first_seen: datetime
    last_seen: datetime
    terms: Counter[str] = field(default_factory=Counter)
    entities: Counter[str] = field(default_factory=Counter)
    members: list[int | str] = field(default_factory=list)
    fingerprints: set[str] = field(default_factory=set)
    vectors: int = 0

    def __post_init__(self) -> None:
        if not self.vectors and self.mean.size and np.any(self.mean):
            self.vectors = self.count  # restored without a count: all members embedded

    @property
    def centroid(self) -> Vector:
        norm = float(np.linalg.norm(self.mean))
        return (self.mean / max(norm, 1e-12)).astype(np.float32)

    def main_entities(self, limit: int = 8) -> tuple[str, ...]:
        """The entities most members share."""
        return tuple(name for name, _ in self.entities.most_common(limit))


@dataclass(frozen=True)
class Merge:
    """Story ``source`` was merged into story ``target``: re-point its members."""

    source: StoryKey
    target: StoryKey


@dataclass(frozen=True)
class Assignment:
    """Where one article went: its story, whether the story is new, the winning score."""

    story_key: StoryKey
    created: bool
    similarity: float
    merges: tuple[Merge, ...] = ()


@dataclass(frozen=True)
class _Features:
    embedding: Vector | None
    terms: frozenset[str]
    entities: frozenset[str]


def lead(text: str, sentences: int = LEAD_SENTENCES, max_chars: int = LEAD_CHARS) -> str:
    """The first ``sentences`` sentences of ``text``, at most about ``max_chars`` characters."""
    text = " ".join(text.split())
    end = 0
    for _ in range(sentences):
        found = _sentence_end(text, end)
        if found < 0:
            return text[:max_chars]
        end = found
    return text[: min(end, max_chars)]


def _sentence_end(text: str, start: int) -> int:
    """Index just past the next sentence end after ``start``, or -1."""
    best = -1
    for mark in (". ", "? ", "! ", "。", "！", "？"):
        at = text.find(mark, start + 1)
        if at >= 0 and (best < 0 or at < best):
            best = at
    return -1 if best < 0 else best + 1


def embedding_text(title: str, text: str) -> str:
    """What is embedded for an article: its title and the lead of its text."""
    body = lead(text)
    if not body:
        return title.strip()
    return f"{title.strip()}. {body}" if title.strip() else body


def item_words(item: ClusterItem) -> str:
    """The text the lexical signals read: the title and the start of the text."""
    return f"{item.title}\n{item.text[:WORDS_CHARS]}"


def embeddable(item: ClusterItem) -> bool:
    """Whether the (English-only) embedding of ``item`` is meaningful: it is in English.

    The item's ``language`` decides when known; otherwise a guess from its words.
    """
    if item.language:
        return item.language.lower().startswith("en")
    sample = f"{item.title} {item.text[:600]}"
    return cjk_share(sample) < CJK_SHARE and guess_latin_language(sample) == "en"


def cjk_share(text: str) -> float:
    """Share of the letters of ``text`` that are Chinese, Japanese or Korean."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if _is_cjk(c)) / len(letters)


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x3040 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF


def rebuild_state(key: StoryKey, items: Sequence[ClusterItem]) -> StoryState:
    """A story's state rebuilt from its members exactly as the clusterer builds it.

    For storage shells restoring stories: non-English members add no embedding, terms and
    entities are counted per member. ``items`` must not be empty.
    """
    if not items:
        raise ValueError("a story needs at least one member")
    builder = OnlineClusterer(allocate=lambda: key)
    state = builder._create(items[0], builder._features(items[0]))
    for item in items[1:]:
        builder._join(state, item, builder._features(item))
    return state


def _default_allocator() -> Callable[[], StoryKey]:
    numbers = _counter(1)
    return lambda: next(numbers)


class OnlineClusterer:
    """Assigns articles to stories one at a time (see the module docstring)."""

    def __init__(
        self,
        threshold: float = 0.6,
        window_hours: float = 72.0,
        *,
        lexical_weight: float = 0.7,
        entity_weight: float = 0.3,
        headline_offset: float = 0.15,
        lexical_threshold: float = 0.2,
        time_weight: float = 0.2,
        time_scale_hours: float = 12.0,
        merge_threshold: float = 0.8,
        candidates: int = 12,
        allocate: Callable[[], StoryKey] | None = None,
    ) -> None:
        self.threshold = threshold
        self.window_hours = window_hours
        self.lexical_weight = lexical_weight
        self.entity_weight = entity_weight
        self.headline_offset = headline_offset
        self.lexical_threshold = lexical_threshold
        self.time_weight = time_weight
        self.time_scale_hours = time_scale_hours
        self.merge_threshold = merge_threshold
        self.candidates = candidates
        self._allocate = allocate or _default_allocator()
        self._stories: dict[StoryKey, StoryState] = {}
        self._term_df: Counter[str] = Counter()
        self._entity_df: Counter[str] = Counter()
        self._postings: dict[str, set[StoryKey]] = {}
        self._fingerprints: dict[str, StoryKey] = {}
        self._centroids: dict[StoryKey, Vector] = {}

    # ------------------------------------------------------------------ state

    def load(self, states: Iterable[StoryState]) -> None:
        """Restore stories (e.g. the active ones from storage); replaces same-key stories."""
        for state in states:
            if state.key in self._stories:
                self._forget(state.key)
            self._remember(state)

    def stories(self) -> list[StoryState]:
        """Every story held in memory, for persistence."""
        return list(self._stories.values())

    def story(self, key: StoryKey) -> StoryState:
        return self._stories[key]

    def drop_inactive(self, now: datetime) -> list[StoryState]:
        """Forget (and return) stories whose last article is older than the window."""
        old = [s for s in self._stories.values() if _hours(now - s.last_seen) > self.window_hours]
        for state in old:
            self._forget(state.key)
        return old

    def _centroid(self, state: StoryState) -> Vector:
        """The story's centroid, cached until its mean changes."""
        cached = self._centroids.get(state.key)
        if cached is None:
            cached = self._centroids[state.key] = state.centroid
        return cached

    def _remember(self, state: StoryState) -> None:
        self._stories[state.key] = state
        self._centroids.pop(state.key, None)
        self._index(state.key, state.terms.keys(), state.entities.keys(), +1)
        for fingerprint in state.fingerprints:
            self._fingerprints[fingerprint] = state.key

    def _forget(self, key: StoryKey) -> StoryState:
        state = self._stories.pop(key)
        self._centroids.pop(key, None)
        self._index(key, state.terms.keys(), state.entities.keys(), -1)
        for fingerprint in state.fingerprints:
            if self._fingerprints.get(fingerprint) == key:
                del self._fingerprints[fingerprint]
        return state

    def _index(
        self, key: StoryKey, new_terms: Iterable[str], new_entities: Iterable[str], sign: int
    ) -> None:
        for term in new_terms:
            self._term_df[term] += sign
            self._post(term, key, sign)
        for name in new_entities:
            self._entity_df[name] += sign
            self._post("\0" + name, key, sign)

    def _post(self, token: str, key: StoryKey, sign: int) -> None:
        if sign > 0:
            self._postings.setdefault(token, set()).add(key)
            return
        keys = self._postings.get(token)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._postings[token]

    # ------------------------------------------------------------------ decisions

    def add(self, item: ClusterItem) -> Assignment:
        """Assign ``item`` to a story (joining, creating, and maybe merging)."""
        features = self._features(item)
        known = self._fingerprints.get(item.fingerprint) if item.fingerprint else None
        if known is not None and known in self._stories:
            self._join(self._stories[known], item, features)
            return Assignment(known, created=False, similarity=1.0)
        best, score = self._best_story(item, features)
        if best is None or score < self.threshold_for(item):
            state = self._create(item, features)
            return Assignment(state.key, created=True, similarity=max(score, 0.0))
        self._join(best, item, features)
        merges = self._merge_converged(best.key, item.published)
        target = merges[-1].target if merges else best.key
        return Assignment(target, created=False, similarity=score, merges=merges)

    def threshold_for(self, item: ClusterItem) -> float:
        """The join threshold: lower by ``headline_offset`` for headline-only articles."""
        return self.threshold - (0.0 if item.text.strip() else self.headline_offset)

    def _features(self, item: ClusterItem) -> _Features:
        words = item_words(item)
        vector = None
        if item.embedding is not None and embeddable(item):
            vector = np.asarray(item.embedding, dtype=np.float32)
        return _Features(vector, frozenset(terms(words)), frozenset(entities(words)))

    def _active_keys(self, at: datetime) -> list[StoryKey]:
        return [
            key
            for key, s in self._stories.items()
            if _hours(at - s.last_seen) <= self.window_hours
            and _hours(s.first_seen - at) <= self.window_hours
        ]

    def _best_story(
        self, item: ClusterItem, features: _Features
    ) -> tuple[StoryState | None, float]:
        keys = self._active_keys(item.published)
        best: StoryState | None = None
        best_score = -math.inf
        for key in self._candidates(keys, features):
            state = self._stories[key]
            score = self.score(state, item.published, features)
            if score > best_score:
                best, best_score = state, score
        return best, best_score

    def _candidates(self, keys: Sequence[StoryKey], features: _Features) -> set[StoryKey]:
        """The top stories by centroid cosine plus the top stories by shared rare terms."""
        chosen: set[StoryKey] = set()
        if not keys:
            return chosen
        if features.embedding is not None:
            shape = features.embedding.shape
            embedded = [
                k for k in keys if self._stories[k].vectors and self._stories[k].mean.shape == shape
            ]
            if embedded:
                matrix = np.stack([self._centroid(self._stories[k]) for k in embedded])
                sims = matrix @ features.embedding
                chosen.update(embedded[int(i)] for i in np.argsort(-sims)[: self.candidates])
        chosen.update(self._lexical_candidates(set(keys), features))
        return chosen

    def _lexical_candidates(self, active: set[StoryKey], features: _Features) -> list[StoryKey]:
        weights: dict[StoryKey, float] = {}
        tokens = [*features.terms, *("\0" + e for e in features.entities)]
        for token in tokens:
            keys = self._postings.get(token, set()) & active
            if keys:
                weight = math.log(1 + len(self._stories) / len(keys))
                for key in keys:
                    weights[key] = weights.get(key, 0.0) + weight
        ranked = sorted(weights, key=lambda k: -weights[k])
        return ranked[: self.candidates]

    def score(self, state: StoryState, at: datetime, features: _Features) -> float:
        """The combined similarity of an article (its features) to a story."""
        lexical = self._overlap(features.terms, state.terms, state.count, self._term_df)
        named = self._overlap(features.entities, state.entities, state.count, self._entity_df)
        vector = features.embedding
        penalty = self.time_penalty(state, at)
        if vector is None or not state.vectors or state.mean.shape != vector.shape:
            evidence = max(lexical, named) * self.threshold / self.lexical_threshold
            return evidence - penalty
        cosine = float(self._centroid(state) @ vector)
        return cosine + self.lexical_weight * lexical + self.entity_weight * named - penalty

    def time_penalty(self, state: StoryState, at: datetime) -> float:
        """The fading-coverage penalty for an article at ``at`` (see the module docstring)."""
        gap = max(_hours(at - state.last_seen), _hours(state.first_seen - at), 0.0)
        return self.time_weight * -math.expm1(-gap / max(self.time_scale_hours, 1e-9))

    def _overlap(
        self, tokens: frozenset[str], counts: Counter[str], members: int, df: Counter[str]
    ) -> float:
        """Idf-weighted share of ``tokens`` that the story's members use (0..1)."""
        if not tokens or members <= 0:
            return 0.0
        n = len(self._stories) + 1
        total = shared = 0.0
        for token in tokens:
            weight = math.log(1 + n / (1 + df.get(token, 0)))
            total += weight
            shared += weight * math.sqrt(min(counts.get(token, 0) / members, 1.0))
        return shared / total if total else 0.0

    # ------------------------------------------------------------------ updates

    def _create(self, item: ClusterItem, features: _Features) -> StoryState:
        dims = 0 if features.embedding is None else features.embedding.shape[0]
        state = StoryState(
            key=self._allocate(),
            mean=np.zeros(dims, dtype=np.float32),
            count=0,
            outlets=set(),
            first_seen=item.published,
            last_seen=item.published,
        )
        self._remember(state)
        self._join(state, item, features)
        return state

    def _join(self, state: StoryState, item: ClusterItem, features: _Features) -> None:
        new_terms = [t for t in features.terms if t not in state.terms]
        new_entities = [e for e in features.entities if e not in state.entities]
        self._index(state.key, new_terms, new_entities, +1)
        state.terms.update(features.terms)
        state.entities.update(features.entities)
        vector = features.embedding
        if vector is not None:
            if state.mean.shape != vector.shape:
                state.mean, state.vectors = np.zeros_like(vector), 0
            step = (vector - state.mean) / (state.vectors + 1)
            state.mean = (state.mean + step).astype(np.float32)
            state.vectors += 1
            self._centroids.pop(state.key, None)
        state.count += 1
        state.members.append(item.id)
        if item.outlet:
            state.outlets.add(item.outlet)
        state.first_seen = min(state.first_seen, item.published)
        state.last_seen = max(state.last_seen, item.published)
        if item.fingerprint:
            state.fingerprints.add(item.fingerprint)
            self._fingerprints[item.fingerprint] = state.key

    def _merge_converged(self, key: StoryKey, at: datetime) -> tuple[Merge, ...]:
        """Merge the story ``key`` with an active story it has converged to (one at most)."""
        state = self._stories[key]
        if not state.vectors:
            return ()
        partner, similarity = self._closest_story(state, at)
        if partner is None or similarity < self.merge_threshold:
            return ()
        big, small = (state, partner) if state.count >= partner.count else (partner, state)
        self._absorb(big, small)
        return (Merge(small.key, big.key),)

    def _closest_story(self, state: StoryState, at: datetime) -> tuple[StoryState | None, float]:
        """The active story most similar to ``state`` (among the few nearest centroids)."""
        centroid = self._centroid(state)
        others = [
            self._stories[k]
            for k in self._active_keys(at)
            if k != state.key
            and self._stories[k].vectors
            and self._stories[k].mean.shape == centroid.shape
        ]
        if not others:
            return None, -math.inf
        sims = np.stack([self._centroid(o) for o in others]) @ centroid
        best: StoryState | None = None
        best_score = -math.inf
        for index in np.argsort(-sims)[:MERGE_CANDIDATES]:
            other, cosine = others[int(index)], float(sims[int(index)])
            if cosine < self.merge_threshold - self.lexical_weight:
                break
            score = cosine + self.lexical_weight * self._story_overlap(state, other)
            if score > best_score:
                best, best_score = other, score
        return best, best_score

    def _story_overlap(self, a: StoryState, b: StoryState) -> float:
        """Symmetric lexical overlap of two stories' typical terms (0..1)."""
        typical_a = frozenset(t for t, c in a.terms.items() if c * 2 >= a.count)
        typical_b = frozenset(t for t, c in b.terms.items() if c * 2 >= b.count)
        one = self._overlap(typical_a, b.terms, b.count, self._term_df)
        two = self._overlap(typical_b, a.terms, a.count, self._term_df)
        return min(one, two)

    def _absorb(self, big: StoryState, small: StoryState) -> None:
        self._forget(small.key)
        new_terms = [t for t in small.terms if t not in big.terms]
        new_entities = [e for e in small.entities if e not in big.entities]
        self._index(big.key, new_terms, new_entities, +1)
        vectors = big.vectors + small.vectors
        if vectors and big.mean.shape == small.mean.shape:
            mean = (big.mean * big.vectors + small.mean * small.vectors) / vectors
            big.mean, big.vectors = mean.astype(np.float32), vectors
        elif small.vectors:
            big.mean, big.vectors = small.mean, small.vectors
        big.count += small.count
        self._centroids.pop(big.key, None)
        big.terms.update(small.terms)
        big.entities.update(small.entities)
        big.members.extend(small.members)
        big.outlets |= small.outlets
        big.first_seen = min(big.first_seen, small.first_seen)
        big.last_seen = max(big.last_seen, small.last_seen)
        big.fingerprints |= small.fingerprints
        for fingerprint in small.fingerprints:
            self._fingerprints[fingerprint] = big.key


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600.0
