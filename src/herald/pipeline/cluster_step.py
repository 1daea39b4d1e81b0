"""Cluster step: embed new articles and assign them, in time order, to stories.

The active stories (last article within the window) are restored from storage into the
online clusterer, new articles are fed in publication order, and each batch's assignments,
merges and story summaries are persisted together. A killed run leaves the rest of its
articles without a story; the next run restores the stories and carries on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from herald.app import Herald
from herald.cluster.entities import entities, terms
from herald.cluster.online import (
    Assignment,
    ClusterItem,
    OnlineClusterer,
    StoryState,
    embedding_text,
    item_words,
)
from herald.cluster.topics import topic_for, working_title
from herald.nlp.embed import from_bytes, to_bytes
from herald.pipeline.progress import NoProgress, Progress
from herald.types import Article

BATCH = 256


@dataclass
class ClusterReport:
    """What one cluster round did."""

    articles: int = 0
    new_stories: int = 0
    merges: int = 0


def cluster(h: Herald, progress: Progress | None = None) -> ClusterReport:
    """Assign every article without a story."""
    progress = progress or NoProgress()
    report = ClusterReport()
    pending = h.store.unclustered_articles(limit=1_000_000)
    progress.start("Clustering articles", len(pending))
    if not pending:
        progress.finish()
        return report
    clusterer = _restore(h)
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        _cluster_batch(h, clusterer, batch, report)
        progress.advance(len(batch))
    progress.finish()
    return report


def make_clusterer(h: Herald) -> OnlineClusterer:
    def allocate() -> int:
        now = h.clock.now()
        return h.store.create_story("", now, now)

    s = h.settings
    return OnlineClusterer(
        threshold=s.cluster_threshold, window_hours=s.cluster_window_hours, allocate=allocate
    )


def _restore(h: Herald) -> OnlineClusterer:
    clusterer = make_clusterer(h)
    since = h.clock.now() - timedelta(hours=h.settings.cluster_window_hours)
    states = []
    for saved in h.store.active_story_states(since):
        members = [h.store.get_article(member[0]) for member in saved.members]
        vectors = h.store.article_embeddings([m.id for m in members])
        if members:
            states.append(restore_state(saved.story.id, members, vectors))
    clusterer.load(states)
    return clusterer


def restore_state(
    story_id: int, members: Sequence[Article], vectors: dict[int, bytes]
) -> StoryState:
    """Rebuild a story's clustering state from its stored members."""
    items = [_item(a, from_bytes(vectors.get(a.id))) for a in members]
    embedded = [i.embedding for i in items if i.embedding is not None]
    mean = (
        np.mean(np.stack(embedded), axis=0).astype(np.float32)
        if embedded
        else np.zeros(384, np.float32)
    )
    term_counts: Counter[str] = Counter()
    entity_counts: Counter[str] = Counter()
    for item in items:
        words = item_words(item)
        term_counts.update(set(terms(words)))
        entity_counts.update(set(entities(words)))
    return StoryState(
        key=story_id,
        mean=mean,
        count=len(items),
        outlets={a.outlet for a in members},
        first_seen=min(a.published for a in members),
        last_seen=max(a.published for a in members),
        terms=term_counts,
        entities=entity_counts,
        members=[a.id for a in members],
    )


def _item(a: Article, embedding: np.ndarray | None) -> ClusterItem:  # type: ignore[type-arg]
    return ClusterItem(a.id, a.title, a.body, a.outlet, a.published, a.language, embedding)


def _cluster_batch(
    h: Herald, clusterer: OnlineClusterer, batch: Sequence[Article], report: ClusterReport
) -> None:
    vectors = h.embedder.embed([embedding_text(a.title, a.body) for a in batch])
    assignments: list[tuple[int, int, bytes | None]] = []
    outcomes: list[Assignment] = []
    for article, vector in zip(batch, vectors, strict=True):
        outcome = clusterer.add(_item(article, vector))
        outcomes.append(outcome)
        assignments.append((article.id, int(outcome.story_key), to_bytes(vector)))
    h.store.assign_articles(assignments)
    touched = {int(o.story_key) for o in outcomes}
    now = h.clock.now()
    for outcome in outcomes:
        report.new_stories += outcome.created
        for merge in outcome.merges:
            h.store.merge_stories(int(merge.source), int(merge.target), now)
            touched.discard(int(merge.source))
            touched.add(int(merge.target))
            report.merges += 1
    report.articles += len(batch)
    for key in touched:
        _save_story(h, clusterer, key)


def _save_story(h: Herald, clusterer: OnlineClusterer, key: int) -> None:
    try:
        state = clusterer.story(key)
    except KeyError:
        return
    members = h.store.story_articles(key)
    titles = [a.title for a in members if a.title]
    vectors = h.store.article_embeddings([a.id for a in members])
    embedded = [from_bytes(vectors.get(a.id)) for a in members if a.title]
    title = working_title(titles, embedded) if titles else ""
    topic = topic_for(state.centroid, h.embedder)
    h.store.save_story(
        key,
        title=title,
        centroid=to_bytes(state.centroid),
        topic=topic,
        entities=state.main_entities(),
        now=h.clock.now(),
    )
