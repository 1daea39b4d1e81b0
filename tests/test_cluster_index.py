"""The clusterer's incremental story index against a brute-force recomputation.

A real slice (UCI headlines, then MMDS full-text articles in English, Malay and Chinese)
is clustered with a short window, so stories are created, joined, merged and expire, with
``drop_inactive`` and a reload of some stories in between and compaction forced early.
Before each article the active stories, the nearest centroids and the shared-token weights
are recomputed from the stories themselves the slow way and compared with the index; after
each article the whole index (slots, times, centroid rows, postings) is checked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from herald.cluster import story_index
from herald.cluster.online import (
    ClusterItem,
    OnlineClusterer,
    StoryKey,
    StoryState,
    _Features,
    rebuild_state,
)
from herald.cluster.story_index import StoryIndex, top_slots
from herald.eval.cluster_eval import in_time_order, read_articles, to_items
from herald.nlp.embed import MiniLMEmbedder

WINDOW_HOURS = 4.0


@pytest.fixture(scope="module")
def stream(shared_data: Path) -> list[ClusterItem]:
    """600 real headlines in time order, then 100 real full-text articles after them."""
    folder = shared_data / "clustering"
    headlines = in_time_order(read_articles(folder / "uci_stream_dev.jsonl"))[:600]
    full_text = read_articles(folder / "mmds2025_dev.jsonl")[:100]
    embedder = MiniLMEmbedder()
    items = to_items(headlines, embedder)
    end = items[-1].published
    for i, item in enumerate(to_items(full_text, embedder)):
        item.published = end + timedelta(hours=6, minutes=7 * i)
        items.append(item)
    return items


def _brute_active(clusterer: OnlineClusterer, item: ClusterItem) -> set[StoryKey]:
    hours = clusterer.window_hours
    return {
        s.key
        for s in clusterer.stories()
        if (item.published - s.last_seen).total_seconds() / 3600 <= hours
        and (s.first_seen - item.published).total_seconds() / 3600 <= hours
    }


def _brute_nearest(
    states: Sequence[StoryState], vector: np.ndarray, k: int
) -> tuple[set[StoryKey], bool]:
    """The ``k`` stories with the nearest centroids, and whether the cut falls on a tie."""
    embedded = [s for s in states if s.vectors and s.mean.shape == vector.shape]
    if not embedded:
        return set(), False
    sims = np.stack([s.centroid for s in embedded]) @ vector
    order = np.argsort(-sims)
    tie = len(order) > k and abs(float(sims[order[k - 1]] - sims[order[k]])) < 1e-5
    return {embedded[int(i)].key for i in order[:k]}, tie


def _brute_token_weights(
    states: Sequence[StoryState], features: _Features, stories: int
) -> dict[StoryKey, float]:
    weights: dict[StoryKey, float] = {}
    for field, tokens in (("terms", features.terms), ("entities", features.entities)):
        for token in tokens:
            users = [s.key for s in states if token in getattr(s, field)]
            for key in users:
                weights[key] = weights.get(key, 0.0) + math.log(1 + stories / len(users))
    return weights


def _check_against_brute_force(clusterer: OnlineClusterer, item: ClusterItem) -> None:
    index = clusterer._index
    features = clusterer._features(item)
    active_mask = clusterer._active(item.published)
    active = {index.keys[int(s)] for s in np.flatnonzero(active_mask)}
    assert active == _brute_active(clusterer, item)
    states = [s for s in clusterer.stories() if s.key in active]
    if features.embedding is not None and index.dims is not None and states:
        sims = index.similarities(features.embedding)
        top = top_slots(sims, active_mask & index.embedded(), clusterer.candidates)
        expected, tie = _brute_nearest(states, features.embedding, clusterer.candidates)
        if not tie:
            assert {index.keys[s] for s in top} == expected
    totals = index.shared_token_weights(
        features.terms, features.entities, active_mask, len(clusterer.stories())
    )
    brute = _brute_token_weights(states, features, len(clusterer.stories()))
    got = {} if totals is None else {index.keys[int(s)]: totals[s] for s in np.flatnonzero(totals)}
    assert got.keys() == brute.keys()
    for key, weight in brute.items():
        assert got[key] == pytest.approx(weight, rel=1e-9)


def test_index_follows_creates_joins_merges_and_expiry(
    stream: list[ClusterItem], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(story_index, "_MIN_COMPACT", 4)
    clusterer = OnlineClusterer(window_hours=WINDOW_HOURS)
    created = merged = dropped = 0
    for i, item in enumerate(stream):
        _check_against_brute_force(clusterer, item)
        assignment = clusterer.add(item)
        created += assignment.created
        merged += len(assignment.merges)
        if i % 50 == 49:
            dropped += len(clusterer.drop_inactive(item.published))
        if i == 300:  # a storage shell reloading some stories, rebuilt from their members
            by_id = {x.id: x for x in stream[: i + 1]}
            states = clusterer.stories()[-5:]
            clusterer.load([rebuild_state(s.key, [by_id[m] for m in s.members]) for s in states])
        clusterer.check_index()
    assert created >= 50 and merged >= 1 and dropped >= 30
    assert clusterer._index.size < created  # freed slots were reused or compacted away
    members = sorted(m for s in clusterer.stories() for m in s.members)
    assert len(members) == len(set(members))


def test_index_slots_are_reused_and_compacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(story_index, "_MIN_COMPACT", 4)
    index = StoryIndex()
    for key in range(20):
        slot = index.add(key)
        index.post(slot, [f"t{key}", "shared"], [f"e{key % 3}"])
    for key in range(0, 20, 2):
        index.unpost(index.slots[key], [f"t{key}", "shared"], [f"e{key % 3}"])
        index.remove(key)
    index.check()
    assert index.size == 10 and len(index) == 10  # compacted: 10 of 20 slots were free
    assert sorted(index.keys) == list(range(1, 20, 2))  # type: ignore[type-var]
    assert index.term_df("shared") == 10 and index.entity_df("e1") == 4
    slot = index.add("new")
    assert slot == 10 and index.keys[slot] == "new"
    index.check()
