"""The online clusterer on small real samples, with the real MiniLM embedder."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from herald.cluster.online import (
    ClusterItem,
    OnlineClusterer,
    StoryState,
    _Features,
    embeddable,
    embedding_text,
    lead,
    rebuild_state,
)
from herald.eval.cluster_eval import EvalArticle, read_articles, to_items
from herald.nlp.embed import MiniLMEmbedder

T0 = datetime(2014, 3, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def sample(shared_data: Path) -> list[EvalArticle]:
    """Six headlines each of four real stories, interleaved."""
    articles = read_articles(shared_data / "clustering" / "uci_stream_dev.jsonl")
    by_story: dict[str, list[EvalArticle]] = {}
    for article in articles:
        by_story.setdefault(article.story, []).append(article)
    wanted = [s for s in by_story if s.startswith(("d4lvRcSz", "dscOtqgW", "dhkRgwm8", "dEMAAHOi"))]
    assert len(wanted) == 4
    rows = [by_story[s][:6] for s in wanted]
    return [row[i] for i in range(6) for row in rows]


def _item(id: str, title: str, hours: float, vector: np.ndarray | None) -> ClusterItem:
    return ClusterItem(id, title, "", "outlet", T0 + timedelta(hours=hours), "en", vector)


def test_real_stories_are_separated(sample: list[EvalArticle], embedder: MiniLMEmbedder) -> None:
    clusterer = OnlineClusterer()
    predicted = {item.id: clusterer.add(item).story_key for item in to_items(sample, embedder)}
    by_gold: dict[str, set[object]] = {}
    for article in sample:
        by_gold.setdefault(article.story, set()).add(predicted[article.id])
    keys = [k for keys in by_gold.values() for k in keys]
    assert len(keys) == len(set(keys)), "a predicted story mixes two gold stories"
    sizes = Counter(predicted.values())
    assert sum(sizes.most_common(4)[i][1] for i in range(4)) >= 20


def test_assignment_reports_creation_and_similarity(embedder: MiniLMEmbedder) -> None:
    titles = [
        "McDonald's US sales fall in February, hampered by bad weather",
        "McDonald's blames weak February sales on the weather",
        "Elephants can tell human voices apart, study finds",
    ]
    vectors = embedder.embed(titles)
    clusterer = OnlineClusterer()
    first = clusterer.add(_item("1", titles[0], 0, vectors[0]))
    second = clusterer.add(_item("2", titles[1], 1, vectors[1]))
    third = clusterer.add(_item("3", titles[2], 2, vectors[2]))
    assert first.created and not second.created and third.created
    assert second.story_key == first.story_key
    assert second.similarity >= clusterer.threshold_for(_item("x", "", 0, None))
    story = clusterer.story(first.story_key)
    assert story.members == ["1", "2"] and story.count == 2
    assert abs(float(np.linalg.norm(story.centroid)) - 1.0) < 1e-5


def test_window_closes_old_stories(embedder: MiniLMEmbedder) -> None:
    title = "Men's Wearhouse to buy Jos. A. Bank for $1.8 billion"
    vector = embedder.embed([title])[0]
    clusterer = OnlineClusterer(window_hours=24)
    first = clusterer.add(_item("1", title, 0, vector))
    late = clusterer.add(_item("2", title, 48, vector))
    assert late.created and late.story_key != first.story_key
    assert [s.key for s in clusterer.drop_inactive(T0 + timedelta(hours=60))] == [first.story_key]


def test_allocator_load_and_stories_round_trip(embedder: MiniLMEmbedder) -> None:
    keys = iter([101, 102, 103])
    titles = ["Stacy Keibler marries tech entrepreneur", "Stacy Keibler gets married"]
    vectors = embedder.embed(titles)
    clusterer = OnlineClusterer(allocate=lambda: next(keys))
    assert clusterer.add(_item("1", titles[0], 0, vectors[0])).story_key == 101
    restored = OnlineClusterer(allocate=lambda: next(keys))
    restored.load(clusterer.stories())
    assignment = restored.add(_item("2", titles[1], 1, vectors[1]))
    assert assignment.story_key == 101 and not assignment.created
    assert restored.story(101).members == ["1", "2"]


def test_fingerprint_joins_directly() -> None:
    clusterer = OnlineClusterer()
    a = ClusterItem("1", "Some headline", "", "x", T0, "en", None, fingerprint="abc")
    b = ClusterItem("2", "Totally different words", "", "y", T0, "en", None, fingerprint="abc")
    assert clusterer.add(a).created
    assignment = clusterer.add(b)
    assert not assignment.created and assignment.similarity == 1.0


def test_merge_moves_all_members() -> None:
    """Two stories whose centroids converge are merged; no member is lost."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=384).astype(np.float32)
    other = rng.normal(size=384).astype(np.float32)

    def vec(mix: float) -> np.ndarray:
        v = base * mix + other * (1 - mix)
        return (v / np.linalg.norm(v)).astype(np.float32)

    clusterer = OnlineClusterer(threshold=0.95, headline_offset=0.0, merge_threshold=0.9)
    one = clusterer.add(_item("1", "alpha", 0, vec(1.0)))
    two = clusterer.add(_item("2", "beta", 0, vec(0.55)))
    assert two.created
    merges = ()
    for i in range(3, 9):
        assignment = clusterer.add(_item(str(i), "alpha beta", 0, vec(0.8)))
        merges += assignment.merges
    assert merges, "the converged stories were not merged"
    (story,) = clusterer.stories()
    assert sorted(story.members, key=int) == [str(i) for i in range(1, 9)]
    assert {(m.source, m.target) for m in merges} <= {
        (one.story_key, two.story_key),
        (two.story_key, one.story_key),
    }


def test_items_without_embeddings_cluster_lexically() -> None:
    clusterer = OnlineClusterer()
    first = clusterer.add(_item("1", "Typhoon Nanmadol hits Japan, four dead", 0, None))
    second = clusterer.add(_item("2", "Typhoon Nanmadol: four dead in Japan", 1, None))
    third = clusterer.add(_item("3", "Apple raises App Store prices", 1, None))
    assert second.story_key == first.story_key and third.created


def test_embedding_text_uses_title_and_lead() -> None:
    text = "First sentence here. Second one too. Third is left out."
    assert embedding_text("Title", text) == "Title. First sentence here. Second one too."
    assert lead("") == "" and embedding_text(" T ", "") == "T"


def test_non_english_text_is_not_embedded_unless_glossed() -> None:
    malay = ClusterItem("1", "Empat maut taufan landa Jepun", "Ia dan yang di", "", T0, "", None)
    chinese = ClusterItem("2", "飓风菲奥娜前往百慕大", "", "", T0, "", None)
    japanese = ClusterItem("5", "東京の天気は晴れです", "", "", T0, "", None)
    spanish = ClusterItem("6", "Cuatro muertos por el tifón en Japón", "", "", T0, "", None)
    english = ClusterItem("3", "Four dead as typhoon hits Japan", "", "", T0, "", None)
    assert not embeddable(spanish) and not embeddable(japanese) and embeddable(english)
    assert not embeddable(ClusterItem("4", "Four dead", "", "", T0, "ms", None))
    assert embeddable(chinese)  # embedded through its English glosses
    assert embedding_text(chinese.title, "") == "hurricane leave for Bermuda"
    assert embeddable(malay)  # and Malay through Herald's own glossary
    assert embedding_text(malay.title, malay.text) == "four death typhoon hit Japan. it"


def test_rebuild_state_matches_the_clusterer(embedder: MiniLMEmbedder) -> None:
    titles = ["Stacy Keibler marries tech entrepreneur", "Stacy Keibler gets married"]
    vectors = embedder.embed(titles)
    items = [_item(str(i), t, i, vectors[i]) for i, t in enumerate(titles)]
    clusterer = OnlineClusterer(allocate=lambda: 7)
    for item in items:
        clusterer.add(item)
    (live,) = clusterer.stories()
    rebuilt = rebuild_state(7, items)
    assert rebuilt.members == live.members and rebuilt.vectors == live.vectors == 2
    assert rebuilt.terms == live.terms and np.allclose(rebuilt.mean, live.mean)


def test_restored_state_without_vector_count_uses_its_mean() -> None:
    state = StoryState(7, np.ones(384, np.float32), 3, set(), T0, T0)
    assert state.vectors == 3


def test_time_penalty_fades_with_the_gap_and_saturates() -> None:
    clusterer = OnlineClusterer(time_weight=0.2, time_scale_hours=12.0)
    state = clusterer._create(_item("a", "Mt. Gox files for bankruptcy", 10, None), _no_features())
    state.last_seen = T0 + timedelta(hours=20)
    inside = clusterer.time_penalty(state, T0 + timedelta(hours=15))
    soon = clusterer.time_penalty(state, T0 + timedelta(hours=21))
    later = clusterer.time_penalty(state, T0 + timedelta(hours=32))
    before = clusterer.time_penalty(state, T0 + timedelta(hours=-2))
    much_later = clusterer.time_penalty(state, T0 + timedelta(days=30))
    assert inside == 0.0
    assert 0.0 < soon < later < much_later <= 0.2
    assert later == pytest.approx(0.2 * (1 - np.exp(-1.0)))
    assert before == pytest.approx(later)  # 12 hours before the first member
    assert much_later == pytest.approx(0.2)


def _no_features() -> _Features:
    return _Features(None, frozenset(), frozenset())
