"""Read queries the web app needs beyond the ``Store`` facade, and the feed's query path.

Every reader's feed ranks the same candidates (stories, writeups, outlets with their countries,
centroids), so they form one ranking ``Pool`` that every reader shares. A web worker keeps it
in a ``FeedState`` for one data version of the database (``herald.store.feedcache``): each
request compares the version it read (with the reader, in one query: ``herald.store.visitor``)
and the state is rebuilt the moment another version shows, in whichever process wrote it.
Nothing that changes what a reader sees lives only in one process: everything kept is keyed by
the version and rebuilt from the database.

The pool holds every story of the window as it was at the build, so it serves any later
moment (``herald.rank.pool``): readers are ranked at the current minute (``POOL_STEP``), the
same in every worker. A reader's feed then costs no query of its own: what their signals teach
comes from their profile row, read with them, and from the features (topic, entities,
centroid, merges) of the stories they acted on, kept in the state too.
"""

from __future__ import annotations

import gc
import json
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select

from herald.rank.feed import Profile, rank_pool
from herald.rank.pool import Pool, build_pool
from herald.rank.signals import MAX_SIGNALS, NOTHING, SIGNAL_DAYS, Learned, learn
from herald.store import feedcache, rows
from herald.store.newsroom import RELATED_DAYS, RelatedIndex, public_corrections, related_to
from herald.store.profiles import rebuild_profile
from herald.store.schema import articles, sources, stories
from herald.store.signals import ReaderSignals, reader_signals
from herald.store.store import OUTLET_NAME, Store
from herald.store.visitor import Visit
from herald.types import (
    ArticleKind,
    Correction,
    FeedCard,
    Reader,
    RelatedStory,
    Signal,
    SignalStory,
    Story,
    Writeup,
)
from herald.web.cards import CardCache

MAX_CANDIDATES = 1000  # a moment's candidates: the most trending stories of its window
# The pool holds this many of the window's most trending stories: enough for the moment's
# candidates for hours of stories aging out (then, or at the next write, it is rebuilt).
POOL_STORIES = 2 * MAX_CANDIDATES
POOL_STEP = 60  # seconds: readers are ranked at the start of the current minute
MAX_FEATURES = 50_000  # stories whose features a state keeps at most
MAX_RELATED = 20_000  # stories whose related stories a state keeps at most


@dataclass(frozen=True)
class FeedInputs:
    """Everything ``build_pool`` needs, loaded in a few queries."""

    stories: list[Story]
    writeups: dict[int, Writeup]
    outlets: dict[int, list[str]]
    regions: dict[int, list[str]] = field(default_factory=dict)
    centroids: dict[int, NDArray[np.float32]] = field(default_factory=dict)
    raw_centroids: dict[int, bytes] = field(default_factory=dict)


def window_stories(store: Store, since: datetime, limit: int) -> list[Story]:
    """The ``limit`` most trending live stories seen since ``since`` (``Store.list_stories``'
    order)."""
    stmt = (
        select(stories)
        .where(
            stories.c.merged_into.is_(None),
            stories.c.article_count > 0,
            stories.c.last_seen >= since,
        )
        .order_by(stories.c.trend_score.desc(), stories.c.last_seen.desc(), stories.c.id)
        .limit(limit)
    )
    with store.tx() as conn:
        return [rows.story_from_row(r) for r in conn.execute(stmt)]


def feed_inputs(store: Store, since: datetime) -> FeedInputs:
    recent = window_stories(store, since, POOL_STORIES)
    ids = [s.id for s in recent]
    outlets, regions = story_outlets_and_regions(store, ids)
    raw = story_centroids(store, ids)
    centroids = {k: np.frombuffer(v, dtype=np.float32) for k, v in raw.items()}
    return FeedInputs(recent, store.writeups_for(ids), outlets, regions, centroids, raw)


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


def story_centroids(store: Store, story_ids: list[int]) -> dict[int, bytes]:
    """The stories' centroid embeddings (float32 bytes), where they have one."""
    if not story_ids:
        return {}
    stmt = select(stories.c.id, stories.c.centroid).where(
        stories.c.id.in_(story_ids), stories.c.centroid.is_not(None)
    )
    with store.tx() as conn:
        return {r.id: bytes(r.centroid) for r in conn.execute(stmt)}


# --------------------------------------------------------------------------- the feed's state


@dataclass(frozen=True)
class Features:
    """What the feed learns from a story a reader acted on: the story it counts for now (the
    one it was merged into, if it was), and its own topic, entities and centroid."""

    story: int
    topic: str
    entities: tuple[str, ...]
    centroid: bytes | None


@dataclass
class FeedState:
    """What a worker keeps for one data version: the pool, the anonymous feeds, the
    features of stories readers acted on (loaded as asked for) and rendered cards."""

    version: str
    days: float
    pool: Pool
    anonymous: dict[tuple[datetime, int], list[FeedCard]] = field(default_factory=dict)
    features: dict[int, Features | None] = field(default_factory=dict)
    cards: CardCache = field(default_factory=CardCache)
    related: dict[int, list[RelatedStory]] = field(default_factory=dict)
    related_index: RelatedIndex | None = None
    corrections: dict[int, list[Correction]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class PoolCache:
    """The feed's state of one store, for its current data version.

    ``get`` takes the version the request read; a state of another version is replaced by
    one of the version now in the database (read again under the lock, before loading: a
    write meanwhile costs one more rebuild, never stale data under a newer version).

    With ``settle_gc`` (set in web server processes: :func:`herald.web.server.settle_gc`),
    a new state is followed by a full garbage collection and ``gc.freeze()``: the state's
    hundreds of thousands of long-lived objects leave the collector's generations, so no
    request later stalls in a full collection that scans them all (measured in process on
    the benchmark's seed: one such pause of about 0.15-0.5 s per thousand feed requests and
    worker). The one collection runs here, once per data version, in the request that built
    the state. Freed states go by reference counting (they hold no reference cycles).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._state: FeedState | None = None
        self.settle_gc = False

    def get(self, version: str | None, moment: datetime, days: float) -> FeedState:
        """The state for ``version`` (None: read it now) that can rank at ``moment``."""
        state = self._state
        if state is not None and state.version == version and self._serves(state, moment, days):
            return state
        with self._lock:
            current = feedcache.current(self.store)
            state = self._state
            if state is None or state.version != current or not self._serves(state, moment, days):
                state = self._state = self._build(current, moment, days)
                if self.settle_gc:
                    gc.collect()
                    gc.freeze()
            return state

    @staticmethod
    def _serves(state: FeedState, moment: datetime, days: float) -> bool:
        pool = state.pool
        return state.days == days and pool.now <= moment and pool.covers(moment)

    def _build(self, version: str, moment: datetime, days: float) -> FeedState:
        inputs = feed_inputs(self.store, moment - timedelta(days=days))
        pool = build_pool(
            inputs.stories,
            inputs.writeups,
            inputs.outlets,
            moment,
            days=days,
            regions=inputs.regions,
            centroids=inputs.centroids,
            limit=MAX_CANDIDATES,
            complete=len(inputs.stories) < POOL_STORIES,
        )
        features: dict[int, Features | None] = {
            s.id: Features(s.id, s.topic, s.entities, inputs.raw_centroids.get(s.id))
            for s in inputs.stories
        }
        return FeedState(version, days, pool, features=features)


def minute(now: datetime) -> datetime:
    """The start of ``now``'s ranking step."""
    return datetime.fromtimestamp(now.timestamp() // POOL_STEP * POOL_STEP, tz=now.tzinfo)


_CACHES: weakref.WeakKeyDictionary[Store, PoolCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def pool_cache(store: Store) -> PoolCache:
    with _CACHES_LOCK:
        found = _CACHES.get(store)
        if found is None:
            found = _CACHES[store] = PoolCache(store)
        return found


def feed_state(store: Store, now: datetime, days: float, version: str | None = None) -> FeedState:
    """The feed's state for ``version`` (None: the database's now), able to rank ``now``."""
    return pool_cache(store).get(version, minute(now), days)


def feed_pool(store: Store, now: datetime, days: float) -> Pool:
    """The candidates of the last ``days`` (shared, cached)."""
    return feed_state(store, now, days).pool


# --------------------------------------------------------------------------- what reading taught


def story_features(
    store: Store, state: FeedState, story_ids: Iterable[int]
) -> dict[int, Features | None]:
    """The features of the stories (None: no such story), from ``state`` or read (and kept)."""
    known = state.features
    out = {sid: known.get(sid, _UNKNOWN) for sid in story_ids}
    missing = [sid for sid, f in out.items() if f is _UNKNOWN]
    if missing:
        stmt = select(
            stories.c.id,
            stories.c.merged_into,
            stories.c.topic,
            stories.c.entities,
            stories.c.centroid,
        ).where(stories.c.id.in_(missing))
        with store.tx() as conn:
            found = {r.id: r for r in conn.execute(stmt)}
        if len(known) + len(missing) > MAX_FEATURES:
            known.clear()
        for sid in missing:
            r = found.get(sid)
            out[sid] = known[sid] = (
                None
                if r is None
                else Features(
                    int(r.merged_into or r.id),
                    r.topic,
                    tuple(str(e) for e in json.loads(r.entities or "[]")),
                    None if r.centroid is None else bytes(r.centroid),
                )
            )
    return {sid: f for sid, f in out.items() if f is not _UNKNOWN}


_UNKNOWN = Features(0, "", (), None)  # a stand-in: not looked up yet


def resolve_signals(
    store: Store, state: FeedState, found: Sequence[Signal], limit: int = MAX_SIGNALS
) -> ReaderSignals:
    """``found`` (newest first) counted for the stories they count for now, with those
    stories' features, as ``herald.store.signals.reader_signals`` reads them: a signal on a
    story that no longer exists is dropped; a merged story counts for the one it went into,
    with the features of the newest signal's story."""
    known = story_features(store, state, (s.story_id for s in found))
    out: list[Signal] = []
    about: dict[int, SignalStory] = {}
    for s in found:
        features = known.get(s.story_id)
        if features is None:
            continue
        out.append(Signal(features.story, s.kind, s.value, s.at))
        if features.story not in about:
            about[features.story] = SignalStory(
                features.story, features.topic, features.entities, (), features.centroid
            )
        if len(out) >= limit:
            break
    return ReaderSignals(tuple(out), about)


def reader_learning(
    store: Store, state: FeedState, reader: Reader, visit: Visit | None, now: datetime
) -> ReaderSignals:
    """The reader's signals as the feed reads them at ``now``: from the profile row of
    ``visit`` when it is current and covers ``now`` (rebuilt first when it is not), else from
    the signals table."""
    if visit is not None and visit.reader.id == reader.id:
        if visit.signal_count == 0:
            return ReaderSignals((), {})
        profile = visit.profile
        if profile is None or not visit.profile_current:
            with store.tx() as conn:
                profile = rebuild_profile(conn, reader.id, now)
        found = profile.window(now)
        if found is not None:
            return resolve_signals(store, state, found)
    return reader_signals(store, reader.id, now - timedelta(days=SIGNAL_DAYS), MAX_SIGNALS)


def learned_for(
    store: Store,
    state: FeedState,
    reader: Reader | None,
    now: datetime,
    visit: Visit | None = None,
) -> Learned:
    """What the reader's signals of the last ``SIGNAL_DAYS`` days teach the ranking; the
    outlets of the stories acted on are those the pool knows (its candidates' now)."""
    if reader is None:
        return NOTHING
    found = reader_learning(store, state, reader, visit, now)
    if not found.signals:
        return NOTHING
    live = state.pool.live(minute(now))
    about = {}
    for sid, story in found.stories.items():
        n = live.by_story.get(sid)
        about[sid] = story if n is None else replace(story, outlets=live.items[n].outlets)
    return learn(found.signals, about, now)


# --------------------------------------------------------------------------- a reader's feed


@dataclass(frozen=True)
class ReaderFeed:
    """A ranked feed and what the page says about it."""

    cards: list[FeedCard]
    customized: bool  # follows, mutes or reading changed it
    newcomer: bool  # no follows, mutes or signals yet: invite them to choose
    state: FeedState  # what the feed was ranked from


def reader_feed(
    store: Store,
    reader: Reader | None,
    now: datetime,
    days: float,
    limit: int,
    visit: Visit | None = None,
    version: str | None = None,
) -> ReaderFeed:
    """The reader's (or the anonymous) feed, best first. ``visit`` is the request's look-up
    of ``reader`` (its profile row and the data version); ``version`` the data version read
    without a reader."""
    seen = visit.feed_version if visit is not None else version
    state = feed_state(store, now, days, seen)
    moment = minute(now)
    profile = Profile.of(reader, learned_for(store, state, reader, now, visit))
    if profile.customized:
        cards = rank_pool(state.pool, profile, limit=limit, at=moment)
        return ReaderFeed(cards, True, False, state)
    key = (moment, limit)
    found = state.anonymous.get(key)
    if found is None:
        if len(state.anonymous) > 16:
            state.anonymous.clear()
        found = state.anonymous[key] = rank_pool(state.pool, profile, limit=limit, at=moment)
    return ReaderFeed(found, False, True, state)


def ranked_feed(
    store: Store,
    reader: Reader | None,
    now: datetime,
    days: float,
    limit: int,
    visit: Visit | None = None,
    version: str | None = None,
) -> list[FeedCard]:
    """The reader's (or the anonymous) feed, best first."""
    return reader_feed(store, reader, now, days, limit, visit, version).cards


# --------------------------------------------------------------------------- a story's page


def story_and_writeup(
    store: Store, state: FeedState, story_id: int
) -> tuple[Story, Writeup | None]:
    """A live story and its writeup: from the pool when it holds them (same version)."""
    n = state.pool.by_story.get(story_id)
    if n is not None:
        item = state.pool.items[n]
        return item.story, item.writeup
    return store.get_story(story_id), store.get_writeup(story_id)


def related_for(store: Store, state: FeedState, story: Story) -> list[RelatedStory]:
    """``herald.store.newsroom.related_to`` of ``story``, computed once per data version: from
    an index of the stories around the feed's window when it covers the story's."""
    found = state.related.get(story.id)
    if found is not None:
        return found
    with state.lock:
        if state.related_index is None:
            since = state.pool.now - timedelta(days=state.days + RELATED_DAYS)
            state.related_index = RelatedIndex(store, since)
    found = state.related_index.related(store, story)
    if found is None:
        found = related_to(store, story)
    if len(state.related) >= MAX_RELATED:
        state.related.clear()
    state.related[story.id] = found
    return found


def corrections_for(store: Store, state: FeedState, story_id: int) -> list[Correction]:
    """The story's public corrections, newest first (all of them read once per version: a
    correction is written with a bump, ``herald.store.newsroom.pull_story`` and
    ``correct_story``)."""
    if state.corrections is None:
        with state.lock:
            if state.corrections is None:
                state.corrections = public_corrections(store)
    return state.corrections.get(story_id, [])


@dataclass(frozen=True)
class ArticleLink:
    """What a story page shows of one of its articles."""

    id: int
    outlet: str
    title: str
    url: str
    published: datetime
    kind: ArticleKind = ArticleKind.NEWS


def story_links(store: Store, story_id: int) -> list[ArticleLink]:
    """The story's articles, oldest first (``Store.story_articles`` without the texts)."""
    stmt = (
        select(
            articles.c.id,
            OUTLET_NAME,
            articles.c.title,
            articles.c.url,
            articles.c.published,
            articles.c.kind,
        )
        .join(sources, sources.c.id == articles.c.source_id)
        .where(articles.c.story_id == story_id)
        .order_by(articles.c.published)
    )
    with store.tx() as conn:
        return [
            ArticleLink(
                r.id,
                r.outlet_name,
                r.title,
                r.url,
                rows.must_utc(r.published),
                ArticleKind(r.kind),
            )
            for r in conn.execute(stmt)
        ]


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


def busiest_outlets(pool: Pool, limit: int, at: datetime | None = None) -> list[str]:
    """The outlets covering the most candidate stories at ``at``, busiest first."""
    live = pool.live(None if at is None else minute(at))
    counts = Counter(o for item in live.items for o in item.outlets)
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


__all__ = [
    "MAX_CANDIDATES",
    "POOL_STEP",
    "Features",
    "FeedInputs",
    "FeedState",
    "PoolCache",
    "ReaderFeed",
    "busiest_outlets",
    "feed_inputs",
    "feed_pool",
    "feed_state",
    "learned_for",
    "minute",
    "outlet_names",
    "popular_entities",
    "ranked_feed",
    "reader_feed",
    "source_countries",
    "story_outlets_and_regions",
]
