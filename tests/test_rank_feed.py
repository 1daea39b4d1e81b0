"""The feed ranking core: scoring, mutes, diversity, reasons, labels, determinism."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from herald.rank.feed import EXPLORE_REASON, rank_feed
from herald.types import (
    CardReason,
    FollowKind,
    Preference,
    Reader,
    ReasonKind,
    SourceRef,
    Story,
    Writeup,
    WriteupStatus,
)

NOW = datetime(2024, 12, 29, 12, 0, tzinfo=UTC)


def story(
    sid: int,
    topic: str = "world",
    *,
    hours_ago: float = 2.0,
    outlets: int = 3,
    trend: float = 0.0,
    trending: bool = False,
    entities: tuple[str, ...] = (),
) -> Story:
    seen = NOW - timedelta(hours=hours_ago)
    return Story(
        id=sid,
        title=f"Story {sid}",
        first_seen=seen - timedelta(hours=1),
        last_seen=seen,
        article_count=outlets,
        outlet_count=outlets,
        topic=topic,
        entities=entities,
        trend_score=trend,
        trending=trending,
        updated_at=seen,
    )


def writeup(sid: int, status: WriteupStatus = WriteupStatus.PUBLISHED) -> Writeup:
    ref = SourceRef(1, sid * 10, "Reuters", "https://example.com/a", "A", NOW)
    return Writeup(
        id=sid,
        story_id=sid,
        status=status,
        headline=f"Headline {sid}",
        summary="Summary.",
        dateline="December 29th 2024.",
        sentences=(),
        key_points=(),
        sources=(ref,),
        writer="composer",
        reason="",
        input_hash="h",
        created_at=NOW,
    )


def reader(*prefs: Preference) -> Reader:
    return Reader(1, "tok", "sec", NOW, tuple(prefs))


def outlets_for(stories: list[Story]) -> dict[int, list[str]]:
    return {s.id: [f"Outlet {i}" for i in range(s.outlet_count)] for s in stories}


def test_trending_well_covered_story_ranks_first() -> None:
    stories = [story(1, outlets=2), story(2, outlets=14, trend=5.0, trending=True), story(3)]
    cards = rank_feed(stories, {}, outlets_for(stories), None, NOW, limit=10)
    assert cards[0].story.id == 2
    assert cards[0].reason == "Trending across 14 outlets"
    assert cards[1].reason.startswith("Covered by")


def test_old_and_pulled_stories_are_not_candidates() -> None:
    stories = [story(1, hours_ago=24 * 5), story(2), story(3)]
    writeups = {3: writeup(3, WriteupStatus.PULLED)}
    cards = rank_feed(stories, writeups, outlets_for(stories), None, NOW, limit=10)
    assert [c.story.id for c in cards] == [2]


def test_verified_article_beats_links_only_at_equal_coverage() -> None:
    stories = [story(1), story(2)]
    writeups = {2: writeup(2), 1: writeup(1, WriteupStatus.LINKS_ONLY)}
    cards = rank_feed(stories, writeups, outlets_for(stories), None, NOW, limit=10)
    assert [c.story.id for c in cards] == [2, 1]
    assert cards[0].writeup is not None


def test_follow_topic_lifts_story_and_gives_reason() -> None:
    stories = [story(1, "world", outlets=8, trend=2.0), story(2, "technology", outlets=2)]
    r = reader(Preference(FollowKind.TOPIC, "technology"))
    cards = rank_feed(stories, {}, outlets_for(stories), r, NOW, limit=10, explore_share=0)
    assert cards[0].story.id == 2
    assert cards[0].reason == "You follow Technology"


def test_follow_entity_outlet_and_story() -> None:
    stories = [
        story(1, entities=("Kim Jong Un",)),
        story(2),
        story(3),
    ]
    outlets = {1: ["A"], 2: ["Herald Tribune", "B"], 3: ["C"]}
    r = reader(
        Preference(FollowKind.ENTITY, "kim jong un"),
        Preference(FollowKind.OUTLET, "Herald Tribune"),
        Preference(FollowKind.STORY, "3"),
    )
    cards = rank_feed(stories, {}, outlets, r, NOW, limit=10, explore_share=0)
    reasons = {c.story.id: c.reason for c in cards}
    assert reasons == {
        1: "You follow kim jong un",
        2: "You follow Herald Tribune",
        3: "You follow this story",
    }


def test_mutes_are_absolute() -> None:
    stories = [
        story(1, "sports", trend=9.0, trending=True, outlets=20),
        story(2, entities=("Acme Corp",), trend=9.0, outlets=20),
        story(3, trend=9.0, outlets=20),
        story(4),
        story(5),
    ]
    outlets = outlets_for(stories) | {4: ["Tabloid"], 5: ["Tabloid", "Wire"]}
    r = reader(
        Preference(FollowKind.TOPIC, "sports", muted=True),
        Preference(FollowKind.ENTITY, "ACME corp", muted=True),
        Preference(FollowKind.STORY, "3", muted=True),
        Preference(FollowKind.OUTLET, "tabloid", muted=True),
        Preference(FollowKind.TOPIC, "sports"),  # a follow never overrides a mute
    )
    cards = rank_feed(stories, {}, outlets, r, NOW, limit=10)
    assert [c.story.id for c in cards] == [5]
    assert cards[0].outlets == ("Wire",)


def test_no_topic_takes_more_than_40_percent_of_first_ten() -> None:
    stories = [story(i, "politics", trend=5.0, outlets=10) for i in range(1, 13)]
    stories += [story(100 + i, t) for i, t in enumerate(["world", "science", "health", "business"])]
    stories += [story(200 + i, "sports") for i in range(3)]
    cards = rank_feed(stories, {}, outlets_for(stories), None, NOW, limit=10)
    assert len(cards) == 10
    assert max(Counter(c.story.topic for c in cards).values()) <= 4


def test_cap_relaxes_when_only_one_topic_is_left() -> None:
    stories = [story(i, "politics") for i in range(1, 8)]
    cards = rank_feed(stories, {}, outlets_for(stories), None, NOW, limit=10)
    assert len(cards) == 7


def test_explore_slot_shows_story_outside_follows() -> None:
    topics = ["technology", "science", "health"]
    stories = [story(i, topics[i % 3], outlets=5) for i in range(1, 16)]
    stories += [story(50, "entertainment", outlets=2)]
    r = reader(*(Preference(FollowKind.TOPIC, t) for t in topics))
    cards = rank_feed(stories, {}, outlets_for(stories), r, NOW, limit=10, explore_share=0.1)
    assert cards[9].reason == EXPLORE_REASON
    assert cards[9].story.id == 50
    assert all(c.reason.startswith("You follow") for c in cards[:9])


def test_labels_follow_trending_and_personalization() -> None:
    stories = [story(1, trending=True, trend=3.0), story(2), story(3, trending=True)]
    written = {1: writeup(1), 2: writeup(2)}
    anon = rank_feed(stories, written, outlets_for(stories), None, NOW, limit=10)
    by_id = {c.story.id: c.labels for c in anon}
    assert by_id[1] == (
        "This article has been trending online recently and has been generated with AI.",
        "Generative AI is experimental.",
    )
    assert by_id[2] == (
        "This article has been generated with AI.",
        "Generative AI is experimental.",
    )
    assert by_id[3] == (
        "This story has been trending online recently. Herald has not written an article about"
        " this story: these are the outlets' own reports.",
    )
    r = reader(Preference(FollowKind.TOPIC, "science"))
    custom = {
        c.story.id: c.labels
        for c in rank_feed(stories, written, outlets_for(stories), r, NOW, limit=10)
    }
    assert custom[1][0].endswith("generated with AI. Your feed is customized.")
    assert custom[2][0] == "This article has been generated with AI. Your feed is customized."
    assert custom[3][0].endswith("outlets' own reports. Your feed is customized.")


def test_ranking_is_deterministic_and_limited() -> None:
    stories = [
        story(i, ["world", "science", "health"][i % 3], hours_ago=i % 5) for i in range(1, 40)
    ]
    first = rank_feed(stories, {}, outlets_for(stories), None, NOW, limit=15)
    second = rank_feed(list(reversed(stories)), {}, outlets_for(stories), None, NOW, limit=15)
    assert [c.story.id for c in first] == [c.story.id for c in second]
    assert len(first) == 15


def test_link_only_stories_do_not_crowd_the_first_page() -> None:
    hot = [
        story(i, ["world", "science", "health", "sports"][i % 4], trending=True, trend=9.0)
        for i in range(1, 9)
    ]
    calm = [story(i, ["world", "science", "health", "sports"][i % 4]) for i in range(20, 28)]
    written = {s.id: writeup(s.id) for s in calm}
    cards = rank_feed(hot + calm, written, outlets_for(hot + calm), None, NOW, limit=10)
    links = [c for c in cards if c.writeup is None]
    assert len(links) == 3
    assert len(cards) == 10


def test_reasons_carry_what_they_are_about() -> None:
    stories = [
        story(1, "science", trending=True, trend=2.0, outlets=1),
        story(2, entities=("NASA",)),
        story(3, "sports"),
    ]
    r = reader(Preference(FollowKind.ENTITY, "NASA"), Preference(FollowKind.TOPIC, "science"))
    cards = {c.story.id: c for c in rank_feed(stories, {}, outlets_for(stories), r, NOW, limit=10)}
    assert cards[1].why == CardReason(ReasonKind.FOLLOW, Preference(FollowKind.TOPIC, "science"))
    assert cards[2].why == CardReason(ReasonKind.FOLLOW, Preference(FollowKind.ENTITY, "NASA"))
    assert cards[3].why == CardReason(ReasonKind.COVERED)
    anonymous = rank_feed(stories, {}, outlets_for(stories), None, NOW, limit=10)
    assert anonymous[0].reason == "Trending across 1 outlet"  # not "1 outlets"
    assert anonymous[0].why == CardReason(ReasonKind.TRENDING)


def test_the_most_specific_follow_is_the_reason() -> None:
    stories = [story(1, "science", entities=("NASA",))]
    outlets = {1: ["Reuters"]}
    r = reader(
        Preference(FollowKind.REGION, "gb"),
        Preference(FollowKind.OUTLET, "Reuters"),
        Preference(FollowKind.ENTITY, "NASA"),
    )
    regions = {1: ["United Kingdom"]}
    cards = rank_feed(stories, {}, outlets, r, NOW, limit=5, regions=regions)
    assert cards[0].reason == "You follow NASA"
    # all three count, up to the cap
    assert cards[0].score == pytest.approx(
        rank_feed(stories, {}, outlets, None, NOW, limit=5)[0].score + 4.0
    )
