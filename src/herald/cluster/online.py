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

A story can also split: when it reaches ``split_min_members`` and then each time it has
grown by ``split_growth``, its members (read back through the injected ``load_members``) are
divided in two by :func:`herald.cluster.split.two_way_split`; if the two parts are clearly
apart (centroid cosine below ``split_max_cosine`` and merge score below ``merge_threshold -
split_margin``), the smaller part becomes a new story and the :class:`Assignment` reports
the moved members. Without ``load_members`` stories never split.

Scale
-----
Only a few stories are scored per article: the ``candidates`` nearest centroids and the
``candidates`` stories sharing the most rare tokens (plus, for the merge check, the
``MERGE_CANDIDATES`` centroids nearest the joined story). Finding them takes one product
of the centroid matrix with a vector and one weighted count over token postings, both kept
incrementally in :class:`~herald.cluster.story_index.StoryIndex`; 100,000 articles in
11,000 active stories cost about 3 ms per article on one core.
"""

from __future__ import annotations

import functools
import math
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count as _counter

import numpy as np
import numpy.typing as npt

from herald.cluster.entities import entities, guess_latin_language, terms
from herald.cluster.split import Split, two_way_split
from herald.cluster.story_index import Mask, StoryIndex, micros, top_slots
from herald.nlp.furniture import is_furniture, without_furniture
from herald.nlp.glossary import Glossary, glossary, is_chinese
from herald.nlp.malay import MalayGlossary, malay_glossary

StoryKey = int | str
Vector = npt.NDArray[np.float32]

LEAD_SENTENCES = 2
LEAD_CHARS = 200
WORDS_CHARS = 3000
CJK_SHARE = 0.3
MERGE_CANDIDATES = 3
SPLIT_MIN_PART_SHARE = 0.15


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


MemberLoader = Callable[[Sequence[int | str]], Sequence[ClusterItem]]
"""Loads the items of the given member ids (for splitting; see :mod:`herald.cluster.split`)."""


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
    split_check_at: int = 0

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
    splits: tuple[Split, ...] = ()


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
    """What is embedded for an article: its title and the lead of its text, without page
    furniture (a widget for a title, widget lines in the text: :mod:`herald.nlp.furniture`).

    Chinese articles are embedded through their English glosses (see
    :mod:`herald.nlp.glossary`) when the glossary is available.
    """
    body = lead(without_furniture(text))
    title = title.strip()
    if body and is_furniture(title):  # "Sign in to Celebuzz": the text says what it is about
        title = ""
    if (found := _glossary_for(title, text)) is not None:
        title, body = found.gloss(title), found.gloss(body)
    if not body:
        return title
    return f"{title}. {body}" if title else body


def item_words(item: ClusterItem) -> str:
    """The text the lexical signals read: the title and the start of the text.

    A Chinese article adds the English glosses of both, so its terms and names can meet
    those of English (and, for names, Malay) coverage of the same story.
    """
    words = f"{item.title}\n{item.text[:WORDS_CHARS]}"
    found = _glossary_for(item.title, item.text)
    if found is None:
        return words
    return f"{words}\n{found.gloss(words)}"


def embeddable(item: ClusterItem) -> bool:
    """Whether the (English-only) embedding of ``item`` is meaningful.

    English articles, and Chinese ones when they are embedded through their glosses. The
    item's ``language`` decides for other texts when known; otherwise a guess from its words.
    """
    if _glossary_for(item.title, item.text) is not None:
        return True
    if item.language:
        return item.language.lower().startswith("en")
    return reads_as_english(item.title, item.text)


def reads_as_english(title: str, text: str) -> bool:
    """Whether an article's words are English (no Chinese, Japanese or Korean to speak of,
    and more English function words than any other language's)."""
    return _language(_sample(title, text)) == "en"


@functools.lru_cache(maxsize=4096)
def _language(sample: str) -> str:
    """ "zh" for Chinese; "" for other texts mostly in Chinese, Japanese or Korean characters;
    else the guess among Latin-script languages ("en", "ms"...). Cached: the clusterer asks
    of one article several times (its embedding text, its words, whether it is embeddable),
    and each save of a story of all its members."""
    if is_chinese(sample):
        return "zh"
    if cjk_share(sample) >= CJK_SHARE:
        return ""
    return guess_latin_language(sample)


def _sample(title: str, text: str) -> str:
    """The part of an article its language is judged on."""
    return f"{title} {text[:600]}"


def _glossary_for(title: str, text: str) -> Glossary | MalayGlossary | None:
    """The Chinese glossary when the article is Chinese (and the glossary is installed), the
    Malay one when it is Malay or Indonesian, else None."""
    language = _language(_sample(title, text))
    if language == "zh":
        return glossary()
    return malay_glossary() if language == "ms" else None


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
    state = _new_state(key, items[0], item_features(items[0]))
    for item in items[1:]:
        _add_member(state, item, item_features(item))
    return state


def item_features(item: ClusterItem) -> _Features:
    """What the clusterer compares of ``item``: its embedding (if English), terms, entities.

    Terms and entities are interned: the many stories using a word share one string.
    """
    words = item_words(item)
    vector = None
    if item.embedding is not None and embeddable(item):
        vector = np.asarray(item.embedding, dtype=np.float32)
    return _Features(
        vector,
        frozenset(map(sys.intern, terms(words))),
        frozenset(map(sys.intern, entities(words))),
    )


def _new_state(key: StoryKey, item: ClusterItem, features: _Features) -> StoryState:
    """A one-member story of ``item``."""
    dims = 0 if features.embedding is None else features.embedding.shape[0]
    state = StoryState(
        key=key,
        mean=np.zeros(dims, dtype=np.float32),
        count=0,
        outlets=set(),
        first_seen=item.published,
        last_seen=item.published,
    )
    _add_member(state, item, features)
    return state


def _add_member(state: StoryState, item: ClusterItem, features: _Features) -> None:
    """Add ``item`` to ``state`` (the state only: no index)."""
    state.terms.update(features.terms)
    state.entities.update(features.entities)
    vector = features.embedding
    if vector is not None:
        if state.mean.shape != vector.shape:
            state.mean, state.vectors = np.zeros_like(vector), 0
        step = (vector - state.mean) / (state.vectors + 1)
        state.mean = (state.mean + step).astype(np.float32)
        state.vectors += 1
    state.count += 1
    state.members.append(item.id)
    if item.outlet:
        state.outlets.add(item.outlet)
    state.first_seen = min(state.first_seen, item.published)
    state.last_seen = max(state.last_seen, item.published)
    if item.fingerprint:
        state.fingerprints.add(item.fingerprint)


def _embedded_centroid(state: StoryState) -> Vector | None:
    """The story's centroid, None when no member added an embedding."""
    return state.centroid if state.vectors and state.mean.ndim == 1 else None


def _default_allocator() -> Callable[[], StoryKey]:
    numbers = _counter(1)
    return lambda: next(numbers)


@dataclass(frozen=True)
class _Weights:
    """An article's tokens with their rarity weights (for scoring many stories)."""

    terms: dict[str, float]
    terms_total: float
    entities: dict[str, float]
    entities_total: float


class OnlineClusterer:
    """Assigns articles to stories one at a time (see the module docstring).

    The stories live in :class:`~herald.cluster.story_index.StoryIndex` slots (centroid
    matrix, times, token postings), so finding the candidates of an article costs a few
    vector operations over the active stories, not a Python loop over them.
    """

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
        load_members: MemberLoader | None = None,
        split_margin: float = 0.2,
        split_min_members: int = 8,
        split_growth: float = 1.5,
        split_max_cosine: float = 0.35,
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
        self.split_margin = split_margin
        self.split_min_members = split_min_members
        self.split_growth = split_growth
        self.split_max_cosine = split_max_cosine
        self._allocate = allocate or _default_allocator()
        self._load_members = load_members
        self._stories: dict[StoryKey, StoryState] = {}
        self._index = StoryIndex()
        self._fingerprints: dict[str, StoryKey] = {}

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
        """The story's centroid: its row of the index when it has one."""
        slot = self._index.slots.get(state.key)
        row = None if slot is None else self._index.centroid(slot)
        return state.centroid if row is None else row

    def _remember(self, state: StoryState) -> None:
        self._stories[state.key] = state
        slot = self._index.add(state.key)
        self._index.post(slot, state.terms.keys(), state.entities.keys())
        self._refresh(state, slot)
        for fingerprint in state.fingerprints:
            self._fingerprints[fingerprint] = state.key

    def _forget(self, key: StoryKey) -> StoryState:
        state = self._stories.pop(key)
        slot = self._index.slots[key]
        self._index.unpost(slot, state.terms.keys(), state.entities.keys())
        self._index.remove(key)
        for fingerprint in state.fingerprints:
            if self._fingerprints.get(fingerprint) == key:
                del self._fingerprints[fingerprint]
        return state

    def _refresh(self, state: StoryState, slot: int | None = None) -> None:
        """Copy the story's times and centroid into its index slot."""
        if slot is None:
            slot = self._index.slots[state.key]
        self._index.update(slot, state.first_seen, state.last_seen, _embedded_centroid(state))

    # ------------------------------------------------------------------ decisions

    def add(self, item: ClusterItem) -> Assignment:
        """Assign ``item`` to a story (joining, creating, and maybe merging)."""
        features = self._features(item)
        known = self._fingerprints.get(item.fingerprint) if item.fingerprint else None
        if known is not None and known in self._stories:
            self._join(self._stories[known], item, features)
            return Assignment(known, created=False, similarity=1.0)
        active = self._active(item.published)
        best, score = self._best_story(item, features, active)
        if best is None or score < self.threshold_for(item):
            state = self._create(item, features)
            return Assignment(state.key, created=True, similarity=max(score, 0.0))
        self._join(best, item, features)
        merges = self._merge_converged(best.key, item.published, active)
        target = merges[-1].target if merges else best.key
        split = self._maybe_split(target)
        if split is not None and item.id in split.moved:
            target = split.target
        splits = () if split is None else (split,)
        return Assignment(target, created=False, similarity=score, merges=merges, splits=splits)

    def threshold_for(self, item: ClusterItem) -> float:
        """The join threshold: lower by ``headline_offset`` for headline-only articles."""
        return self.threshold - (0.0 if item.text.strip() else self.headline_offset)

    def _features(self, item: ClusterItem) -> _Features:
        return item_features(item)

    def _active(self, at: datetime) -> Mask:
        """Per index slot: is the story within the window of ``at`` (either side)."""
        if self._stories:
            _hours(at - next(iter(self._stories.values())).last_seen)  # naive vs aware: raise
        return self._index.active(micros(at), self.window_hours)

    def _best_story(
        self, item: ClusterItem, features: _Features, active: Mask | None = None
    ) -> tuple[StoryState | None, float]:
        if active is None:
            active = self._active(item.published)
        best: StoryState | None = None
        best_score = -math.inf
        candidates = self._candidates(active, features)
        if not candidates:
            return best, best_score
        weights = self._weights(features)
        for key in candidates:
            state = self._stories[key]
            score = self._score(state, item.published, features, weights)
            if score > best_score:
                best, best_score = state, score
        return best, best_score

    def _candidates(self, active: Mask, features: _Features) -> set[StoryKey]:
        """The top stories by centroid cosine plus the top stories by shared rare terms."""
        chosen: set[StoryKey] = set()
        if not active.any():
            return chosen
        keys = self._index.keys
        vector = features.embedding
        if vector is not None:
            if vector.ndim == 1 and vector.shape[0] == self._index.dims:
                sims = self._index.similarities(vector)
                top = top_slots(sims, active & self._index.embedded(), self.candidates)
                chosen.update(keys[slot] for slot in top)  # type: ignore[misc]
            else:  # a vector of another width than the index's: compare one by one
                chosen.update(self._odd_candidates(active, vector))
        chosen.update(self._lexical_candidates(active, features))
        return chosen

    def _odd_candidates(self, active: Mask, vector: Vector) -> list[StoryKey]:
        slots = self._index.slots
        embedded = [
            s
            for s in self._stories.values()
            if active[slots[s.key]] and s.vectors and s.mean.shape == vector.shape
        ]
        if not embedded:
            return []
        sims = np.stack([s.centroid for s in embedded]) @ vector
        return [embedded[int(i)].key for i in np.argsort(-sims)[: self.candidates]]

    def _lexical_candidates(self, active: Mask, features: _Features) -> list[StoryKey]:
        totals = self._index.shared_token_weights(
            features.terms, features.entities, active, len(self._stories)
        )
        if totals is None:
            return []
        keys = self._index.keys
        return [keys[s] for s in top_slots(totals, totals > 0, self.candidates)]  # type: ignore[misc]

    def score(self, state: StoryState, at: datetime, features: _Features) -> float:
        """The combined similarity of an article (its features) to a story."""
        return self._score(state, at, features, self._weights(features))

    def _weights(self, features: _Features) -> _Weights:
        """The rarity weight of each of the article's tokens (the same for every story)."""
        n = len(self._stories) + 1
        log = math.log
        term_weights = {t: log(1 + n / (1 + self._index.term_df(t))) for t in features.terms}
        entity_weights = {e: log(1 + n / (1 + self._index.entity_df(e))) for e in features.entities}
        return _Weights(
            term_weights,
            sum(term_weights.values()),
            entity_weights,
            sum(entity_weights.values()),
        )

    def _score(
        self, state: StoryState, at: datetime, features: _Features, weights: _Weights
    ) -> float:
        lexical = _weighted_overlap(weights.terms, weights.terms_total, state.terms, state.count)
        named = _weighted_overlap(
            weights.entities, weights.entities_total, state.entities, state.count
        )
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
        self, tokens: Iterable[str], counts: Counter[str], members: int, df: Callable[[str], int]
    ) -> float:
        """Idf-weighted share of ``tokens`` that the story's members use (0..1)."""
        n = len(self._stories) + 1
        weights = {token: math.log(1 + n / (1 + df(token))) for token in tokens}
        return _weighted_overlap(weights, sum(weights.values()), counts, members)

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
        slot = self._index.slots[state.key]
        self._index.post(slot, new_terms, new_entities)
        _add_member(state, item, features)
        self._refresh(state, slot)
        if item.fingerprint:
            self._fingerprints[item.fingerprint] = state.key

    def _merge_converged(
        self, key: StoryKey, at: datetime, active: Mask | None = None
    ) -> tuple[Merge, ...]:
        """Merge the story ``key`` with an active story it has converged to (one at most)."""
        state = self._stories[key]
        if not state.vectors:
            return ()
        if active is None:
            active = self._active(at)
        partner, similarity = self._closest_story(state, active)
        if partner is None or similarity < self.merge_threshold:
            return ()
        big, small = (state, partner) if state.count >= partner.count else (partner, state)
        self._absorb(big, small)
        return (Merge(small.key, big.key),)

    def _closest_story(self, state: StoryState, active: Mask) -> tuple[StoryState | None, float]:
        """The active story most similar to ``state`` (among the few nearest centroids)."""
        centroid = self._centroid(state)
        nearest = self._nearest(state, centroid, active)
        best: StoryState | None = None
        best_score = -math.inf
        for other, cosine in nearest:
            if cosine < self.merge_threshold - self.lexical_weight:
                break
            score = cosine + self.lexical_weight * self._story_overlap(state, other)
            if score > best_score:
                best, best_score = other, score
        return best, best_score

    def _nearest(
        self, state: StoryState, centroid: Vector, active: Mask
    ) -> list[tuple[StoryState, float]]:
        """The ``MERGE_CANDIDATES`` other active stories nearest ``centroid``, nearest first."""
        index = self._index
        if centroid.ndim == 1 and centroid.shape[0] == index.dims:
            sims = index.similarities(centroid)
            mask = active & index.embedded()
            mask[index.slots[state.key]] = False
            top = top_slots(sims, mask, MERGE_CANDIDATES)
            return [(self._stories[index.keys[s]], float(sims[s])) for s in top]  # type: ignore[index]
        others = [
            s
            for s in self._stories.values()
            if s.key != state.key
            and active[index.slots[s.key]]
            and s.vectors
            and s.mean.shape == centroid.shape
        ]
        if not others:
            return []
        sims = np.stack([o.centroid for o in others]) @ centroid
        return [(others[int(i)], float(sims[int(i)])) for i in np.argsort(-sims)[:MERGE_CANDIDATES]]

    # ------------------------------------------------------------------ splits

    def _maybe_split(self, key: StoryKey) -> Split | None:
        """Split story ``key`` in two when it has grown into two stories (see
        :mod:`herald.cluster.split`); checked when its size reaches ``split_min_members`` and
        then each time it grows by ``split_growth``. Needs ``load_members``."""
        state = self._stories[key]
        if self._load_members is None or state.count < max(
            self.split_min_members, state.split_check_at
        ):
            return None
        state.split_check_at = math.ceil(state.count * self.split_growth)
        items = list(self._load_members(state.members))
        if len(items) != len(state.members):  # a split must account for every member
            return None
        parts = self._split_parts(state, items)
        if parts is None:
            return None
        kept, moved = parts
        return self._apply_split(state, kept, moved)

    def _split_parts(
        self, state: StoryState, items: list[ClusterItem]
    ) -> tuple[StoryState, StoryState] | None:
        """The two stories ``state`` would become, or None when its members do not part.

        The parts' centroids are compared first: when they are close even before their
        words are, the story stays whole without rebuilding anything (most checks end here).
        """
        embedded = [i for i, it in enumerate(items) if it.embedding is not None and embeddable(it)]
        if len(embedded) < self.split_min_members:
            return None
        vectors = np.stack([np.asarray(items[i].embedding, dtype=np.float32) for i in embedded])
        mask = two_way_split(vectors, max(3, math.ceil(SPLIT_MIN_PART_SHARE * len(embedded))))
        limit = self.merge_threshold - self.split_margin
        if mask is None or _cosine(vectors[mask].mean(0), vectors[~mask].mean(0)) >= min(
            limit, self.split_max_cosine
        ):
            return None
        moving = {embedded[i] for i in np.flatnonzero(mask).tolist()}
        moved = rebuild_state(state.key, [items[i] for i in sorted(moving)])
        kept = rebuild_state(state.key, [items[i] for i in embedded if i not in moving])
        for i in sorted(set(range(len(items))) - set(embedded)):  # no embedding: follow words
            features = item_features(items[i])
            near = self._word_share(features, moved) > self._word_share(features, kept)
            _add_member(moved if near else kept, items[i], features)
        overlap = self._story_overlap(kept, moved)
        if float(kept.centroid @ moved.centroid) + self.lexical_weight * overlap >= limit:
            return None
        return kept, moved

    def _word_share(self, features: _Features, state: StoryState) -> float:
        weights = self._weights(features)
        return _weighted_overlap(weights.terms, weights.terms_total, state.terms, state.count)

    def _apply_split(self, state: StoryState, kept: StoryState, moved: StoryState) -> Split:
        """Replace ``state`` by ``kept`` (same key) and the new story ``moved``."""
        self._forget(state.key)
        moved.key = self._allocate()
        kept.fingerprints |= state.fingerprints - moved.fingerprints
        for part in (kept, moved):
            part.split_check_at = math.ceil(part.count * self.split_growth)
            self._remember(part)
        return Split(state.key, moved.key, tuple(moved.members))

    def _story_overlap(self, a: StoryState, b: StoryState) -> float:
        """Symmetric lexical overlap of two stories' typical terms (0..1)."""
        typical_a = [t for t, c in a.terms.items() if c * 2 >= a.count]
        typical_b = [t for t, c in b.terms.items() if c * 2 >= b.count]
        df = self._index.term_df
        one = self._overlap(typical_a, b.terms, b.count, df)
        two = self._overlap(typical_b, a.terms, a.count, df)
        return min(one, two)

    def _absorb(self, big: StoryState, small: StoryState) -> None:
        self._forget(small.key)
        new_terms = [t for t in small.terms if t not in big.terms]
        new_entities = [e for e in small.entities if e not in big.entities]
        slot = self._index.slots[big.key]
        self._index.post(slot, new_terms, new_entities)
        vectors = big.vectors + small.vectors
        if vectors and big.mean.shape == small.mean.shape:
            mean = (big.mean * big.vectors + small.mean * small.vectors) / vectors
            big.mean, big.vectors = mean.astype(np.float32), vectors
        elif small.vectors:
            big.mean, big.vectors = small.mean, small.vectors
        big.count += small.count
        big.terms.update(small.terms)
        big.entities.update(small.entities)
        big.members.extend(small.members)
        big.outlets |= small.outlets
        big.first_seen = min(big.first_seen, small.first_seen)
        big.last_seen = max(big.last_seen, small.last_seen)
        big.fingerprints |= small.fingerprints
        for fingerprint in small.fingerprints:
            self._fingerprints[fingerprint] = big.key
        self._refresh(big, slot)

    def check_index(self) -> None:
        """Assert that the index agrees with the stories (for tests; slow)."""
        index = self._index
        index.check()
        assert set(index.slots) == set(self._stories)
        for key, state in self._stories.items():
            slot = index.slots[key]
            assert index.last_micros(slot) == micros(state.last_seen)
            assert index.first_micros(slot) == micros(state.first_seen)
            row = index.centroid(slot)
            expected = _embedded_centroid(state)
            if expected is None or expected.shape[0] != index.dims:
                assert row is None
            else:
                assert row is not None and np.array_equal(row, expected)
        for postings, field_name in ((index.terms, "terms"), (index.entities, "entities")):
            users: dict[str, set[int]] = {}
            for key, state in self._stories.items():
                for token in getattr(state, field_name):
                    users.setdefault(token, set()).add(index.slots[key])
            assert set(postings) == set(users)
            for token, posting in postings.items():
                assert set(posting.slots[: posting.size].tolist()) == users[token]


def _weighted_overlap(
    weights: dict[str, float], total: float, counts: Counter[str], members: int
) -> float:
    """Share of the token weight whose tokens the story's members use (0..1).

    Each token counts by the square root of the share of members that use it.
    """
    if not weights or members <= 0 or not total:
        return 0.0
    shared = 0.0
    sqrt = math.sqrt
    for token in counts.keys() & weights.keys():
        used = counts[token]
        shared += weights[token] * (1.0 if used >= members else sqrt(used / members))
    return shared / total


def _cosine(a: Vector, b: Vector) -> float:
    return float(a @ b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600.0
