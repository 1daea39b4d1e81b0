"""Rank a reader's feed: the pure core (no I/O) of the ``rank`` stage.

A story's score adds a base part, the same for every reader (how much it is trending, how
fresh it is, its quality: independent outlets, a verified article), and the reader's
relevance: explicit follows (topics, entities, outlets, regions, stories; bounded) plus what
their reading taught (``herald.rank.signals``: implicit affinities for the topics, entities
and outlets of the stories read or turned away, and the embedding similarity to them; squashed
and bounded, so learning never outweighs an explicit follow). Mutes are absolute, and a story
the reader hid or asked to see less of is never shown again.

Selection is greedy with a diversity penalty per topic and caps on the first page (per topic,
and at most three link-only stories); a small, labelled share of slots goes to stories outside
the reader's usual topics. Every card carries its reason as data (``CardReason``) and as text.

For speed the candidates form a ``Pool`` (``herald.rank.pool``), built once and ranked for
many readers with numpy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from herald.rank.pool import Bools, Floats, Ints, Item, KeyRows, Pool, Window, build_pool
from herald.rank.regions import region_key, region_name
from herald.rank.signals import NOTHING, Learned, norm
from herald.rank.topics import topic_name
from herald.types import (
    CardReason,
    FeedCard,
    FollowKind,
    Preference,
    Reader,
    ReasonKind,
    Story,
    Writeup,
)
from herald.write.dateline import labels

__all__ = [
    "EXPLORE_REASON",
    "SIMILAR_REASON",
    "Pool",
    "Profile",
    "Scored",
    "build_pool",
    "rank_feed",
    "rank_pool",
    "reason_text",
    "score",
    "select",
    "subject_name",
    "why",
]

TOPIC_CAP_WINDOW = 10
TOPIC_CAP = 4  # at most 40% of the first TOPIC_CAP_WINDOW cards share one topic
TOPIC_PENALTY = 0.35
# Link-only stories (no article written) take at most 3 of the first 10 cards.
TYPE_CAPS = {"links": 3}
RELEVANCE_WEIGHTS = {
    FollowKind.STORY: 3.0,
    FollowKind.TOPIC: 2.5,
    FollowKind.ENTITY: 2.5,
    FollowKind.OUTLET: 1.5,
    FollowKind.REGION: 1.5,
}
RELEVANCE_CAP = 4.0
# Learned relevance: affinities squashed by tanh(a / AFFINITY_SCALE), weighted per kind.
AFFINITY_SCALE = 3.0
TOPIC_WEIGHT = 1.0
ENTITY_WEIGHT = 1.2
OUTLET_WEIGHT = 0.5
# Embedding similarity counts from EMBED_FLOOR (cosine) and in full from EMBED_FULL.
EMBED_WEIGHT = 1.2
EMBED_NEGATIVE_WEIGHT = 1.5
EMBED_FLOOR = 0.25
EMBED_FULL = 0.65
LEARNED_MIN = -3.0
LEARNED_MAX = 2.0  # below an explicit follow (2.5)
# A learned pull this strong is the card's reason ("Because you read about ...").
READ_REASON_MIN = 0.5
# A topic this strong in the reader's reading is one of their usual topics.
USUAL_TOPIC_MIN = 0.5
# An explore card has no pull of any kind from the reader's profile.
EXPLORE_MAX_LEARNED = 0.1
EXPLORE_REASON = "Outside your usual topics"
SIMILAR_REASON = "Similar to stories you read"
# The reason names the most specific follow a card matches.
FOLLOW_ORDER = (
    FollowKind.STORY,
    FollowKind.TOPIC,
    FollowKind.ENTITY,
    FollowKind.OUTLET,
    FollowKind.REGION,
)


# --------------------------------------------------------------------------- the reader


@dataclass(frozen=True)
class Profile:
    """A reader's follows and mutes, and what their reading taught."""

    follows: tuple[Preference, ...]
    mutes: tuple[Preference, ...]
    personalized: bool
    learned: Learned = NOTHING

    @classmethod
    def of(cls, reader: Reader | None, learned: Learned = NOTHING) -> Profile:
        prefs = reader.preferences if reader is not None else ()
        return cls(
            follows=tuple(p for p in prefs if not p.muted),
            mutes=tuple(p for p in prefs if p.muted),
            personalized=reader is not None and reader.personalized,
            learned=learned,
        )

    @property
    def customized(self) -> bool:
        """Whether this reader's feed differs from the anonymous one."""
        return self.personalized or self.learned.active

    @cached_property
    def muted_outlets(self) -> tuple[frozenset[str], frozenset[str]]:
        """The muted outlet names and region keys."""
        names = frozenset(norm(p.value) for p in self.mutes if p.kind is FollowKind.OUTLET)
        regions = frozenset(region_key(p.value) for p in self.mutes if p.kind is FollowKind.REGION)
        return names, regions

    @property
    def has_interests(self) -> bool:
        """Whether there is anything to explore beyond: follows or positive reading."""
        return bool(self.follows) or self.learned.interested


def _outlet_muted(item: Item, n: int, names: frozenset[str], regions: frozenset[str]) -> bool:
    return item.outlet_keys[n] in names or (item.regions[n] or "\0") in regions


def shown_outlets(item: Item, profile: Profile) -> tuple[str, ...]:
    """The candidate's outlets less the muted ones (by name or region)."""
    names, regions = profile.muted_outlets
    if names.isdisjoint(item.outlet_key_set) and regions.isdisjoint(item.region_set):
        return item.outlets
    return tuple(
        o for n, o in enumerate(item.outlets) if not _outlet_muted(item, n, names, regions)
    )


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Scored:
    """Every candidate's score parts for one reader."""

    total: Floats
    explicit: Floats
    learned: Floats
    parts: dict[str, Floats]  # learned parts: topic, entity, outlet, similar
    excluded: Bools
    explore_ok: Bools
    at: datetime | None = None  # the moment scored (None: the pool's own)


def excluded(pool: Pool, profile: Profile) -> Bools:
    """Muted or hidden candidates. A muted outlet or region hides a story it alone covers."""
    out: Bools = np.zeros(len(pool), dtype=np.bool_)
    by_outlet: list[Ints] = []
    for pref in profile.mutes:
        if pref.kind in (FollowKind.OUTLET, FollowKind.REGION):
            by_outlet.append(pool.where(pref))
        else:
            out[pool.where(pref)] = True
    if by_outlet:
        out |= pool.all_outlets_in(*profile.muted_outlets)
    for story_id in profile.learned.hidden:
        found = pool.by_story.get(story_id)
        if found is not None:
            out[found] = True
    return out


def explicit_part(pool: Pool, profile: Profile) -> Floats:
    out: Floats = np.zeros(len(pool), dtype=np.float64)
    for pref in profile.follows:
        out[pool.where(pref)] += RELEVANCE_WEIGHTS[pref.kind]
    return np.minimum(out, RELEVANCE_CAP)


def _squash(value: float) -> float:
    return math.tanh(value / AFFINITY_SCALE)


def _extremes(pool_size: int, index: KeyRows, found: Mapping[str, float]) -> Floats:
    """Per candidate: its strongest liked key plus its strongest disliked key (squashed)."""
    best: Floats = np.zeros(pool_size, dtype=np.float64)
    worst: Floats = np.zeros(pool_size, dtype=np.float64)
    ids = index.ids
    known = [(ids[key], amount) for key, amount in found.items() if key in ids]
    if known:
        keys = np.array([k for k, _ in known], dtype=np.intp)
        values = np.array([_squash(amount) for _, amount in known], dtype=np.float64)
        rows, each = index.gather(keys, values)
        liked = each > 0
        # A maximum or a minimum does not depend on the order: one call per side.
        np.maximum.at(best, rows[liked], each[liked])
        np.minimum.at(worst, rows[~liked], each[~liked])
    return best + worst


def _ramp(cosines: NDArray[np.floating]) -> Floats:
    return np.clip((cosines.astype(np.float64) - EMBED_FLOOR) / (EMBED_FULL - EMBED_FLOOR), 0, 1)


def similar_part(pool: Pool, learned: Learned, window: Window | None = None) -> Floats:
    """Embedding similarity to the stories read, less similarity to the ones turned away
    (for the candidates of ``window``; for all of them without one)."""
    out: Floats = np.zeros(len(pool), dtype=np.float64)
    rows = pool.unit_rows if window is None else window.rows
    if rows is None:
        return out
    for vector, weight in (
        (learned.positive, EMBED_WEIGHT),
        (learned.negative, -EMBED_NEGATIVE_WEIGHT),
    ):
        if vector is not None and vector.shape == (rows.shape[1],):
            ramp = weight * _ramp((rows @ vector).astype(np.float32))  # ``affinity``'s cosines
            if window is None:
                out += ramp
            else:
                out[window.live] += ramp
    return out


def learned_parts(pool: Pool, learned: Learned, window: Window | None = None) -> dict[str, Floats]:
    n = len(pool)
    topic: Floats = np.zeros(n, dtype=np.float64)
    for key, amount in learned.topics.items():
        rows = pool.by_topic.get(key)
        if rows is not None:
            topic[rows] = TOPIC_WEIGHT * _squash(amount)
    return {
        "topic": topic,
        "entity": ENTITY_WEIGHT * _extremes(n, pool.entity_rows, learned.entities),
        "outlet": OUTLET_WEIGHT * _extremes(n, pool.outlet_rows, learned.outlets),
        "similar": similar_part(pool, learned, window),
    }


def score(pool: Pool, profile: Profile, at: datetime | None = None) -> Scored:
    """Score every candidate for one reader at ``at`` (default: the pool's ``now``); those
    outside the moment's window are excluded."""
    window = pool.window(at)
    explicit = explicit_part(pool, profile)
    parts = learned_parts(pool, profile.learned, window)
    learned = np.clip(sum(parts.values(), np.zeros(len(pool))), LEARNED_MIN, LEARNED_MAX)
    out = excluded(pool, profile) | ~window.candidate
    total = np.round(window.base + explicit + learned, 6)
    return Scored(
        total,
        explicit,
        learned,
        parts,
        out,
        _explore_ok(pool, profile, explicit, learned, out),
        at,
    )


def _explore_ok(
    pool: Pool, profile: Profile, explicit: Floats, learned: Floats, out: Bools
) -> Bools:
    """Candidates nothing in the profile pulls, of a topic the reader does not usually read."""
    usual = {norm(p.value) for p in profile.follows if p.kind is FollowKind.TOPIC}
    usual |= {k for k, a in profile.learned.topics.items() if a >= USUAL_TOPIC_MIN}
    matched = np.flatnonzero((explicit > 0) & ~out)
    usual |= {pool.topic_keys[n] for n in matched.tolist()}
    ok: Bools = (explicit <= 0) & (learned <= EXPLORE_MAX_LEARNED) & pool.has_topic
    for key in usual:
        rows = pool.by_topic.get(key)
        if rows is not None:
            ok[rows] = False
    return ok


# --------------------------------------------------------------------------- selection


class _Groups:
    """Remaining candidates in score order, one queue per (topic, story type, explorable)."""

    def __init__(self, pool: Pool, scored: Scored, limit: int, freshest: Ints) -> None:
        # ``freshest``: the candidates, last seen last first then by story id (or more).
        keep = freshest[~scored.excluded[freshest]]
        queue = pool.group[keep] * 2 + scored.explore_ok[keep].astype(np.intp)
        # By queue, then best first: (-score, -last seen, story id), the last two from
        # ``freshest`` (a sort is stable).
        by_rank = np.lexsort((-scored.total[keep], queue))
        order, by_queue = keep[by_rank], queue[by_rank]
        # No more than ``limit`` cards come from one queue: only the first of each are kept.
        change = np.ones(len(order), dtype=np.bool_)
        np.not_equal(by_queue[1:], by_queue[:-1], out=change[1:])
        first = np.flatnonzero(change)
        sizes = np.diff(np.append(first, len(order)))
        kept = (np.arange(len(order)) - np.repeat(first, sizes)) < limit
        taken, taken_queue = order[kept], by_queue[kept]
        # The queues are runs of ``taken``: each one's head position and end.
        starts = np.flatnonzero(np.append(True, taken_queue[1:] != taken_queue[:-1]))
        starts = starts[starts < len(taken)]  # none when nothing is left
        ends = np.append(starts[1:], len(taken))[: len(starts)]
        keys = taken_queue[starts].tolist()
        self.heads: dict[int, int] = dict(zip(keys, starts.tolist(), strict=True))
        self.ends: dict[int, int] = dict(zip(keys, ends.tolist(), strict=True))
        # Each candidate's order within its queue: the topic penalty adds to its first part.
        self.candidates: list[int] = taken.tolist()
        self.scores: list[float] = (-scored.total[taken]).tolist()
        self.seen: list[float] = (-pool.seen[taken]).tolist()
        self.ids: list[int] = pool.ids[taken].tolist()
        self.meta = {k: pool.group_keys[k >> 1] for k in self.heads}
        self.caps = {kind: TYPE_CAPS.get(kind, TOPIC_CAP_WINDOW) for _, kind in self.meta.values()}
        # Cards picked per topic and per story type (plain dicts holding every key: a
        # ``Counter`` calls its ``__missing__`` for each key not picked yet).
        self.topics: dict[str, int] = {topic: 0 for topic, _ in self.meta.values()}
        self.types: dict[str, int] = {kind: 0 for _, kind in self.meta.values()}
        self.count = 0

    def __bool__(self) -> bool:
        return bool(self.heads)

    def pick(self, explore: bool) -> int | None:
        """The best allowed head, taken off its queue; None when no queue may give one."""
        capped = self.count < TOPIC_CAP_WINDOW
        topics, types, meta, caps = self.topics, self.types, self.meta, self.caps
        topics_full, kinds = False, set()
        if capped:
            live = [meta[k] for k in self.heads]
            topics_full = all(topics[t] >= TOPIC_CAP for t, _ in live)
            kinds = {kind for _, kind in live}
        best = math.inf
        best_key: tuple[float, float, int] | None = None
        chosen = -1
        scores, seen_at, ids = self.scores, self.seen, self.ids
        for k, at in self.heads.items():
            if explore and not k & 1:
                continue
            topic, kind = meta[k]
            if capped and not (
                (topics[topic] < TOPIC_CAP or topics_full)
                and (types[kind] < caps[kind] or kinds == {kind})
            ):
                continue  # the first page's caps per topic and per story type, relaxed when
                # nothing else is left
            adjusted = TOPIC_PENALTY * topics[topic] + scores[at]
            if adjusted > best:
                continue
            key = (adjusted, seen_at[at], ids[at])  # ties: the freshest, then the lowest story id
            if best_key is None or key < best_key:
                best, best_key, chosen = adjusted, key, k
        if best_key is None:
            return None
        at = self.heads[chosen]
        n = self.candidates[at]
        if at + 1 < self.ends[chosen]:
            self.heads[chosen] = at + 1
        else:
            del self.heads[chosen]
        topic, kind = self.meta[chosen]
        topics[topic] += 1
        types[kind] += 1
        self.count += 1
        return n


def _explore_slot(position: int, share: float, profile: Profile) -> bool:
    if share <= 0 or not profile.has_interests:
        return False
    every = max(round(1 / share), 2)
    return position % every == every - 1


def select(
    pool: Pool, scored: Scored, profile: Profile, limit: int, explore_share: float
) -> list[tuple[int, bool]]:
    """(candidate index, picked for exploring) of up to ``limit`` cards, best first."""
    freshest = pool.window(scored.at).freshest
    groups = _Groups(pool, scored, limit, freshest)
    chosen: list[int] = []
    explored: set[int] = set()
    while groups and len(chosen) < limit:
        pick = None
        if _explore_slot(len(chosen), explore_share, profile):
            pick = groups.pick(explore=True)
            if pick is not None:
                explored.add(pick)
        if pick is None:
            pick = groups.pick(explore=False)
        if pick is None:
            break
        chosen.append(pick)
    return [(n, n in explored) for n in chosen]


# --------------------------------------------------------------------------- reasons


def why(pool: Pool, n: int, profile: Profile, scored: Scored, explore: bool) -> CardReason:
    """The reason a candidate is on the reader's feed, as data."""
    item = pool.items[n]
    if explore:
        return CardReason(ReasonKind.EXPLORE, Preference(FollowKind.TOPIC, norm(item.story.topic)))
    found = [p for p in profile.follows if pool.matches(n, p)] if scored.explicit[n] > 0 else []
    if found:
        return CardReason(ReasonKind.FOLLOW, min(found, key=lambda p: FOLLOW_ORDER.index(p.kind)))
    if scored.learned[n] >= READ_REASON_MIN:
        learned = _learned_reason(item, n, profile.learned, scored)
        if learned is not None:
            return learned
    return CardReason(ReasonKind.TRENDING if item.story.trending else ReasonKind.COVERED)


def _learned_reason(item: Item, n: int, learned: Learned, scored: Scored) -> CardReason | None:
    part, value = max(((k, float(v[n])) for k, v in scored.parts.items()), key=lambda kv: kv[1])
    if value <= 0:
        return None
    if part == "similar":
        return CardReason(ReasonKind.READ)
    if part == "topic":
        return CardReason(ReasonKind.READ, Preference(FollowKind.TOPIC, norm(item.story.topic)))
    names = item.story.entities if part == "entity" else item.outlets
    table = learned.entities if part == "entity" else learned.outlets
    best = max(names, key=lambda name: table.get(norm(name), 0.0))
    kind = FollowKind.ENTITY if part == "entity" else FollowKind.OUTLET
    return CardReason(ReasonKind.READ, Preference(kind, " ".join(best.split())))


def subject_name(pref: Preference) -> str:
    """How a reason names what it is about."""
    if pref.kind is FollowKind.TOPIC:
        return topic_name(pref.value)
    if pref.kind is FollowKind.REGION:
        return region_name(pref.value)
    return pref.value


def reason_text(reason: CardReason, item: Item) -> str:
    """The human reason shown on a card."""
    subject = reason.subject
    if reason.kind is ReasonKind.EXPLORE:
        return EXPLORE_REASON
    if reason.kind is ReasonKind.FOLLOW and subject is not None:
        if subject.kind is FollowKind.STORY:
            return "You follow this story"
        return f"You follow {subject_name(subject)}"
    if reason.kind is ReasonKind.READ:
        if subject is None:
            return SIMILAR_REASON
        if subject.kind is FollowKind.OUTLET:
            return f"Because you read stories from {subject.value}"
        return f"Because you read about {subject_name(subject)}"
    n = max(item.story.outlet_count, len(item.outlets))
    outlets = f"{n} outlet" + ("" if n == 1 else "s")
    if reason.kind is ReasonKind.TRENDING:
        return f"Trending across {outlets}"
    return f"Covered by {outlets}"


# --------------------------------------------------------------------------- entry points


def rank_pool(
    pool: Pool,
    profile: Profile,
    *,
    limit: int,
    explore_share: float = 0.1,
    at: datetime | None = None,
) -> list[FeedCard]:
    """The reader's feed from a built pool at ``at`` (default: the pool's ``now``): up to
    ``limit`` cards, best first. Ranked among the moment's candidates only (``Pool.live``)."""
    live = pool.live(at)
    scored = score(live, profile)
    return [
        _card(live, n, profile, scored, explore)
        for n, explore in select(live, scored, profile, limit, explore_share)
    ]


def rank_feed(
    stories: Sequence[Story],
    writeups: Mapping[int, Writeup],
    outlets: Mapping[int, Sequence[str]],
    reader: Reader | None,
    now: datetime,
    *,
    limit: int,
    explore_share: float = 0.1,
    days: float = 3.0,
    regions: Mapping[int, Sequence[str]] | None = None,
    centroids: Mapping[int, NDArray[np.floating]] | None = None,
    learned: Learned = NOTHING,
) -> list[FeedCard]:
    """The reader's feed: up to ``limit`` cards, best first; ``reader`` None is anonymous."""
    pool = build_pool(
        stories, writeups, outlets, now, days=days, regions=regions, centroids=centroids
    )
    return rank_pool(pool, Profile.of(reader, learned), limit=limit, explore_share=explore_share)


def _card(pool: Pool, n: int, profile: Profile, scored: Scored, explore: bool) -> FeedCard:
    item = pool.items[n]
    reason = why(pool, n, profile, scored, explore)
    return FeedCard(
        story=item.story,
        writeup=item.writeup,
        score=float(scored.total[n]),
        reason=reason_text(reason, item),
        labels=labels(item.story.trending, profile.customized, generated=item.written),
        outlets=shown_outlets(item, profile),
        why=reason,
    )
