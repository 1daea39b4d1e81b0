"""Stories split: a story holding two events parts in two, and no member is ever lost.

The conflated stories are built from real headlines of two gold stories of
uci_headlines_dev.jsonl (Flappy Bird's return; Mt. Gox's bankruptcy), embedded with the real
MiniLM model, and loaded as one story, as an earlier round (or an earlier model) might have
left them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from herald.app import make_herald
from herald.clock import FixedClock
from herald.cluster.online import ClusterItem, OnlineClusterer, embedding_text, rebuild_state
from herald.cluster.split import two_way_split
from herald.config import Settings
from herald.nlp.embed import MiniLMEmbedder, to_bytes
from herald.pipeline.cluster_step import cluster, story_entities
from tests.test_web_seed import NOW, _article, _source

FLAPPY = "dTtx9G2RDbmc5YMasGm422Zcm7TVM"
MT_GOX = "dUtPmDoOKHwco0M4wh2hZy-Sx5CrM"
T0 = datetime(2014, 3, 11, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def _headlines(shared_data: Path, story: str, count: int) -> list[str]:
    path = shared_data / "clustering" / "uci_headlines_dev.jsonl"
    titles: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["story"] == story and len(row["title"].split()) >= 5 and row["title"] not in titles:
            titles.append(row["title"])
    return titles[:count]


def _items(titles: Sequence[str], prefix: str, embedder: MiniLMEmbedder) -> list[ClusterItem]:
    vectors = embedder.embed([embedding_text(t, "") for t in titles])
    return [
        ClusterItem(f"{prefix}{i}", t, "", f"Outlet {i}", T0 + timedelta(minutes=i), "en", v)
        for i, (t, v) in enumerate(zip(titles, vectors, strict=True))
    ]


def _conflated(
    shared_data: Path, embedder: MiniLMEmbedder
) -> tuple[list[ClusterItem], list[ClusterItem], dict[int | str, ClusterItem]]:
    """Seven Flappy Bird and four Mt. Gox headlines, and all of them by id."""
    flappy = _items(_headlines(shared_data, FLAPPY, 7), "f", embedder)
    gox = _items(_headlines(shared_data, MT_GOX, 4), "g", embedder)
    return flappy, gox, {item.id: item for item in [*flappy, *gox]}


def _loaded(clusterer: OnlineClusterer, members: Sequence[ClusterItem]) -> OnlineClusterer:
    """``clusterer`` holding one story, "mixed", of ``members``."""
    clusterer.load([rebuild_state("mixed", list(members))])
    return clusterer


def test_two_way_split_finds_two_groups_and_respects_the_smallest_part() -> None:
    rng = np.random.default_rng(0)
    a, b = np.eye(8, dtype=np.float32)[0], np.eye(8, dtype=np.float32)[1]
    rows = [a + 0.05 * rng.standard_normal(8) for _ in range(6)]
    rows += [b + 0.05 * rng.standard_normal(8) for _ in range(3)]
    vectors = np.stack(rows).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    mask = two_way_split(vectors, min_part=3)
    assert mask is not None and mask.tolist() == [False] * 6 + [True] * 3
    assert two_way_split(vectors, min_part=4) is None
    assert two_way_split(vectors[:5], min_part=3) is None  # too few to part


def test_a_story_holding_two_events_splits_and_keeps_every_member(
    shared_data: Path, embedder: MiniLMEmbedder
) -> None:
    flappy, gox, items = _conflated(shared_data, embedder)
    loader = OnlineClusterer(load_members=lambda ids: [items[i] for i in ids])
    clusterer = _loaded(loader, [*flappy[:6], *gox])

    assignment = clusterer.add(flappy[6])

    assert len(assignment.splits) == 1
    split = assignment.splits[0]
    assert split.source == "mixed" and set(split.moved) == {g.id for g in gox}
    assert assignment.story_key == "mixed"  # the new Flappy Bird article stays
    stories = {s.key: s for s in clusterer.stories()}
    assert set(stories) == {"mixed", split.target}
    assert set(stories["mixed"].members) == {f.id for f in flappy}
    assert set(stories[split.target].members) == {g.id for g in gox}
    clusterer.check_index()
    # the parts are far apart: the next Mt. Gox article joins its own part, no re-merge
    more = _items(_headlines(shared_data, MT_GOX, 5)[4:], "h", embedder)
    items.update({m.id: m for m in more})
    later = clusterer.add(more[0])
    assert later.story_key == split.target and not later.merges


def test_without_a_member_loader_or_with_members_missing_nothing_splits(
    shared_data: Path, embedder: MiniLMEmbedder
) -> None:
    flappy, gox, items = _conflated(shared_data, embedder)
    no_loader = _loaded(OnlineClusterer(), [*flappy[:6], *gox])
    assert not no_loader.add(flappy[6]).splits

    lossy = OnlineClusterer(load_members=lambda ids: [items[i] for i in ids if i != "g0"])
    partial = _loaded(lossy, [*flappy[:6], *gox])
    assert not partial.add(flappy[6]).splits
    assert partial.story("mixed").count == 11


def test_the_cluster_step_splits_a_stored_story(
    settings: Settings, shared_data: Path, embedder: MiniLMEmbedder
) -> None:
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        flappy = _headlines(shared_data, FLAPPY, 7)
        gox = _headlines(shared_data, MT_GOX, 4)
        outlets = [_source(h, f"Outlet {i}") for i in range(7)]
        for i, title in enumerate([*flappy[:6], *gox]):
            _article(h, outlets[i % 7], f"old-{i}", title, title, 10 - i * 0.5)
        old = h.store.unclustered_articles()
        vectors = embedder.embed([embedding_text(a.title, a.body) for a in old])
        sid = h.store.create_story("", NOW, NOW)
        h.store.assign_articles(
            [(a.id, sid, to_bytes(v)) for a, v in zip(old, vectors, strict=True)]
        )
        h.store.recount_story(sid)
        _article(h, outlets[0], "new", flappy[6], flappy[6], 1)

        report = cluster(h)

        assert (report.articles, report.splits) == (1, 1)
        mixed = h.store.story_articles(sid)
        assert {a.title for a in mixed} == set(flappy)
        moved_to = {a.story_id for a in h.store.articles_by_ids([a.id for a in old])} - {sid}
        assert len(moved_to) == 1
        (new_sid,) = moved_to
        assert new_sid is not None
        assert {a.title for a in h.store.story_articles(new_sid)} == set(gox)
        assert h.store.get_story(sid).article_count == 7
        assert h.store.get_story(new_sid).article_count == 4
        assert h.store.stale_story_ids() == []
        assert h.store.get_story(new_sid).title  # saved with a working title
    finally:
        h.close()


def test_a_storys_entities_for_readers_are_names_not_folded_words() -> None:
    # the demo offered "Follow day" on an April Fools' story: a clusterer's folded key
    found = story_entities(["April Fools", "day", "players", "Two", "NSA", "iPhone", "北京"])
    assert found == ("April Fools", "NSA", "iPhone", "北京")
