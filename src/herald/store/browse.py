"""Read queries behind the topic, entity and outlet pages and the OPML of followed outlets.

Names match the way follows and mutes match (``rank.signals.norm``: case-folded, whitespace
collapsed), so a page lists exactly the stories its follow button would bring to a feed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select

from herald.rank.signals import norm
from herald.store import rows
from herald.store.schema import articles, sources, stories
from herald.store.search import entity_candidates
from herald.store.store import OUTLET_NAME, Store
from herald.types import Article, FollowKind, Reader, Source, Story


@dataclass(frozen=True)
class StoryPage:
    """One page of a story list and how many stories the list has in all."""

    stories: list[Story]
    total: int


def _live() -> list[ColumnElement[bool]]:
    return [stories.c.merged_into.is_(None), stories.c.article_count > 0]


def topic_stories(store: Store, topic: str, limit: int, offset: int) -> StoryPage:
    """Live stories of one topic, most recently updated first."""
    where = [*_live(), stories.c.topic == topic]
    stmt = (
        select(stories)
        .where(*where)
        .order_by(stories.c.last_seen.desc(), stories.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = select(func.count()).select_from(stories).where(*where)
    with store.tx() as conn:
        found = [rows.story_from_row(r) for r in conn.execute(stmt)]
        return StoryPage(found, int(conn.execute(total).scalar_one()))


def entity_stories(store: Store, name: str, limit: int, offset: int) -> StoryPage:
    """Live stories that name the entity ``name``, most recently updated first."""
    wanted = norm(name)
    named = [s for s in entity_candidates(store, name) if wanted in {norm(e) for e in s.entities}]
    return StoryPage(named[offset : offset + limit], len(named))


def entity_display_name(found: Sequence[Story], name: str) -> str:
    """The spelling the stories use most for the entity ``name`` (a cased one over a folded
    "trump"; ties go to the newest story), else ``name`` itself."""
    wanted = norm(name)
    spellings = Counter(e for story in found for e in story.entities if norm(e) == wanted)
    if not spellings:
        return " ".join(name.split())
    return max(spellings, key=lambda e: (e != e.lower(), spellings[e]))


def outlet_sources(store: Store, name: str) -> list[Source]:
    """The feeds of the outlet called ``name`` (its outlet, feed title or address)."""
    wanted = norm(name)
    return [s for s in store.list_sources() if norm(s.outlet_name) == wanted]


def outlet_stories(store: Store, source_ids: Sequence[int], limit: int, offset: int) -> StoryPage:
    """Live stories with at least one article from these feeds, most recently updated first."""
    covered = select(articles.c.story_id).where(articles.c.source_id.in_(list(source_ids)))
    where = [*_live(), stories.c.id.in_(covered)]
    stmt = (
        select(stories)
        .where(*where)
        .order_by(stories.c.last_seen.desc(), stories.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = select(func.count()).select_from(stories).where(*where)
    with store.tx() as conn:
        found = [rows.story_from_row(r) for r in conn.execute(stmt)]
        return StoryPage(found, int(conn.execute(total).scalar_one()))


def outlet_articles(store: Store, source_ids: Sequence[int], limit: int) -> list[Article]:
    """The newest articles from these feeds."""
    stmt = (
        select(articles, OUTLET_NAME)
        .join(sources, sources.c.id == articles.c.source_id)
        .where(articles.c.source_id.in_(list(source_ids)))
        .order_by(articles.c.published.desc(), articles.c.id.desc())
        .limit(limit)
    )
    with store.tx() as conn:
        return [rows.article_from_row(r) for r in conn.execute(stmt)]


def outlet_article_times(
    store: Store, source_ids: Sequence[int], now: datetime, days: int
) -> list[datetime]:
    """Publication times of the articles from these feeds in the ``days`` up to ``now``."""
    stmt = select(articles.c.published).where(
        articles.c.source_id.in_(list(source_ids)),
        articles.c.published >= now - timedelta(days=days),
        articles.c.published <= now,
    )
    with store.tx() as conn:
        return [rows.must_utc(t) for t in conn.execute(stmt).scalars()]


def followed_sources(store: Store, reader: Reader | None) -> list[Source]:
    """The feeds of the outlets ``reader`` follows, by outlet name then address."""
    if reader is None:
        return []
    followed = {
        norm(p.value) for p in reader.preferences if p.kind is FollowKind.OUTLET and not p.muted
    }
    found = [s for s in store.list_sources() if norm(s.outlet_name) in followed]
    return sorted(found, key=lambda s: (norm(s.outlet_name), s.url))
