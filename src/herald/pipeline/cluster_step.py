"""Cluster step: embed new articles and assign them, in time order, to stories.

The active stories (last article within the window) are restored from storage into the
online clusterer, new articles are fed in publication order, and each batch's assignments,
merges and story summaries are persisted together. A killed run leaves the rest of its
articles without a story; the next run restores the stories and carries on.

Embedding runs through the executor (batches on the model workers, a few ahead of the
assignment); assignment itself is sequential and runs in the driver. The whole step holds
the ``cluster`` lock (a PostgreSQL advisory lock; see :mod:`herald.executor.locks`), and
both the articles to assign and the stories are read after taking it: two drivers never
assign the same article, and each one sees every story the other created, so no event gets
two stories because two processes saw it at once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from herald.app import Herald
from herald.cluster.ner import main_entities
from herald.cluster.online import (
    Assignment,
    ClusterItem,
    OnlineClusterer,
    StoryState,
    embedding_text,
    rebuild_state,
)
from herald.cluster.sections import section_shares, section_topics
from herald.cluster.topics import topic_of_centroid, working_title
from herald.executor.locks import stage_lock
from herald.executor.models import Models
from herald.nlp.embed import Vectors, from_bytes, to_bytes
from herald.nlp.furniture import is_furniture
from herald.nlp.glossary import english_gloss
from herald.pipeline.language import in_english
from herald.pipeline.progress import NoProgress, Progress
from herald.types import Article
from herald.write.headline import is_title, title_from_text, whole_title

BATCH = 256
ENTITY_TITLES = 64  # a story's main entities come from its latest headlines


@dataclass
class ClusterReport:
    """What one cluster round did."""

    articles: int = 0
    new_stories: int = 0
    merges: int = 0
    splits: int = 0


def cluster(h: Herald, progress: Progress | None = None) -> ClusterReport:
    """Assign every article without a story (holding the ``cluster`` lock)."""
    progress = progress or NoProgress()
    with stage_lock(h.store, "cluster"):
        return _cluster_locked(h, progress)


def _cluster_locked(h: Herald, progress: Progress) -> ClusterReport:
    report = ClusterReport()
    pending = h.store.unclustered_articles(limit=1_000_000)
    stale = h.store.stale_story_ids()
    progress.start("Clustering articles", len(pending))
    if not pending and not stale:
        progress.finish()
        return report
    members = Members(h)
    clusterer = _restore(h, members)
    filing = Filing(h)
    _repair(h, clusterer, stale, filing)
    batches = [pending[start : start + BATCH] for start in range(0, len(pending), BATCH)]
    texts = ([embedding_text(a.title, a.body) for a in batch] for batch in batches)
    embedded = h.executor.map_batches(embed_texts, texts)
    for batch, vectors in zip(batches, embedded, strict=True):
        _cluster_batch(h, clusterer, members, batch, vectors, report, filing)
        progress.advance(len(batch))
    progress.finish()
    return report


def embed_texts(models: Models, texts: Sequence[str]) -> Vectors:
    """A model batch: embed ``texts`` (runs where the embedder is loaded)."""
    return models.embedder.embed(texts)


def _repair(h: Herald, clusterer: OnlineClusterer, stale: Sequence[int], filing: Filing) -> None:
    """Recount and re-save stories a killed run left with stale counts, so none of their
    members is invisible (articles were assigned, the story row was not yet updated)."""
    for story_id in stale:
        h.store.recount_story(story_id)
        _save_story(h, clusterer, story_id, filing)


class Filing:
    """The topics an article's publisher filed it under: its own section (the page's or its
    feed entry's labels), the sections of its address and its feed's, and its source's
    category (the sources are read once per round, each article's filing once: a story is
    saved after every batch that touches it)."""

    def __init__(self, h: Herald) -> None:
        self.feeds = {s.id: (s.url, s.category) for s in h.store.list_sources()}
        self.known: dict[int, frozenset[str]] = {}

    def __call__(self, article: Article) -> frozenset[str]:
        filed = self.known.get(article.id)
        if filed is None:
            feed, category = self.feeds.get(article.source_id, ("", ""))
            filed = section_topics((article.url,), (category,), feeds=(feed,))
            filed = filed | {article.section} if article.section else filed
            self.known[article.id] = filed
        return filed


class Members:
    """Reads stories' members back for the clusterer's split checks: the current batch's
    articles (not yet written) from memory, the others from the database."""

    def __init__(self, h: Herald) -> None:
        self.h = h
        self.pending: dict[int, ClusterItem] = {}

    def __call__(self, ids: Sequence[int | str]) -> list[ClusterItem]:
        wanted = [int(i) for i in ids]
        missing = [i for i in wanted if i not in self.pending]
        found = dict(self.pending)
        if missing:
            vectors = self.h.store.article_embeddings(missing)
            for a in self.h.store.articles_by_ids(missing):
                found[a.id] = _item(a, from_bytes(vectors.get(a.id)))
        return [found[i] for i in wanted if i in found]


def make_clusterer(h: Herald, members: Members | None = None) -> OnlineClusterer:
    def allocate() -> int:
        now = h.clock.now()
        return h.store.create_story("", now, now)

    s = h.settings
    return OnlineClusterer(
        threshold=s.cluster_threshold,
        window_hours=s.cluster_window_hours,
        allocate=allocate,
        load_members=members,
    )


def _restore(h: Herald, loader: Members) -> OnlineClusterer:
    clusterer = make_clusterer(h, loader)
    since = h.clock.now() - timedelta(hours=h.settings.cluster_window_hours)
    states = []
    for saved in h.store.active_story_states(since):
        members = h.store.story_articles(saved.story.id)
        vectors = h.store.article_embeddings([m.id for m in members])
        if members:
            states.append(restore_state(saved.story.id, members, vectors))
    clusterer.load(states)
    return clusterer


def restore_state(
    story_id: int, members: Sequence[Article], vectors: dict[int, bytes]
) -> StoryState:
    """Rebuild a story's clustering state from its stored members."""
    return rebuild_state(story_id, [_item(a, from_bytes(vectors.get(a.id))) for a in members])


def _item(a: Article, embedding: np.ndarray | None) -> ClusterItem:
    return ClusterItem(a.id, a.title, a.body, a.outlet, a.published, a.language, embedding)


def _cluster_batch(
    h: Herald,
    clusterer: OnlineClusterer,
    members: Members,
    batch: Sequence[Article],
    vectors: Vectors,
    report: ClusterReport,
    filing: Filing,
) -> None:
    assignments: list[tuple[int, int, bytes | None]] = []
    outcomes: list[Assignment] = []
    for article, vector in zip(batch, vectors, strict=True):
        item = _item(article, vector)
        members.pending[article.id] = item
        outcome = clusterer.add(item)
        outcomes.append(outcome)
        assignments.append((article.id, int(outcome.story_key), to_bytes(vector)))
    h.store.assign_articles(assignments)
    members.pending.clear()
    touched = {int(o.story_key) for o in outcomes}
    for outcome in outcomes:  # merges and splits in the order the clusterer made them
        report.new_stories += outcome.created
        _apply_changes(h, outcome, touched, report)
    report.articles += len(batch)
    for key in touched:
        _save_story(h, clusterer, key, filing)


def _apply_changes(
    h: Herald, outcome: Assignment, touched: set[int], report: ClusterReport
) -> None:
    """Persist one assignment's merges, then its splits; ``touched`` gains the stories to save."""
    for merge in outcome.merges:
        h.store.merge_stories(int(merge.source), int(merge.target), h.clock.now())
        touched.discard(int(merge.source))
        touched.add(int(merge.target))
        report.merges += 1
    for split in outcome.splits:
        h.store.move_articles([int(m) for m in split.moved], int(split.target))
        touched.update((int(split.source), int(split.target)))
        report.splits += 1


def _save_story(h: Herald, clusterer: OnlineClusterer, key: int, filing: Filing) -> None:
    try:
        state = clusterer.story(key)
    except KeyError:
        return
    members = [a for a in h.store.story_articles(key) if a.title]
    vectors = h.store.article_embeddings([a.id for a in members])
    found = [from_bytes(vectors.get(a.id)) for a in members]
    stacked = (
        np.stack([v for v in found if v is not None]) if all(v is not None for v in found) else None
    )
    titles = [a.title if is_title(a.title) else "" for a in members]
    english = [in_english(a) for a in members]
    title = whole_title(working_title(titles, stacked, english)) if members else ""
    if not title or is_furniture(title):  # every headline is a widget, a byline or a caption:
        # the text says what the story is about
        title = next(filter(None, (title_from_text(a.body) for a in members)), "")
        title = title or working_title([a.title for a in members], stacked)
    centroid = state.centroid
    sections = section_shares([filing(a) for a in members])
    topic = topic_of_centroid(centroid, h.embedder, sections) if centroid.size else ""
    h.store.save_story(
        key,
        title=title,
        centroid=to_bytes(state.centroid),
        topic=topic,
        entities=story_entities(_main_entities(state, [a.title for a in members])),
        now=h.clock.now(),
    )


def _main_entities(state: StoryState, titles: Sequence[str]) -> tuple[str, ...]:
    """Named entities of the latest headlines (spaCy); the clusterer's when none are found.

    The clusterer's entities of a Chinese story come from the headlines' English glosses
    (:mod:`herald.nlp.glossary`), so they are spelled as the glosses spell them ("Bermuda").
    """
    recent = titles[-ENTITY_TITLES:]
    found = main_entities(recent, limit=12)
    if found:
        return found
    written = [*recent, *filter(None, map(english_gloss, recent))]
    return tuple(filter(None, (as_written(k, written) for k in state.main_entities(12))))


def as_written(key: str, titles: Sequence[str]) -> str:
    """The clusterer's entity key (case-folded) as the headlines spell it, or "" when no
    headline has it as whole words: readers never see a folded "trump" for "Trump"."""
    pattern = re.compile(rf"(?<!\w){re.escape(key)}(?!\w)", re.IGNORECASE)
    spellings = Counter(m.group(0) for t in titles for m in pattern.finditer(t))
    return spellings.most_common(1)[0][0] if spellings else ""


_NOT_ENTITIES = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "yesterday",
        "tomorrow",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)


def story_entities(names: Sequence[str], limit: int = 8) -> tuple[str, ...]:
    """A story's main entities for readers: no bare numbers or number words, weekdays or
    months, and no word written in lower case where its script has capitals (a reader was
    offered "Follow day" and "Follow players" from the clusterer's folded keys); names in
    scripts without case (Chinese) stay."""
    kept = [
        n
        for n in names
        if n.lower() not in _NOT_ENTITIES
        and not n.replace(",", "").isdigit()
        and not (n == n.lower() and n != n.upper())
    ]
    return tuple(kept[:limit])
