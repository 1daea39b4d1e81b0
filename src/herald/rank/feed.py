"""Rank a reader's feed: the pure core (no I/O) of the ``rank`` stage.

A story's score adds four parts: how much it is trending, how fresh it is, its quality
(independent outlets, a verified article) and its relevance to the reader's follows. Mutes
are absolute. Selection is greedy with a diversity penalty and caps on the first page (per
topic, and at most three link-only stories), and a small share of slots goes to stories
outside the reader's follows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from herald.rank.topics import topic_name
from herald.types import FeedCard, FollowKind, Preference, Reader, Story, Writeup, WriteupStatus
from herald.write.dateline import labels

FRESH_HALF_LIFE_HOURS = 12.0
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
}
RELEVANCE_CAP = 4.0
# A verified article is what readers come for: it outranks a link-only story of similar heat.
VERIFIED_BONUS = 1.5
EXPLORE_REASON = "Outside your usual topics"


@dataclass(frozen=True)
class Candidate:
    """A story eligible for the feed, with its score parts."""

    story: Story
    writeup: Writeup | None
    outlets: tuple[str, ...]
    score: float
    matches: tuple[Preference, ...]

    @property
    def key(self) -> tuple[float, float, int]:
        """Sort key: best score first, then most recent, then lowest id (deterministic)."""
        return (-self.score, -self.story.last_seen.timestamp(), self.story.id)


@dataclass(frozen=True)
class Profile:
    """A reader's follows and mutes, normalized for matching."""

    follows: tuple[Preference, ...]
    mutes: tuple[Preference, ...]
    personalized: bool

    @classmethod
    def of(cls, reader: Reader | None) -> Profile:
        prefs = reader.preferences if reader is not None else ()
        return cls(
            follows=tuple(p for p in prefs if not p.muted),
            mutes=tuple(p for p in prefs if p.muted),
            personalized=reader is not None and reader.personalized,
        )

    def muted_outlets(self) -> frozenset[str]:
        return frozenset(_norm(p.value) for p in self.mutes if p.kind is FollowKind.OUTLET)


def matches(pref: Preference, story: Story, outlets: Sequence[str]) -> bool:
    """Whether one follow or mute applies to a story."""
    value = _norm(pref.value)
    if pref.kind is FollowKind.TOPIC:
        return _norm(story.topic) == value
    if pref.kind is FollowKind.ENTITY:
        return value in {_norm(e) for e in story.entities}
    if pref.kind is FollowKind.OUTLET:
        return value in {_norm(o) for o in outlets}
    return str(story.id) == pref.value.strip()


def is_muted(profile: Profile, story: Story, outlets: Sequence[str]) -> bool:
    """Muted topics, entities and stories hide a story; muted outlets hide it if it has no other."""
    for pref in profile.mutes:
        if pref.kind is not FollowKind.OUTLET and matches(pref, story, outlets):
            return True
    muted = profile.muted_outlets()
    return bool(muted) and bool(outlets) and all(_norm(o) in muted for o in outlets)


def trend_part(story: Story) -> float:
    return 1.5 * math.log1p(max(story.trend_score, 0.0)) + (0.5 if story.trending else 0.0)


def freshness_part(story: Story, now: datetime) -> float:
    age_hours = max((now - story.last_seen).total_seconds() / 3600.0, 0.0)
    return math.exp(-math.log(2) * age_hours / FRESH_HALF_LIFE_HOURS)


def quality_part(story: Story, writeup: Writeup | None) -> float:
    verified = writeup is not None and writeup.status is WriteupStatus.PUBLISHED
    return 0.6 * min(story.outlet_count, 8) / 8 + (VERIFIED_BONUS if verified else 0.0)


def relevance_part(found: Sequence[Preference]) -> float:
    return min(sum(RELEVANCE_WEIGHTS[p.kind] for p in found), RELEVANCE_CAP)


def candidates(
    stories: Sequence[Story],
    writeups: Mapping[int, Writeup],
    outlets: Mapping[int, Sequence[str]],
    profile: Profile,
    now: datetime,
    days: float,
) -> list[Candidate]:
    """Stories of the last ``days`` that are not pulled or muted, scored, best first."""
    since = now - timedelta(days=days)
    muted_outlets = profile.muted_outlets()
    out = []
    for story in stories:
        writeup = writeups.get(story.id)
        if story.last_seen < since or story.article_count <= 0:
            continue
        if writeup is not None and writeup.status is WriteupStatus.PULLED:
            continue
        names = tuple(outlets.get(story.id, ()))
        if is_muted(profile, story, names):
            continue
        found = tuple(p for p in profile.follows if matches(p, story, names))
        score = (
            trend_part(story)
            + freshness_part(story, now)
            + quality_part(story, writeup)
            + relevance_part(found)
        )
        shown = tuple(o for o in names if _norm(o) not in muted_outlets)
        out.append(Candidate(story, writeup, shown, round(score, 6), found))
    return sorted(out, key=lambda c: c.key)


def reason(candidate: Candidate, explore: bool) -> str:
    """The human reason shown on a card."""
    if explore:
        return EXPLORE_REASON
    if candidate.matches:
        return _follow_reason(candidate)
    n = max(candidate.story.outlet_count, len(candidate.outlets))
    if candidate.story.trending:
        return f"Trending across {n} outlets"
    return f"Covered by {n} outlet" + ("" if n == 1 else "s")


def _follow_reason(candidate: Candidate) -> str:
    order = (FollowKind.STORY, FollowKind.TOPIC, FollowKind.ENTITY, FollowKind.OUTLET)
    best = min(candidate.matches, key=lambda p: order.index(p.kind))
    if best.kind is FollowKind.STORY:
        return "You follow this story"
    if best.kind is FollowKind.TOPIC:
        return f"You follow {topic_name(best.value)}"
    return f"You follow {best.value}"


def _story_type(candidate: Candidate) -> str:
    written = candidate.writeup is not None and candidate.writeup.status is WriteupStatus.PUBLISHED
    return "article" if written else "links"


def _allowed(candidate: Candidate, chosen: Sequence[Candidate], pool: Sequence[Candidate]) -> bool:
    """The first page's caps per topic and per story type, relaxed when nothing else is left."""
    if len(chosen) >= TOPIC_CAP_WINDOW:
        return True
    topics = Counter(c.story.topic for c in chosen)
    types = Counter(_story_type(c) for c in chosen)
    topic_ok = topics[candidate.story.topic] < TOPIC_CAP or all(
        topics[c.story.topic] >= TOPIC_CAP for c in pool
    )
    kind = _story_type(candidate)
    cap = TYPE_CAPS.get(kind, TOPIC_CAP_WINDOW)
    type_ok = types[kind] < cap or all(_story_type(c) == kind for c in pool)
    return topic_ok and type_ok


def _adjusted(candidate: Candidate, used: Counter[str]) -> tuple[float, float, int]:
    penalty = TOPIC_PENALTY * used[candidate.story.topic]
    score, recency, story_id = candidate.key
    return (score + penalty, recency, story_id)


def _pick(pool: list[Candidate], chosen: list[Candidate], explore: bool) -> Candidate | None:
    eligible = [c for c in pool if not (explore and c.matches)]
    allowed = [c for c in eligible if _allowed(c, chosen, pool)]
    if not allowed:
        return None
    used = Counter(c.story.topic for c in chosen)
    return min(allowed, key=lambda c: _adjusted(c, used))


def _explore_slot(position: int, share: float, profile: Profile) -> bool:
    if share <= 0 or not profile.follows:
        return False
    every = max(round(1 / share), 2)
    return position % every == every - 1


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
) -> list[FeedCard]:
    """The reader's feed: up to ``limit`` cards, best first; ``reader`` None is anonymous."""
    profile = Profile.of(reader)
    pool = candidates(stories, writeups, outlets, profile, now, days)
    chosen: list[Candidate] = []
    explored: set[int] = set()
    while pool and len(chosen) < limit:
        explore = _explore_slot(len(chosen), explore_share, profile)
        pick = _pick(pool, chosen, explore) if explore else None
        if pick is not None:
            explored.add(pick.story.id)
        else:
            pick = _pick(pool, chosen, False)
        if pick is None:
            break
        chosen.append(pick)
        pool.remove(pick)
    return [_card(c, c.story.id in explored, profile) for c in chosen]


def _card(candidate: Candidate, explore: bool, profile: Profile) -> FeedCard:
    return FeedCard(
        story=candidate.story,
        writeup=candidate.writeup,
        score=candidate.score,
        reason=reason(candidate, explore),
        labels=labels(
            candidate.story.trending,
            profile.personalized,
            generated=candidate.writeup is not None
            and candidate.writeup.status is WriteupStatus.PUBLISHED,
        ),
        outlets=candidate.outlets,
    )


def _norm(value: str) -> str:
    return " ".join(value.casefold().split())
