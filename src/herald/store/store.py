"""The storage facade: every SQL statement Herald runs lives in this package.

``Store`` works on SQLite and PostgreSQL. Each method is one short transaction, so a process
killed between two calls loses at most the item it was working on, and re-running a stage
picks up where it stopped (stages select work by state, never by position).
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from herald.exceptions import NotFoundError, SourceError, StorageError
from herald.store import feedcache, rows
from herald.store.db import make_engine, migrate
from herald.store.schema import articles, meta, preferences, readers, sources, stories, writeups
from herald.types import (
    Article,
    ArticleKind,
    ExtractStatus,
    FollowKind,
    Preference,
    Reader,
    Source,
    SourceSpec,
    Story,
    TimelinePoint,
    Writeup,
)

OUTLET_NAME = func.coalesce(
    func.nullif(sources.c.outlet, ""), func.nullif(sources.c.title, ""), sources.c.url
).label("outlet_name")

ID_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class NewEntry:
    """A feed item ready to be stored as an article."""

    guid: str
    url: str
    canonical_url: str
    title: str
    summary: str
    author: str
    published: datetime
    image_url: str = ""
    kind: ArticleKind = ArticleKind.NEWS
    section: str = ""  # the topic its categories name (herald.cluster.sections.label_topic)


@dataclass(frozen=True)
class ExtractionUpdate:
    """The result of extracting one article, to be stored."""

    article_id: int
    status: ExtractStatus
    reason: str
    text: str
    author: str = ""
    language: str = ""
    image_url: str = ""
    content_hash: str = ""
    duplicate_of: int | None = None
    published: datetime | None = None
    kind: ArticleKind = ArticleKind.NEWS  # what the page says; news never undoes the feed's
    section: str = ""  # the page's own section's topic; none never undoes the feed's


@dataclass(frozen=True)
class StoryState:
    """What the clusterer needs to resume a story: the story, its centroid and members."""

    story: Story
    centroid: bytes | None
    members: tuple[tuple[int, str, str, datetime], ...]  # (article id, outlet, title, published)


@dataclass(frozen=True)
class Coverage:
    """One article's contribution to a story's coverage (for trending)."""

    story_id: int
    published: datetime
    outlet: str


class Store:
    """Herald's storage on one SQLAlchemy engine."""

    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)

    # ------------------------------------------------------------------ plumbing

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def analyze(self) -> None:
        """Refresh the query planner's statistics of every table. After a bulk load,
        PostgreSQL plans queries of the filled tables blind until autovacuum analyzes them
        (measured: the serving benchmark's feed page on a freshly seeded database ran at 68
        requests/s with the web workers 60% idle, and at about 240-290 once analyzed)."""
        with self.tx() as conn:
            conn.execute(text("ANALYZE"))

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except IntegrityError:
            raise
        except SQLAlchemyError as e:
            raise StorageError(f"database error: {e}") from e

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        return dialect.insert(table)

    # ------------------------------------------------------------------ meta

    def get_meta(self, key: str) -> str | None:
        with self.tx() as conn:
            return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()

    def set_meta(self, key: str, value: str) -> None:
        stmt = self._insert(meta).values(key=key, value=value)
        with self.tx() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))

    # ------------------------------------------------------------------ sources

    def add_source(self, spec: SourceSpec, now: datetime) -> Source:
        values = {
            "url": spec.url,
            "title": spec.title,
            "outlet": spec.outlet,
            "site_url": spec.site_url,
            "country": spec.country,
            "language": spec.language,
            "category": spec.category,
            "fetch_pages": spec.fetch_pages,
            "paused": False,
            "failures": 0,
            "created_at": now,
        }
        try:
            with self.tx() as conn:
                new_id = _new_id(conn, sources.insert().values(**values))
        except IntegrityError as e:
            raise SourceError(f"source already exists: {spec.url}") from e
        return self.get_source(new_id)

    def add_sources(self, specs: Sequence[SourceSpec], now: datetime) -> int:
        """Add many sources at once, skipping addresses already present; returns the count added."""
        if not specs:
            return 0
        stmt = self._insert(sources).on_conflict_do_nothing(index_elements=["url"])
        values = [
            {
                "url": s.url,
                "title": s.title,
                "outlet": s.outlet,
                "site_url": s.site_url,
                "country": s.country,
                "language": s.language,
                "category": s.category,
                "fetch_pages": s.fetch_pages,
                "paused": False,
                "failures": 0,
                "created_at": now,
            }
            for s in specs
        ]
        added = 0
        with self.tx() as conn:
            for row in values:
                added += len(conn.execute(stmt.values(**row).returning(sources.c.id)).all())
        return added

    def get_source(self, source_id: int) -> Source:
        with self.tx() as conn:
            row = conn.execute(select(sources).where(sources.c.id == source_id)).first()
        if row is None:
            raise NotFoundError(f"no source with id {source_id}")
        return rows.source_from_row(row)

    def find_source(self, key: str) -> Source:
        """A source by id or by feed address."""
        cond = sources.c.id == int(key) if key.isdigit() else sources.c.url == key
        with self.tx() as conn:
            row = conn.execute(select(sources).where(cond)).first()
        if row is None:
            raise NotFoundError(f"no source {key!r}")
        return rows.source_from_row(row)

    def list_sources(self) -> list[Source]:
        with self.tx() as conn:
            return [
                rows.source_from_row(r)
                for r in conn.execute(select(sources).order_by(sources.c.id))
            ]

    def remove_source(self, source_id: int) -> None:
        """Delete a source and its articles; stories are recounted, emptied stories dropped."""
        with self.tx() as conn:
            story_ids = set(
                conn.execute(
                    select(articles.c.story_id).where(
                        articles.c.source_id == source_id, articles.c.story_id.is_not(None)
                    )
                ).scalars()
            )
            conn.execute(
                update(articles)
                .where(
                    articles.c.duplicate_of.in_(
                        select(articles.c.id).where(articles.c.source_id == source_id)
                    )
                )
                .values(duplicate_of=None)
            )
            conn.execute(delete(articles).where(articles.c.source_id == source_id))
            if conn.execute(delete(sources).where(sources.c.id == source_id)).rowcount == 0:
                raise NotFoundError(f"no source with id {source_id}")
            feedcache.bump(conn)
        for story_id in story_ids:
            self.recount_story(story_id)

    def update_source(self, source_id: int, **values: Any) -> None:
        allowed = {"paused", "fetch_pages", "title", "outlet", "category", "country", "language"}
        unknown = set(values) - allowed
        if unknown:
            raise StorageError(f"cannot update source fields {sorted(unknown)}")
        with self.tx() as conn:
            conn.execute(update(sources).where(sources.c.id == source_id).values(**values))
            feedcache.bump(conn)

    def due_sources(self, now: datetime) -> list[Source]:
        cond = and_(
            sources.c.paused.is_(False),
            or_(sources.c.next_attempt.is_(None), sources.c.next_attempt <= now),
        )
        with self.tx() as conn:
            return [
                rows.source_from_row(r)
                for r in conn.execute(select(sources).where(cond).order_by(sources.c.id))
            ]

    def record_fetch_success(
        self,
        source_id: int,
        now: datetime,
        etag: str | None,
        last_modified: str | None,
        next_attempt: datetime,
    ) -> None:
        values = {
            "last_success": now,
            "last_attempt": now,
            "last_error": None,
            "failures": 0,
            "next_attempt": next_attempt,
            "etag": etag,
            "last_modified": last_modified,
        }
        with self.tx() as conn:
            conn.execute(update(sources).where(sources.c.id == source_id).values(**values))

    def record_fetch_failure(
        self, source_id: int, now: datetime, error: str, next_attempt: datetime
    ) -> None:
        values = {
            "last_attempt": now,
            "last_error": error[:2000],
            "next_attempt": next_attempt,
            "failures": sources.c.failures + 1,
        }
        with self.tx() as conn:
            conn.execute(update(sources).where(sources.c.id == source_id).values(**values))

    def items_per_day(self, now: datetime, days: float = 7.0) -> dict[int, float]:
        since = now - timedelta(days=days)
        stmt = (
            select(articles.c.source_id, func.count())
            .where(articles.c.ingested_at >= since)
            .group_by(articles.c.source_id)
        )
        with self.tx() as conn:
            return {sid: n / days for sid, n in conn.execute(stmt)}

    # ------------------------------------------------------------------ articles

    def add_entries(
        self, source_id: int, entries: Sequence[NewEntry], now: datetime, fetch_pages: bool
    ) -> int:
        """Store new feed items, skipping known guids and canonical URLs; returns the new count."""
        if not entries:
            return 0
        status = ExtractStatus.PENDING if fetch_pages else ExtractStatus.FEED_TEXT
        stmt = self._insert(articles).on_conflict_do_nothing()
        added = 0
        with self.tx() as conn:
            for entry in _first_of_each(entries):
                row = _entry_values(source_id, entry, now, status)
                added += len(conn.execute(stmt.values(**row).returning(articles.c.id)).all())
        return added

    def pending_extractions(self, limit: int = 500) -> list[tuple[int, str, str]]:
        """(article id, url, feed summary) of articles whose page is still to be extracted."""
        stmt = (
            select(articles.c.id, articles.c.url, articles.c.summary)
            .where(articles.c.extract_status == ExtractStatus.PENDING.value)
            .order_by(articles.c.id)
            .limit(limit)
        )
        with self.tx() as conn:
            return [(r.id, r.url, r.summary) for r in conn.execute(stmt)]

    def save_extractions(self, updates: Sequence[ExtractionUpdate]) -> None:
        with self.tx() as conn:
            for u in updates:
                values: dict[str, Any] = {
                    "extract_status": u.status.value,
                    "extract_reason": u.reason[:1000],
                    "text": u.text,
                    "content_hash": u.content_hash,
                    "duplicate_of": u.duplicate_of,
                }
                for key in ("author", "language", "image_url"):
                    if getattr(u, key):
                        values[key] = getattr(u, key)
                if u.published is not None:
                    values["published"] = u.published
                if u.kind is not ArticleKind.NEWS:
                    values["kind"] = u.kind.value
                if u.section:
                    values["section"] = u.section
                conn.execute(update(articles).where(articles.c.id == u.article_id).values(**values))

    def recent_originals(self, since: datetime, after_id: int = 0) -> list[tuple[int, str]]:
        """(id, text or feed summary) of recent articles that are not copies of another
        (only those with an id above ``after_id``), in id order."""
        body = func.coalesce(func.nullif(articles.c.text, ""), articles.c.summary)
        stmt = (
            select(articles.c.id, body.label("body"))
            .where(
                articles.c.published >= since,
                articles.c.content_hash != "",
                articles.c.duplicate_of.is_(None),
                articles.c.id > after_id,
            )
            .order_by(articles.c.id)
        )
        with self.tx() as conn:
            return [(r.id, r.body) for r in conn.execute(stmt)]

    def recent_original_ids(self, since: datetime) -> list[int]:
        """Ids of the articles ``recent_originals`` would list (a cheap check of a cache)."""
        stmt = select(articles.c.id).where(
            articles.c.published >= since,
            articles.c.content_hash != "",
            articles.c.duplicate_of.is_(None),
        )
        with self.tx() as conn:
            return list(conn.execute(stmt).scalars())

    def article_bodies(self, article_ids: Sequence[int]) -> list[tuple[int, str]]:
        """(id, text or feed summary) of the given articles, in id order."""
        if not article_ids:
            return []
        body = func.coalesce(func.nullif(articles.c.text, ""), articles.c.summary)
        stmt = (
            select(articles.c.id, body.label("body"))
            .where(articles.c.id.in_(list(article_ids)))
            .order_by(articles.c.id)
        )
        with self.tx() as conn:
            return [(r.id, r.body) for r in conn.execute(stmt)]

    def newest_story_texts(self, limit: int) -> dict[int, list[str]]:
        """Story id -> texts (or feed summaries) of the newest ``limit`` original articles
        that belong to a story (the sample ``herald write`` finds boilerplate in)."""
        body = func.coalesce(func.nullif(articles.c.text, ""), articles.c.summary)
        stmt = (
            select(articles.c.story_id, body.label("body"))
            .where(articles.c.story_id.is_not(None), articles.c.duplicate_of.is_(None))
            .order_by(articles.c.id.desc())
            .limit(limit)
        )
        found: dict[int, list[str]] = {}
        with self.tx() as conn:
            for r in conn.execute(stmt):
                found.setdefault(r.story_id, []).append(r.body or "")
        return found

    def _article_select(self) -> Any:
        return select(articles, OUTLET_NAME).join(sources, sources.c.id == articles.c.source_id)

    def get_article(self, article_id: int) -> Article:
        with self.tx() as conn:
            row = conn.execute(self._article_select().where(articles.c.id == article_id)).first()
        if row is None:
            raise NotFoundError(f"no article with id {article_id}")
        return rows.article_from_row(row)

    def unclustered_articles(self, limit: int = 1000) -> list[Article]:
        stmt = (
            self._article_select()
            .where(
                articles.c.story_id.is_(None),
                articles.c.extract_status != ExtractStatus.PENDING.value,
            )
            .order_by(articles.c.published, articles.c.id)
            .limit(limit)
        )
        with self.tx() as conn:
            return [rows.article_from_row(r) for r in conn.execute(stmt)]

    def article_embeddings(self, article_ids: Sequence[int]) -> dict[int, bytes]:
        if not article_ids:
            return {}
        stmt = select(articles.c.id, articles.c.embedding).where(
            articles.c.id.in_(list(article_ids)), articles.c.embedding.is_not(None)
        )
        with self.tx() as conn:
            return {r.id: r.embedding for r in conn.execute(stmt)}

    def articles_by_ids(self, article_ids: Sequence[int]) -> list[Article]:
        """The articles with these ids (unknown ids are left out), in no particular order."""
        out: list[Article] = []
        with self.tx() as conn:
            for chunk in _id_chunks(article_ids):
                stmt = self._article_select().where(articles.c.id.in_(chunk))
                out.extend(rows.article_from_row(r) for r in conn.execute(stmt))
        return out

    def move_articles(self, article_ids: Sequence[int], story_id: int) -> None:
        """Re-point these articles at ``story_id`` (a story split); saving a story recounts it."""
        with self.tx() as conn:
            for chunk in _id_chunks(article_ids):
                conn.execute(
                    update(articles).where(articles.c.id.in_(chunk)).values(story_id=story_id)
                )
            feedcache.bump(conn)

    def story_articles(self, story_id: int) -> list[Article]:
        stmt = (
            self._article_select()
            .where(articles.c.story_id == story_id)
            .order_by(articles.c.published)
        )
        with self.tx() as conn:
            return [rows.article_from_row(r) for r in conn.execute(stmt)]

    def count(self, table_name: str) -> int:
        table = {
            "sources": sources,
            "articles": articles,
            "stories": stories,
            "writeups": writeups,
        }[table_name]
        with self.tx() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    # ------------------------------------------------------------------ stories

    def create_story(self, title: str, first_seen: datetime, now: datetime) -> int:
        values = {
            "title": title,
            "first_seen": first_seen,
            "last_seen": first_seen,
            "article_count": 0,
            "outlet_count": 0,
            "topic": "",
            "entities": "[]",
            "trend_score": 0.0,
            "trending": False,
            "updated_at": now,
        }
        with self.tx() as conn:
            return _new_id(conn, stories.insert().values(**values))

    def assign_articles(self, assignments: Sequence[tuple[int, int, bytes | None]]) -> None:
        """Set (article id, story id, embedding) for many articles in one transaction."""
        with self.tx() as conn:
            for article_id, story_id, embedding in assignments:
                values: dict[str, Any] = {"story_id": story_id}
                if embedding is not None:
                    values["embedding"] = embedding
                conn.execute(update(articles).where(articles.c.id == article_id).values(**values))
            feedcache.bump(conn)

    def save_story(
        self,
        story_id: int,
        *,
        title: str,
        centroid: bytes | None,
        topic: str,
        entities: Sequence[str],
        now: datetime,
    ) -> None:
        values = {
            "title": title,
            "centroid": centroid,
            "topic": topic,
            "entities": json.dumps(list(entities)),
            "updated_at": now,
        }
        with self.tx() as conn:
            conn.execute(update(stories).where(stories.c.id == story_id).values(**values))
            feedcache.bump(conn)
        self.recount_story(story_id)

    def stale_story_ids(self) -> list[int]:
        """Stories (not merged away) whose stored article count differs from their members:
        left behind when a run was killed between assigning articles and saving stories."""
        counts = (
            select(articles.c.story_id, func.count(articles.c.id).label("n"))
            .where(articles.c.story_id.is_not(None))
            .group_by(articles.c.story_id)
            .subquery()
        )
        stmt = (
            select(stories.c.id)
            .select_from(stories.outerjoin(counts, counts.c.story_id == stories.c.id))
            .where(
                stories.c.merged_into.is_(None),
                func.coalesce(counts.c.n, 0) != stories.c.article_count,
            )
            .order_by(stories.c.id)
        )
        with self.tx() as conn:
            return [r.id for r in conn.execute(stmt)]

    def recount_story(self, story_id: int) -> None:
        """Recompute a story's counts and times from its member articles."""
        stmt = (
            select(
                func.count(articles.c.id),
                func.count(func.distinct(OUTLET_NAME)),
                func.min(articles.c.published),
                func.max(articles.c.published),
            )
            .select_from(articles.join(sources, sources.c.id == articles.c.source_id))
            .where(articles.c.story_id == story_id)
        )
        with self.tx() as conn:
            n, outlets, first, last = conn.execute(stmt).one()
            values: dict[str, Any] = {"article_count": n, "outlet_count": outlets}
            if first is not None:
                values.update(first_seen=first, last_seen=last)
            conn.execute(update(stories).where(stories.c.id == story_id).values(**values))
            feedcache.bump(conn)

    def merge_stories(self, source_id: int, target_id: int, now: datetime) -> None:
        """Move every member of ``source_id`` into ``target_id``, which the old story points at."""
        with self.tx() as conn:
            conn.execute(
                update(articles).where(articles.c.story_id == source_id).values(story_id=target_id)
            )
            conn.execute(
                update(stories)
                .where(stories.c.id == source_id)
                .values(
                    merged_into=target_id,
                    article_count=0,
                    outlet_count=0,
                    trending=False,
                    updated_at=now,
                )
            )
            conn.execute(delete(writeups).where(writeups.c.story_id == source_id))
            feedcache.bump(conn)
        self.recount_story(target_id)

    def active_story_states(self, since: datetime) -> list[StoryState]:
        """Stories seen since ``since`` (not merged away), with centroids and members."""
        with self.tx() as conn:
            story_rows = list(
                conn.execute(
                    select(stories).where(
                        stories.c.last_seen >= since, stories.c.merged_into.is_(None)
                    )
                )
            )
            ids = [r.id for r in story_rows]
            members: dict[int, list[tuple[int, str, str, datetime]]] = defaultdict(list)
            if ids:
                stmt = (
                    select(
                        articles.c.id,
                        articles.c.story_id,
                        OUTLET_NAME,
                        articles.c.title,
                        articles.c.published,
                    )
                    .join(sources, sources.c.id == articles.c.source_id)
                    .where(articles.c.story_id.in_(ids))
                    .order_by(articles.c.published)
                )
                for r in conn.execute(stmt):
                    members[r.story_id].append(
                        (r.id, r.outlet_name, r.title, rows.must_utc(r.published))
                    )
        return [
            StoryState(rows.story_from_row(r), r.centroid, tuple(members[r.id])) for r in story_rows
        ]

    def get_story(self, story_id: int) -> Story:
        with self.tx() as conn:
            row = conn.execute(select(stories).where(stories.c.id == story_id)).first()
        if row is None:
            raise NotFoundError(f"no story with id {story_id}")
        return rows.story_from_row(row)

    def resolve_story_id(self, story_id: int) -> int:
        """Follow merges: the id of the story that now holds ``story_id``'s members."""
        seen = set()
        while story_id not in seen:
            seen.add(story_id)
            with self.tx() as conn:
                target = conn.execute(
                    select(stories.c.merged_into).where(stories.c.id == story_id)
                ).scalar()
            if target is None:
                return story_id
            story_id = int(target)
        return story_id

    def list_stories(
        self, since: datetime | None = None, limit: int = 100, offset: int = 0, order: str = "trend"
    ) -> list[Story]:
        stmt = select(stories).where(stories.c.merged_into.is_(None), stories.c.article_count > 0)
        if since is not None:
            stmt = stmt.where(stories.c.last_seen >= since)
        if order == "trend":
            stmt = stmt.order_by(
                stories.c.trend_score.desc(), stories.c.last_seen.desc(), stories.c.id
            )
        else:
            stmt = stmt.order_by(stories.c.last_seen.desc(), stories.c.id)
        with self.tx() as conn:
            return [rows.story_from_row(r) for r in conn.execute(stmt.limit(limit).offset(offset))]

    def story_coverage(self, since: datetime) -> list[Coverage]:
        stmt = (
            select(articles.c.story_id, articles.c.published, OUTLET_NAME)
            .join(sources, sources.c.id == articles.c.source_id)
            .join(stories, stories.c.id == articles.c.story_id)
            .where(stories.c.last_seen >= since, stories.c.merged_into.is_(None))
        )
        with self.tx() as conn:
            return [
                Coverage(r.story_id, rows.must_utc(r.published), r.outlet_name)
                for r in conn.execute(stmt)
            ]

    def save_trends(self, scores: Sequence[tuple[int, float, bool]]) -> None:
        """Store (story id, score, trending); stories not listed stop trending."""
        listed = [s[0] for s in scores]
        with self.tx() as conn:
            stale = update(stories).where(stories.c.trend_score != 0.0)
            if listed:
                stale = stale.where(stories.c.id.not_in(listed))
            conn.execute(stale.values(trending=False, trend_score=0.0))
            for story_id, score, trending in scores:
                conn.execute(
                    update(stories)
                    .where(stories.c.id == story_id)
                    .values(trend_score=score, trending=trending)
                )
            feedcache.bump(conn)

    def story_outlets(self, story_ids: Sequence[int]) -> dict[int, list[str]]:
        """Distinct outlet names per story, most recent coverage first."""
        if not story_ids:
            return {}
        stmt = (
            select(articles.c.story_id, OUTLET_NAME, func.max(articles.c.published).label("latest"))
            .join(sources, sources.c.id == articles.c.source_id)
            .where(articles.c.story_id.in_(list(story_ids)))
            .group_by(articles.c.story_id, OUTLET_NAME)
            .order_by(func.max(articles.c.published).desc())
        )
        out: dict[int, list[str]] = defaultdict(list)
        with self.tx() as conn:
            for r in conn.execute(stmt):
                out[r.story_id].append(r.outlet_name)
        return dict(out)

    def story_timeline(
        self, story_id: int, bucket: timedelta = timedelta(hours=1)
    ) -> list[TimelinePoint]:
        times = [a.published for a in self.story_articles(story_id)]
        if not times:
            return []
        start = min(times).replace(minute=0, second=0, microsecond=0)
        counts: dict[int, int] = defaultdict(int)
        for t in times:
            counts[int((t - start) / bucket)] += 1
        last = max(counts)
        return [TimelinePoint(start + i * bucket, counts.get(i, 0)) for i in range(last + 1)]

    # ------------------------------------------------------------------ writeups

    def get_writeup(self, story_id: int) -> Writeup | None:
        with self.tx() as conn:
            row = conn.execute(select(writeups).where(writeups.c.story_id == story_id)).first()
        return None if row is None else rows.writeup_from_row(row)

    def writeups_for(self, story_ids: Sequence[int]) -> dict[int, Writeup]:
        if not story_ids:
            return {}
        with self.tx() as conn:
            found = conn.execute(select(writeups).where(writeups.c.story_id.in_(list(story_ids))))
            return {r.story_id: rows.writeup_from_row(r) for r in found}

    def writeup_hashes(self) -> dict[int, str]:
        with self.tx() as conn:
            return {
                r.story_id: r.input_hash
                for r in conn.execute(select(writeups.c.story_id, writeups.c.input_hash))
            }

    def save_writeup(self, w: Writeup) -> None:
        """Insert or replace the writeup of ``w.story_id``."""
        values = {
            "story_id": w.story_id,
            "status": w.status.value,
            "headline": w.headline,
            "summary": w.summary,
            "dateline": w.dateline,
            "sentences": rows.sentences_to_json(w.sentences),
            "key_points": json.dumps(list(w.key_points)),
            "sources": rows.sources_to_json(w.sources),
            "writer": w.writer,
            "reason": w.reason,
            "input_hash": w.input_hash,
            "sensitive": w.sensitive,
            "created_at": w.created_at,
        }
        stmt = self._insert(writeups).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["story_id"], set_={k: v for k, v in values.items() if k != "story_id"}
        )
        with self.tx() as conn:
            conn.execute(stmt)
            feedcache.bump(conn)

    # ------------------------------------------------------------------ readers

    def create_reader(self, now: datetime) -> Reader:
        values = {
            "token": secrets.token_urlsafe(32),
            "feed_secret": secrets.token_urlsafe(24),
            "created_at": now,
        }
        with self.tx() as conn:
            new_id = _new_id(conn, readers.insert().values(**values))
        return self.get_reader(new_id)

    def get_reader(self, reader_id: int) -> Reader:
        return self._reader_where(readers.c.id == reader_id, f"no reader with id {reader_id}")

    def reader_by_token(self, token: str) -> Reader:
        return self._reader_where(readers.c.token == token, "unknown reader token")

    def reader_by_feed_secret(self, secret: str) -> Reader:
        return self._reader_where(
            readers.c.feed_secret == secret, "unknown or revoked feed address"
        )

    def _reader_where(self, cond: Any, missing: str) -> Reader:
        with self.tx() as conn:
            row = conn.execute(select(readers).where(cond)).first()
            if row is None:
                raise NotFoundError(missing)
            prefs = conn.execute(
                select(preferences)
                .where(preferences.c.reader_id == row.id)
                .order_by(preferences.c.id)
            )
            prefs_t = tuple(Preference(FollowKind(p.kind), p.value, bool(p.muted)) for p in prefs)
        return Reader(row.id, row.token, row.feed_secret, rows.must_utc(row.created_at), prefs_t)

    def set_preference(self, reader_id: int, pref: Preference, now: datetime) -> None:
        values = {
            "reader_id": reader_id,
            "kind": pref.kind.value,
            "value": pref.value,
            "muted": pref.muted,
            "created_at": now,
        }
        stmt = (
            self._insert(preferences)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["reader_id", "kind", "value"], set_={"muted": pref.muted}
            )
        )
        with self.tx() as conn:
            conn.execute(stmt)

    def remove_preference(self, reader_id: int, kind: FollowKind, value: str) -> None:
        with self.tx() as conn:
            conn.execute(
                delete(preferences).where(
                    preferences.c.reader_id == reader_id,
                    preferences.c.kind == kind.value,
                    preferences.c.value == value,
                )
            )

    def rotate_feed_secret(self, reader_id: int) -> str:
        secret = secrets.token_urlsafe(24)
        with self.tx() as conn:
            conn.execute(
                update(readers).where(readers.c.id == reader_id).values(feed_secret=secret)
            )
        return secret

    # ------------------------------------------------------------------ stats

    def stage_counts(self) -> dict[str, int]:
        """Counts that show pipeline progress (for the CLI and health checks)."""
        pending = case((articles.c.extract_status == ExtractStatus.PENDING.value, 1), else_=0)
        unclustered = case((articles.c.story_id.is_(None), 1), else_=0)
        with self.tx() as conn:
            a = conn.execute(
                select(func.count(), func.sum(pending), func.sum(unclustered)).select_from(articles)
            ).one()
            s = conn.execute(
                select(
                    func.count(), func.sum(case((stories.c.trending.is_(True), 1), else_=0))
                ).where(stories.c.merged_into.is_(None), stories.c.article_count > 0)
            ).one()
            w = conn.execute(
                select(writeups.c.status, func.count()).group_by(writeups.c.status)
            ).all()
        return {
            "sources": self.count("sources"),
            "articles": int(a[0]),
            "pending_extraction": int(a[1] or 0),
            "unclustered": int(a[2] or 0),
            "stories": int(s[0]),
            "trending": int(s[1] or 0),
            **{f"writeups_{status}": int(n) for status, n in w},
        }


def _new_id(conn: Connection, stmt: Any) -> int:
    """Execute an INSERT and return the new row's primary key."""
    key = conn.execute(stmt).inserted_primary_key
    if key is None:
        raise StorageError("the database returned no id for a new row")
    return int(key[0])


def _first_of_each(entries: Any) -> list[NewEntry]:
    """Drop repeated guids and canonical URLs within one batch, keeping the first."""
    seen: set[str] = set()
    out = []
    for e in entries:
        keys = {f"g:{e.guid}", f"u:{e.canonical_url}"} if e.canonical_url else {f"g:{e.guid}"}
        if keys & seen:
            continue
        seen |= keys
        out.append(e)
    return out


def _entry_values(
    source_id: int, e: NewEntry, now: datetime, status: ExtractStatus
) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "guid": e.guid[:2048],
        "url": e.url,
        "canonical_url": e.canonical_url[:2048],
        "title": e.title,
        "summary": e.summary,
        "author": e.author,
        "image_url": e.image_url,
        "published": e.published,
        "kind": e.kind.value,
        "section": e.section,
        "ingested_at": now,
        "text": "",
        "language": "",
        "extract_status": status.value,
        "extract_reason": ""
        if status is ExtractStatus.PENDING
        else "page fetching is off for this source",
        "content_hash": "",
    }


def _id_chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    """``ids`` in lists of at most ``ID_CHUNK`` (one ``IN (...)`` each)."""
    listed = list(ids)
    for start in range(0, len(listed), ID_CHUNK):
        yield listed[start : start + ID_CHUNK]
