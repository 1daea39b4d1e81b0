"""Learning from reading, pure: decay, saturation, negative signals, the embedding profile and
implicit affinities moving the ranking, with mutes still absolute, the explore share labelled
and the diversity caps kept."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import numpy as np
import pytest

from herald.rank.feed import (
    EXPLORE_REASON,
    LEARNED_MAX,
    SIMILAR_REASON,
    Profile,
    rank_feed,
    rank_pool,
)
from herald.rank.interest import profile_vector
from herald.rank.pool import build_pool
from herald.rank.regions import region_name, regions_of
from herald.rank.signals import (
    HALF_LIFE_DAYS,
    LESS_WEIGHT,
    READ_WEIGHT,
    decay,
    learn,
    read_value,
    story_weights,
)
from herald.types import (
    FollowKind,
    Preference,
    ReasonKind,
    Signal,
    SignalKind,
    SignalStory,
)
from tests.test_rank_feed import NOW, outlets_for, reader, story

TOPICS = ["world", "politics", "business", "technology", "science", "health", "sports"]


def sig(story_id: int, kind: SignalKind, value: float = 1.0, days_ago: float = 0.5) -> Signal:
    return Signal(story_id, kind, value, NOW - timedelta(days=days_ago))


def read(story_id: int, seconds: float = 120.0, days_ago: float = 0.5) -> list[Signal]:
    return [
        sig(story_id, SignalKind.OPEN, days_ago=days_ago),
        sig(story_id, SignalKind.READ, seconds, days_ago=days_ago),
    ]


def about(
    sid: int, topic: str, entities: tuple[str, ...] = (), centroid: np.ndarray | None = None
) -> SignalStory:
    raw = None if centroid is None else np.asarray(centroid, dtype=np.float32).tobytes()
    return SignalStory(sid, topic, entities, (f"Outlet {sid}",), raw)


def axis(i: int, dims: int = 8) -> np.ndarray:
    v = np.zeros(dims, dtype=np.float32)
    v[i] = 1.0
    return v


# --------------------------------------------------------------------------- weights


def test_signals_halve_every_half_life() -> None:
    assert decay(0) == 1.0
    assert decay(HALF_LIFE_DAYS) == pytest.approx(0.5)
    assert decay(2 * HALF_LIFE_DAYS) == pytest.approx(0.25)
    assert decay(-3) == 1.0  # a clock skew never inflates a signal
    fresh = story_weights([sig(1, SignalKind.OPEN, days_ago=0)], NOW)[1]
    old = story_weights([sig(1, SignalKind.OPEN, days_ago=HALF_LIFE_DAYS)], NOW)[1]
    assert old == pytest.approx(fresh / 2)


def test_reading_time_saturates_and_is_capped() -> None:
    assert read_value(0) == 0
    assert read_value(30) < read_value(90) < read_value(300) < READ_WEIGHT
    assert read_value(90) == pytest.approx(READ_WEIGHT * (1 - np.exp(-1)))
    ten_minutes = story_weights([sig(1, SignalKind.READ, 600, days_ago=0)], NOW)[1]
    ten_hours = story_weights([sig(1, SignalKind.READ, 36_000, days_ago=0)], NOW)[1]
    assert ten_hours == pytest.approx(ten_minutes)  # one signal counts ten minutes at most
    reloads = story_weights([sig(1, SignalKind.OPEN, days_ago=0)] * 20, NOW)[1]
    assert reloads == pytest.approx(1.0)  # opening a page twenty times is one open


def test_hide_and_less_are_negative_and_hide_the_story() -> None:
    signals = [
        *read(1),
        sig(2, SignalKind.HIDE),
        sig(3, SignalKind.LESS),
        *read(4),
        sig(4, SignalKind.LESS),
    ]
    weights = story_weights(signals, NOW)
    assert weights[1] > 0 > weights[2] > weights[3]
    assert weights[3] == pytest.approx(LESS_WEIGHT * decay(0.5))
    assert weights[4] < 0  # read, then "less like this": the reader turned it away
    stories = {
        1: about(1, "science", ("NASA",)),
        2: about(2, "sports", ("FIFA",)),
        3: about(3, "politics", ("Senate",)),
        4: about(4, "science", ("CERN",)),
    }
    learned = learn(signals, stories, NOW)
    assert learned.hidden == frozenset({2, 3, 4})
    assert learned.entities["nasa"] > 0 > learned.entities["fifa"] > learned.entities["senate"]
    assert learned.topics["politics"] < 0 and learned.topics["sports"] < 0
    assert learned.names["nasa"] == "NASA"
    assert learned.active and learned.interested


def test_an_outlet_gets_its_share_of_a_story() -> None:
    many = SignalStory(1, "world", (), ("A", "B", "C", "D"), None)
    one = SignalStory(2, "world", (), ("E",), None)
    learned = learn([*read(1), *read(2)], {1: many, 2: one}, NOW)
    assert learned.outlets["e"] == pytest.approx(4 * learned.outlets["a"])


def test_profile_vectors_point_at_what_was_read_and_away_from_what_was_not() -> None:
    stories = {1: about(1, "science", centroid=axis(0)), 2: about(2, "sports", centroid=axis(3))}
    learned = learn([*read(1), sig(2, SignalKind.LESS)], stories, NOW)
    assert learned.positive is not None and learned.negative is not None
    assert float(learned.positive @ axis(0)) == pytest.approx(1.0)
    assert float(learned.negative @ axis(3)) == pytest.approx(1.0)


def test_profile_vectors_equal_the_weighted_mean_of_what_was_read() -> None:
    rng = np.random.default_rng(7)
    vectors = [rng.standard_normal(8).astype(np.float32) for _ in range(4)]
    stories = {n: about(n, "science", centroid=v) for n, v in enumerate(vectors, 1)}
    signals = [*read(1, 30), *read(2, 300), *read(3, 60, days_ago=20), sig(4, SignalKind.HIDE)]
    learned = learn(signals, stories, NOW)
    weights = story_weights(signals, NOW)
    assert learned.positive is not None and learned.negative is not None
    expected = profile_vector(vectors[:3], [weights[1], weights[2], weights[3]])
    assert expected is not None and np.array_equal(learned.positive, expected)
    turned = profile_vector(vectors[3:], [-weights[4]])
    assert turned is not None and np.array_equal(learned.negative, turned)


def test_centroids_of_another_size_are_left_out_of_the_profile() -> None:
    stories = {
        1: about(1, "science", centroid=axis(0)),
        2: about(2, "science", centroid=axis(1)),
        3: about(3, "science", centroid=axis(2, dims=4)),  # from another embedder
    }
    learned = learn([*read(1), *read(2), *read(3)], stories, NOW)
    assert learned.positive is not None and learned.positive.shape == (8,)
    assert float(learned.positive @ axis(2)) == 0.0
    assert float(learned.positive @ axis(0)) == pytest.approx(float(learned.positive @ axis(1)))


def test_no_signals_learn_nothing() -> None:
    learned = learn([], {}, NOW)
    assert not learned.active and not learned.interested
    assert learned.positive is None


# --------------------------------------------------------------------------- ranking


def test_reading_about_an_entity_lifts_its_stories_with_a_truthful_reason() -> None:
    stories = [
        story(1, "world", outlets=3),
        story(2, "world", outlets=3),
        story(3, "science", outlets=2, entities=("Kim Jong Un",)),
    ]
    learned = learn(read(90), {90: about(90, "politics", ("Kim Jong Un",))}, NOW)
    before = rank_feed(stories, {}, outlets_for(stories), None, NOW, limit=10)
    after = rank_feed(
        stories, {}, outlets_for(stories), reader(), NOW, limit=10, learned=learned, explore_share=0
    )
    assert [c.story.id for c in before] == [1, 3, 2]  # the topic penalty spaces out 1 and 2
    assert [c.story.id for c in after] == [3, 1, 2]
    assert after[0].reason == "Because you read about Kim Jong Un"
    assert after[0].why is not None and after[0].why.kind is ReasonKind.READ
    assert after[0].labels[0].endswith("Your feed is customized.")
    # the other cards are there for the usual reasons, not for the reading
    assert [c.reason for c in after[1:]] == ["Covered by 3 outlets"] * 2


def test_embedding_profile_moves_the_ranking() -> None:
    stories = [story(1, "world", outlets=4), story(2, "world", outlets=4)]
    centroids = {1: axis(1), 2: axis(0) + 0.1 * axis(2)}
    learned = learn(read(90), {90: about(90, "science", centroid=axis(0))}, NOW)
    plain = rank_feed(stories, {}, outlets_for(stories), None, NOW, limit=5, centroids=centroids)
    assert [c.story.id for c in plain] == [1, 2]  # same score: the lower id first
    cards = rank_feed(
        stories,
        {},
        outlets_for(stories),
        reader(),
        NOW,
        limit=5,
        centroids=centroids,
        learned=learned,
    )
    assert [c.story.id for c in cards] == [2, 1]
    assert cards[0].reason == SIMILAR_REASON
    assert cards[1].reason == "Covered by 4 outlets"


def test_less_like_this_pushes_topic_and_entities_down_and_hides_the_story() -> None:
    stories = [
        story(1, "sports", outlets=6, trend=1.0, entities=("FIFA",)),
        story(2, "sports", outlets=6, trend=1.0, entities=("FIFA",)),
        story(3, "world", outlets=3),
    ]
    learned = learn([sig(1, SignalKind.LESS)], {1: about(1, "sports", ("FIFA",))}, NOW)
    before = rank_feed(stories, {}, outlets_for(stories), None, NOW, limit=10)
    after = rank_feed(stories, {}, outlets_for(stories), reader(), NOW, limit=10, learned=learned)
    assert [c.story.id for c in before] == [1, 2, 3]
    assert [c.story.id for c in after] == [3, 2]


def test_hidden_stories_never_come_back() -> None:
    stories = [story(i, "world", outlets=5, trend=3.0) for i in range(1, 4)]
    old_hide = [sig(2, SignalKind.HIDE, days_ago=300)]
    learned = learn(old_hide, {2: about(2, "world")}, NOW)
    cards = rank_feed(stories, {}, outlets_for(stories), reader(), NOW, limit=10, learned=learned)
    assert [c.story.id for c in cards] == [1, 3]


def test_mutes_stay_absolute_whatever_the_reading() -> None:
    stories = [story(i, "sports", outlets=8, trend=4.0, entities=("FIFA",)) for i in range(1, 6)]
    stories += [story(10, "world", outlets=1)]
    signals = [s for i in range(50, 60) for s in read(i, 600)]
    learned = learn(signals, {i: about(i, "sports", ("FIFA",)) for i in range(50, 60)}, NOW)
    muted = reader(Preference(FollowKind.TOPIC, "sports", muted=True))
    cards = rank_feed(stories, {}, outlets_for(stories), muted, NOW, limit=10, learned=learned)
    assert [c.story.id for c in cards] == [10]


def test_learning_is_bounded_below_an_explicit_follow() -> None:
    stories = [story(1, "science", outlets=3), story(2, "sports", outlets=3, entities=("FIFA",))]
    signals = [s for i in range(50, 80) for s in [*read(i, 600), sig(i, SignalKind.CITATION)]]
    learned = learn(signals, {i: about(i, "sports", ("FIFA",)) for i in range(50, 80)}, NOW)
    follows = reader(Preference(FollowKind.TOPIC, "science"))
    cards = rank_feed(stories, {}, outlets_for(stories), follows, NOW, limit=5, learned=learned)
    assert [c.reason for c in cards] == ["You follow Science", "Because you read about FIFA"]
    assert cards[0].score - cards[1].score == pytest.approx(2.5 - LEARNED_MAX)


def test_explore_share_is_labelled_and_outside_the_usual_topics() -> None:
    stories = [story(i, TOPICS[i % 3], outlets=5, entities=("Acme",)) for i in range(1, 16)]
    stories += [story(50, "health", outlets=2), story(51, "sports", outlets=2)]
    signals = [s for i in range(90, 96) for s in read(i)]
    seen = {i: about(i, TOPICS[i % 3], ("Acme",)) for i in range(90, 96)}
    learned = learn(signals, seen, NOW)
    cards = rank_feed(stories, {}, outlets_for(stories), reader(), NOW, limit=10, learned=learned)
    explore = [c for c in cards if c.reason == EXPLORE_REASON]
    assert [cards.index(c) for c in explore] == [9]
    assert explore[0].story.topic in {"health", "sports"}
    assert explore[0].why is not None and explore[0].why.kind is ReasonKind.EXPLORE
    assert all(c.reason == "Because you read about Acme" for c in cards[:9])
    anonymous = rank_feed(stories, {}, outlets_for(stories), None, NOW, limit=10)
    assert EXPLORE_REASON not in {c.reason for c in anonymous}  # no interests, nothing to leave


def test_topic_caps_hold_for_a_heavy_reader() -> None:
    stories = [story(i, "politics", outlets=8, trend=4.0, entities=("Senate",)) for i in range(20)]
    stories += [
        story(100 + i, t) for i, t in enumerate(["world", "science", "health", "sports"] * 2)
    ]
    signals = [s for i in range(200, 230) for s in read(i, 600)]
    learned = learn(signals, {i: about(i, "politics", ("Senate",)) for i in range(200, 230)}, NOW)
    cards = rank_feed(stories, {}, outlets_for(stories), reader(), NOW, limit=10, learned=learned)
    assert len(cards) == 10
    assert Counter(c.story.topic for c in cards)["politics"] <= 4


def test_region_follow_and_mute_match_the_outlets_country() -> None:
    stories = [story(1, "world", outlets=2), story(2, "world", outlets=4, trend=1.0), story(3)]
    outlets = {1: ["Gazette", "Herald Sun"], 2: ["Le Monde", "Wire"], 3: ["Wire"]}
    regions = {1: ["gb", "Australia"], 2: ["France", ""], 3: [""]}
    follows = reader(Preference(FollowKind.REGION, "United Kingdom"))
    cards = rank_feed(stories, {}, outlets, follows, NOW, limit=5, regions=regions)
    assert cards[0].story.id == 1
    assert cards[0].reason == "You follow United Kingdom"
    muted = reader(Preference(FollowKind.REGION, "FR", muted=True))
    cards = rank_feed(stories, {}, outlets, muted, NOW, limit=5, regions=regions)
    assert {c.story.id: c.outlets for c in cards}[2] == ("Wire",)  # Wire is not French
    only_french = {**regions, 2: ["France", "France"]}
    cards = rank_feed(stories, {}, outlets, muted, NOW, limit=5, regions=only_french)
    assert 2 not in {c.story.id for c in cards}


def test_region_names_are_readable() -> None:
    assert region_name("gb") == "United Kingdom"
    assert region_name("United  Kingdom") == "United Kingdom"
    assert regions_of(["gb", "United Kingdom", "", "France", "de"]) == [
        ("France", "France"),
        ("de", "Germany"),
        ("gb", "United Kingdom"),
    ]


def test_one_pool_ranks_many_readers_like_rank_feed() -> None:
    stories = [story(i, TOPICS[i % 7], hours_ago=i % 9, outlets=1 + i % 6) for i in range(1, 60)]
    outlets = outlets_for(stories)
    pool = build_pool(stories, {}, outlets, NOW, days=3.0)
    for prefs in [(), (Preference(FollowKind.TOPIC, "health"),)]:
        learned = learn(read(3), {3: about(3, TOPICS[3])}, NOW)
        direct = rank_feed(stories, {}, outlets, reader(*prefs), NOW, limit=25, learned=learned)
        pooled = rank_pool(pool, Profile.of(reader(*prefs), learned), limit=25)
        assert [(c.story.id, c.reason) for c in direct] == [(c.story.id, c.reason) for c in pooled]
