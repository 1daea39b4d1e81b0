"""Read queries the web app needs beyond the ``Store`` facade, and the feed's query path.

A feed costs a reader's signals (one indexed query and one batched outlet look-up) and
nothing per story: the candidates (stories, writeups, outlets with their countries,
centroids) form one ranking ``Pool`` that every reader shares, kept by ``PoolCache``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import case, event, func, select

from herald.rank.feed import Profile, rank_pool
from herald.rank.pool import Pool, build_pool
from herald.rank.signals import MAX_SIGNALS, NOTHING, SIGNAL_DAYS, Learned, learn
from herald.store.schema import articles, sources, stories, writeups
from herald.store.signals import reader_signals
from herald.store.store import OUTLET_NAME, Store
from herald.types import FeedCard, Reader, Story, Writeup
from herald.web import feedcache

log = logging.getLogger(__name__)

MAX_CANDIDATES = 1000
POOL_STEP = 60  # seconds: the candidate window (and freshness) moves by whole minutes
VERSION_EVERY = 2.0  # seconds between checks for other processes' writes
POOL_MAX_AGE = 300.0  # seconds: rebuilt at least this often whatever the checks say


@dataclass(frozen=True)
class FeedInputs:
    """Everything ``build_pool`` needs, loaded in a few queries."""

    stories: list[Story]
    writeups: dict[int, Writeup]
    outlets: dict[int, list[str]]
    regions: dict[int, list[str]] = field(default_factory=dict)
    centroids: dict[int, NDArray[np.float32]] = field(default_factory=dict)


def feed_inputs(store: Store, now: datetime, days: float) -> FeedInputs:
    recent = store.list_stories(since=now - timedelta(days=days), limit=MAX_CANDIDATES)
    ids = [s.id for s in recent]
    outlets, regions = story_outlets_and_regions(store, ids)
    return FeedInputs(
        recent, store.writeups_for(ids), outlets, regions, story_centroids(store, ids)
    )


def story_outlets_and_regions(
    store: Store, story_ids: list[int]
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Distinct outlets per story (most recent coverage first) and each one's country."""
    if not story_ids:
        return {}, {}
    stmt = (
        select(articles.c.story_id, articles.c.source_id)
        .where(articles.c.story_id.in_(story_ids))
        .group_by(articles.c.story_id, articles.c.source_id)
        .order_by(articles.c.story_id, func.max(articles.c.published).desc())
    )
    with store.tx() as conn:
        found = conn.execute(stmt).all()
        names = {r.id: (r.outlet_name, r.country) for r in conn.execute(_SOURCE_NAMES)}
    outlets: dict[int, list[str]] = {}
    regions: dict[int, list[str]] = {}
    for r in found:
        name, country = names.get(r.source_id, ("", ""))
        listed = outlets.setdefault(r.story_id, [])
        if name and name not in listed:
            listed.append(name)
            regions.setdefault(r.story_id, []).append(country or "")
    return outlets, regions


_SOURCE_NAMES = select(sources.c.id, OUTLET_NAME, sources.c.country)


def story_centroids(store: Store, story_ids: list[int]) -> dict[int, NDArray[np.float32]]:
    """The stories' centroid embeddings (float32), where they have one."""
    if not story_ids:
        return {}
    stmt = select(stories.c.id, stories.c.centroid).where(
        stories.c.id.in_(story_ids), stories.c.centroid.is_not(None)
    )
    with store.tx() as conn:
        return {r.id: np.frombuffer(r.centroid, dtype=np.float32) for r in conn.execute(stmt)}


# --------------------------------------------------------------------------- the pool cache


def data_version(store: Store, since: datetime) -> tuple[Any, ...]:
    """What changes when a candidate of the window (or its writeup) changes: the token that
    writers bump (``herald.web.feedcache``), and aggregates of the window's stories and
    writeups for writers that do not bump it."""
    stmt = (
        select(
            func.count(),
            func.max(stories.c.id),
            func.max(stories.c.updated_at),
            func.sum(stories.c.article_count),
            func.sum(stories.c.trend_score),
            func.sum(case((stories.c.trending, 1), else_=0)),
            func.count(writeups.c.id),
            func.max(writeups.c.created_at),
            func.sum(func.length(writeups.c.status) * writeups.c.story_id),
            func.sum(func.length(writeups.c.headline) + func.length(writeups.c.summary)),
        )
        .select_from(stories.outerjoin(writeups, writeups.c.story_id == stories.c.id))
        .where(stories.c.last_seen >= since, stories.c.merged_into.is_(None))
    )
    token = feedcache.current(store)
    with store.tx() as conn:
        row = conn.execute(stmt).one()
    return (token, *row)


@dataclass
class _Entry:
    start: datetime  # the minute the pool was built for
    days: float
    generation: int  # this process's count of writes to the watched tables when built
    version: tuple[Any, ...]
    pool: Pool
    built: float  # time.monotonic()
    checked: float  # when ``version`` was last confirmed
    anonymous: dict[int, list[FeedCard]] = field(default_factory=dict)


WATCHED = frozenset({"stories", "writeups", "sources"})
_WATCHED_NAMES = re.compile(r"\b(stories|writeups|sources)\b", re.IGNORECASE)


class WriteCounter:
    """Counts this process's INSERT, UPDATE and DELETE statements on the watched tables."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if _touches_watched(statement, context):
            self.count += 1


def _touches_watched(statement: str, context: Any) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        table = getattr(getattr(context.compiled, "statement", None), "table", None)
        return getattr(table, "name", None) in WATCHED
    writes = statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE")
    return writes and _WATCHED_NAMES.search(statement) is not None


class PoolCache:
    """The current pool of one store, shared by every reader.

    A write to the stories, writeups or sources from this process (the pipeline when it runs
    here, an editor's correction, a test) rebuilds it before the next feed. Writes by other
    processes show within ``VERSION_EVERY`` seconds: a background check compares the data
    version then, and rebuilds when it changed, when the minute turned or after
    ``POOL_MAX_AGE`` seconds, while readers keep the current pool meanwhile.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.writes = WriteCounter()
        event.listen(store.engine, "after_cursor_execute", self.writes)
        self._lock = threading.Lock()
        self._refreshing = False
        self._entry: _Entry | None = None

    def get(self, now: datetime, days: float) -> _Entry:
        entry = self._entry
        if entry is None or entry.generation != self.writes.count or entry.days != days:
            return self._rebuild(now, days)
        clock = time.monotonic()
        due = clock - entry.checked >= VERSION_EVERY or clock - entry.built >= POOL_MAX_AGE
        if due or _minute(now) != entry.start:
            self._refresh_in_background(now, days)
        return entry

    def _rebuild(self, now: datetime, days: float) -> _Entry:
        with self._lock:
            entry = self._entry
            fresh = entry is not None and entry.generation == self.writes.count
            if fresh and entry is not None and entry.days == days:
                return entry
            return self._build(now, days)

    def _build(self, now: datetime, days: float) -> _Entry:
        """Build and keep a new pool (with the lock held)."""
        generation = self.writes.count
        start = _minute(now)
        version = data_version(self.store, start - timedelta(days=days))
        inputs = feed_inputs(self.store, start, days)
        pool = build_pool(
            inputs.stories,
            inputs.writeups,
            inputs.outlets,
            start,
            days=days,
            regions=inputs.regions,
            centroids=inputs.centroids,
        )
        clock = time.monotonic()
        entry = _Entry(start, days, generation, version, pool, clock, clock)
        self._entry = entry
        return entry

    def _refresh_in_background(self, now: datetime, days: float) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(
            target=self._refresh, args=(now, days), name="herald-feed-pool", daemon=True
        ).start()

    def _refresh(self, now: datetime, days: float) -> None:
        try:
            with self._lock:
                entry = self._entry
                if entry is None:
                    return
                start = _minute(now)
                version = data_version(self.store, start - timedelta(days=days))
                stale = time.monotonic() - entry.built >= POOL_MAX_AGE
                if version != entry.version or start != entry.start or stale:
                    self._build(now, days)
                else:
                    entry.checked = time.monotonic()
        except Exception:  # a background thread's boundary: log, keep serving the current pool
            log.exception("refreshing the feed's candidates failed; keeping the current ones")
        finally:
            self._refreshing = False


def _minute(now: datetime) -> datetime:
    """The start of ``now``'s window step."""
    return datetime.fromtimestamp(now.timestamp() // POOL_STEP * POOL_STEP, tz=now.tzinfo)


_CACHES: weakref.WeakKeyDictionary[Store, PoolCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def pool_cache(store: Store) -> PoolCache:
    with _CACHES_LOCK:
        found = _CACHES.get(store)
        if found is None:
            found = _CACHES[store] = PoolCache(store)
        return found


def feed_pool(store: Store, now: datetime, days: float) -> Pool:
    """The candidates of the last ``days`` (shared, cached)."""
    return pool_cache(store).get(now, days).pool


# --------------------------------------------------------------------------- a reader's feed


def learned_for(store: Store, reader: Reader | None, now: datetime, pool: Pool) -> Learned:
    """What the reader's signals of the last ``SIGNAL_DAYS`` days teach the ranking; the
    outlets of the stories acted on are those the pool knows (its candidates')."""
    if reader is None:
        return NOTHING
    found = reader_signals(store, reader.id, now - timedelta(days=SIGNAL_DAYS), MAX_SIGNALS)
    stories = {
        sid: replace(story, outlets=pool.items[pool.by_story[sid]].outlets)
        if sid in pool.by_story
        else story
        for sid, story in found.stories.items()
    }
    return learn(found.signals, stories, now)


@dataclass(frozen=True)
class ReaderFeed:
    """A ranked feed and what the page says about it."""

    cards: list[FeedCard]
    customized: bool  # follows, mutes or reading changed it
    newcomer: bool  # no follows, mutes or signals yet: invite them to choose


def reader_feed(
    store: Store, reader: Reader | None, now: datetime, days: float, limit: int
) -> ReaderFeed:
    """The reader's (or the anonymous) feed, best first."""
    entry = pool_cache(store).get(now, days)
    profile = Profile.of(reader, learned_for(store, reader, now, entry.pool))
    if profile.customized:
        cards = rank_pool(entry.pool, profile, limit=limit)
        return ReaderFeed(cards, True, False)
    found = entry.anonymous.get(limit)
    if found is None:
        found = entry.anonymous[limit] = rank_pool(entry.pool, profile, limit=limit)
    return ReaderFeed(found, False, True)


def ranked_feed(
    store: Store, reader: Reader | None, now: datetime, days: float, limit: int
) -> list[FeedCard]:
    """The reader's (or the anonymous) feed, best first."""
    return reader_feed(store, reader, now, days, limit).cards


# --------------------------------------------------------------------------- other lists


def outlet_names(store: Store) -> list[str]:
    """Every outlet Herald reads, sorted by name."""
    name = func.coalesce(
        func.nullif(sources.c.outlet, ""), func.nullif(sources.c.title, ""), sources.c.url
    )
    with store.tx() as conn:
        found = {str(n) for n in conn.execute(select(name).distinct()).scalars()}
    return sorted(found, key=str.casefold)


def source_countries(store: Store) -> list[str]:
    """The distinct countries of the sources (as stored)."""
    stmt = select(sources.c.country).where(sources.c.country != "").distinct()
    with store.tx() as conn:
        return [str(c) for c in conn.execute(stmt).scalars()]


def busiest_outlets(pool: Pool, limit: int) -> list[str]:
    """The outlets covering the most candidate stories, busiest first."""
    counts = Counter(o for item in pool.items for o in item.outlets)
    return [o for o, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))][:limit]


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
