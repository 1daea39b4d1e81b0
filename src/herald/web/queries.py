"""Read queries the web app needs beyond the ``Store`` facade (same tables, same ``tx``)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from herald.rank.feed import rank_feed
from herald.store.schema import sources, stories
from herald.store.store import Store
from herald.types import FeedCard, Reader, Story, Writeup

MAX_CANDIDATES = 1000


@dataclass(frozen=True)
class FeedInputs:
    """Everything ``rank_feed`` needs, loaded in a few queries."""

    stories: list[Story]
    writeups: dict[int, Writeup]
    outlets: dict[int, list[str]]


def feed_inputs(store: Store, now: datetime, days: float) -> FeedInputs:
    recent = store.list_stories(since=now - timedelta(days=days), limit=MAX_CANDIDATES)
    ids = [s.id for s in recent]
    return FeedInputs(recent, store.writeups_for(ids), store.story_outlets(ids))


def ranked_feed(
    store: Store, reader: Reader | None, now: datetime, days: float, limit: int
) -> list[FeedCard]:
    """The reader's (or the anonymous) feed, best first."""
    inputs = feed_inputs(store, now, days)
    return rank_feed(
        inputs.stories, inputs.writeups, inputs.outlets, reader, now, limit=limit, days=days
    )


def outlet_names(store: Store) -> list[str]:
    """Every outlet Herald reads, sorted by name."""
    name = func.coalesce(
        func.nullif(sources.c.outlet, ""), func.nullif(sources.c.title, ""), sources.c.url
    )
    with store.tx() as conn:
        found = {str(n) for n in conn.execute(select(name).distinct()).scalars()}
    return sorted(found, key=str.casefold)


def popular_entities(store: Store, since: datetime, limit: int = 30) -> list[str]:
    """Entities named most often by recent stories, most frequent first."""
    stmt = select(stories.c.entities).where(
        stories.c.last_seen >= since, stories.c.merged_into.is_(None)
    )
    counts: Counter[str] = Counter()
    with store.tx() as conn:
        for raw in conn.execute(stmt).scalars():
            counts.update(str(e) for e in json.loads(raw or "[]"))
    return [e for e, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
