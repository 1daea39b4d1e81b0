"""The shared candidate pool: one pool ranks every later moment as a pool built then would,
and the fast selection picks what the plain greedy selection picks."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest

from herald.rank.feed import (
    TOPIC_CAP,
    TOPIC_CAP_WINDOW,
    TOPIC_PENALTY,
    TYPE_CAPS,
    Profile,
    Scored,
    _explore_slot,
    rank_pool,
    score,
    select,
)
from herald.rank.pool import Pool, build_pool, story_type
from herald.rank.signals import learn
from herald.types import FollowKind, Preference, Signal, SignalKind, SignalStory, Story, Writeup
from herald.types import WriteupStatus as Status
from tests.test_rank_feed import NOW, reader, story, writeup

TOPICS = ["world", "politics", "business", "technology", "science", "health", "sports", ""]
OUTLETS = [f"Outlet {i}" for i in range(12)]
COUNTRIES = ["gb", "France", "", "us", "de"]


News = tuple[list[Story], dict[int, Writeup], dict[int, list[str]], dict[int, list[str]]]


def news(rng: random.Random, count: int) -> News:
    """Stories over the last four days, most trending first (as the feed loads them)."""
    stories = [
        story(
            i,
            rng.choice(TOPICS),
            hours_ago=rng.uniform(0, 96),
            outlets=rng.randint(1, 9),
            trend=rng.choice([0.0, 0.0, rng.uniform(0, 6)]),
            trending=rng.random() < 0.2,
            entities=tuple(rng.sample(["Acme", "Kim Jong Un", "NASA", "FIFA", "EU"], 2)),
        )
        for i in range(1, count + 1)
    ]
    stories.sort(key=lambda s: (-s.trend_score, -s.last_seen.timestamp(), s.id))
    writeups = {
        s.id: writeup(s.id, rng.choice([Status.PUBLISHED, Status.LINKS_ONLY, Status.PULLED]))
        for s in stories
        if rng.random() < 0.6
    }
    outlets = {s.id: rng.sample(OUTLETS, min(s.outlet_count, len(OUTLETS))) for s in stories}
    regions = {s.id: [rng.choice(COUNTRIES) for _ in outlets[s.id]] for s in stories}
    return stories, writeups, outlets, regions


def profiles(rng: random.Random) -> list[Profile]:
    found = [Profile.of(None)]
    for _ in range(12):
        prefs = [
            Preference(FollowKind.TOPIC, rng.choice(TOPICS[:-1])),
            Preference(FollowKind.OUTLET, rng.choice(OUTLETS), muted=rng.random() < 0.5),
            Preference(FollowKind.REGION, rng.choice(COUNTRIES[:2]), muted=rng.random() < 0.5),
            Preference(FollowKind.ENTITY, "Acme", muted=rng.random() < 0.3),
        ]
        signals = [
            Signal(rng.randint(1, 80), rng.choice(list(SignalKind)), 60.0, NOW - timedelta(days=1))
            for _ in range(rng.randint(0, 8))
        ]
        about = {
            s.story_id: SignalStory(
                s.story_id, rng.choice(TOPICS), ("NASA",), (rng.choice(OUTLETS),)
            )
            for s in signals
        }
        found.append(Profile.of(reader(*rng.sample(prefs, 2)), learn(signals, about, NOW)))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_pool_ranks_later_moments_as_a_pool_built_then(seed: int) -> None:
    rng = random.Random(seed)
    stories, writeups, outlets, regions = news(rng, 80)
    kept = build_pool(
        stories, writeups, outlets, NOW, days=3.0, regions=regions, limit=30
    )  # the web app's pool: every story of the window, the cut made per moment
    for hours in (0, 0.5, 7, 20, 50, 80):
        later = NOW + timedelta(hours=hours)
        fresh = build_pool(stories, writeups, outlets, later, days=3.0, regions=regions, limit=30)
        window = kept.window(later)
        assert sorted(kept.ids[window.live].tolist()) == sorted(
            fresh.ids[fresh.window(later).live].tolist()
        )
        for profile in profiles(rng):
            ours = rank_pool(kept, profile, limit=15, at=later)
            theirs = rank_pool(fresh, profile, limit=15, at=later)
            assert [(c.story.id, c.reason, c.score, c.outlets) for c in ours] == [
                (c.story.id, c.reason, c.score, c.outlets) for c in theirs
            ]


def test_moments_with_the_same_candidates_share_one_build_and_rank_alike() -> None:
    rng = random.Random(7)
    stories, writeups, outlets, regions = news(rng, 80)
    kept = build_pool(stories, writeups, outlets, NOW, days=3.0, regions=regions, limit=30)
    shared = 0
    previous = None
    for minutes in range(1, 240, 7):
        later = NOW + timedelta(minutes=minutes)
        live = kept.live(later)
        assert live.now == later
        if previous is not None and previous.ids.tolist() == live.ids.tolist():
            assert live.items is previous.items and live.group is previous.group
            shared += 1
        previous = live
        fresh = build_pool(stories, writeups, outlets, later, days=3.0, regions=regions, limit=30)
        for profile in profiles(rng)[:3]:
            ours = rank_pool(kept, profile, limit=15, at=later)
            theirs = rank_pool(fresh, profile, limit=15, at=later)
            assert [(c.story.id, c.reason, c.score, c.outlets) for c in ours] == [
                (c.story.id, c.reason, c.score, c.outlets) for c in theirs
            ]
    assert shared > 0  # most minutes keep the candidates of the minute before


def test_the_cut_counts_pulled_stories_as_a_query_would() -> None:
    stories = [story(i, trend=10.0 - i) for i in range(1, 7)]
    writeups = {2: writeup(2, Status.PULLED)}
    pool = build_pool(stories, writeups, {}, NOW, days=3.0, limit=3)
    # the three most trending are 1, 2 (pulled, never shown) and 3
    assert sorted(pool.ids[pool.window(NOW).live].tolist()) == [1, 3]


def test_stories_age_out_of_a_kept_pool_and_freshness_follows_the_moment() -> None:
    stories = [story(1, hours_ago=1), story(2, hours_ago=70)]
    pool = build_pool(stories, {}, {}, NOW, days=3.0)
    assert pool.ids[pool.window(NOW).live].tolist() == [1, 2]
    later = NOW + timedelta(hours=3)
    assert pool.ids[pool.window(later).live].tolist() == [1]
    now_base, later_base = pool.window(NOW).base[0], pool.window(later).base[0]
    assert later_base < now_base  # three hours less fresh


# --------------------------------------------------------------------------- selection


def plain_select(
    pool: Pool, scored: Scored, profile: Profile, limit: int, share: float
) -> list[tuple[int, bool]]:
    """The greedy selection as first written: every remaining candidate looked at, every time."""
    remaining = [n for n in range(len(pool)) if not scored.excluded[n]]
    topics: Counter[str] = Counter()
    types: Counter[str] = Counter()
    chosen: list[tuple[int, bool]] = []

    def allowed(n: int, live: list[int]) -> bool:
        topic, kind = pool.items[n].story.topic, story_type(pool.items[n])
        topic_ok = topics[topic] < TOPIC_CAP or all(
            topics[pool.items[m].story.topic] >= TOPIC_CAP for m in live
        )
        cap = TYPE_CAPS.get(kind, TOPIC_CAP_WINDOW)
        type_ok = types[kind] < cap or all(story_type(pool.items[m]) == kind for m in live)
        return topic_ok and type_ok

    def pick(explore: bool) -> int | None:
        heads = [n for n in remaining if scored.explore_ok[n] or not explore]
        if len(chosen) < TOPIC_CAP_WINDOW:
            heads = [n for n in heads if allowed(n, remaining)]
        if not heads:
            return None
        return min(
            heads,
            key=lambda n: (
                TOPIC_PENALTY * topics[pool.items[n].story.topic] - scored.total[n],
                -pool.seen[n],
                int(pool.ids[n]),
            ),
        )

    while remaining and len(chosen) < limit:
        n = None
        explore = _explore_slot(len(chosen), share, profile)
        if explore:
            n = pick(explore=True)
        if n is None:
            explore = False
            n = pick(explore=False)
        if n is None:
            break
        remaining.remove(n)
        topics[pool.items[n].story.topic] += 1
        types[story_type(pool.items[n])] += 1
        chosen.append((n, explore))
    return chosen


@pytest.mark.parametrize("seed", [4, 5, 6, 7])
def test_selection_picks_what_the_plain_greedy_selection_picks(seed: int) -> None:
    rng = random.Random(seed)
    stories, writeups, outlets, regions = news(rng, 120)
    pool = build_pool(stories, writeups, outlets, NOW, days=3.0, regions=regions, limit=90)
    for profile in profiles(rng):
        scored = score(pool, profile)
        for limit in (1, 10, 21, 60):
            assert select(pool, scored, profile, limit, 0.1) == plain_select(
                pool, scored, profile, limit, 0.1
            )


def test_outlet_mutes_hide_only_stories_they_alone_cover() -> None:
    rng = random.Random(9)
    stories, writeups, outlets, regions = news(rng, 60)
    pool = build_pool(stories, writeups, outlets, NOW, days=4.0, regions=regions)
    names = frozenset({"outlet 1", "outlet 2", "outlet 3"})
    muted_regions = frozenset({"fr"})
    expected = np.array(
        [
            all(
                k in names or (r or "\0") in muted_regions
                for k, r in zip(i.outlet_keys, i.regions, strict=True)
            )
            and bool(i.outlets)
            for i in pool.items
        ]
    )
    assert np.array_equal(pool.all_outlets_in(names, muted_regions), expected)
    assert expected.any()


@pytest.mark.parametrize("seed", [12, 13])
def test_a_pool_of_the_most_trending_serves_the_moments_it_covers(seed: int) -> None:
    rng = random.Random(seed)
    stories, writeups, outlets, regions = news(rng, 90)
    full = build_pool(stories, writeups, outlets, NOW, days=3.0, regions=regions, limit=20)
    head = build_pool(
        stories[:40], writeups, outlets, NOW, days=3.0, regions=regions, limit=20, complete=False
    )
    covered = 0
    for hours in range(0, 80, 4):
        later = NOW + timedelta(hours=hours)
        if not head.covers(later):
            continue
        covered += 1
        assert sorted(head.ids[head.window(later).live].tolist()) == sorted(
            full.ids[full.window(later).live].tolist()
        )
        for profile in profiles(rng)[:4]:
            assert rank_pool(head, profile, limit=10, at=later) == rank_pool(
                full, profile, limit=10, at=later
            )
    assert 0 < covered < 20  # it covers a while, then asks to be rebuilt
    # Answers are kept per moment: asked again, in another order, they are the same.
    moments = [NOW + timedelta(hours=hours) for hours in range(0, 80, 4)]
    answers = [head.covers(at) for at in moments]
    fresh = build_pool(
        stories[:40], writeups, outlets, NOW, days=3.0, regions=regions, limit=20, complete=False
    )
    assert [fresh.covers(at) for at in reversed(moments)] == answers[::-1]
    assert [head.covers(at) for at in moments] == answers
