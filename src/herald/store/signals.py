"""Readers' reading signals in the ``signals`` table: record one, count recent ones, and load
what the feed learns from (a reader's signals with their stories' topics, entities and
centroid embeddings) in one indexed query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from herald.exceptions import NotFoundError
from herald.store import rows
from herald.store.profiles import KINDS, STICKY, add_signal, fingerprint
from herald.store.schema import readers, signals, stories
from herald.store.store import Store
from herald.types import Signal, SignalKind, SignalStory

READ_CAP_SECONDS = 600.0


@dataclass(frozen=True)
class ReaderSignals:
    """A reader's signals, newest first, and the stories they are about (by story id).

    A signal on a story later merged into another counts for the story it was merged into.
    """

    signals: tuple[Signal, ...]
    stories: dict[int, SignalStory]


def clean_value(kind: SignalKind, value: float) -> float:
    """Seconds of reading are capped at ``READ_CAP_SECONDS``; other kinds count 1."""
    if kind is SignalKind.READ:
        return round(min(max(value, 0.0), READ_CAP_SECONDS), 1)
    return 1.0


def record_signal(
    store: Store, reader_id: int, story_id: int, kind: SignalKind, value: float, at: datetime
) -> None:
    """Store one signal and update the reader's profile row (``herald.store.profiles``) in the
    same transaction; ``NotFoundError`` when the story (or reader) does not exist.

    The reader's row is locked first (PostgreSQL; SQLite has one writer at a time anyway), so
    two signals of one reader at once rebuild the profile one after the other."""
    stmt = insert(signals).values(
        reader_id=reader_id,
        story_id=story_id,
        kind=kind.value,
        value=clean_value(kind, value),
        at=at,
    )
    try:
        with store.tx() as conn:
            conn.execute(_LOCK_READER, {"reader_id": reader_id})
            before = fingerprint(conn, reader_id)
            signal_id = int(conn.execute(stmt.returning(signals.c.id)).scalar_one())
            added = Signal(story_id, kind, clean_value(kind, value), at)
            add_signal(conn, reader_id, before, added, signal_id)
    except IntegrityError as e:
        raise NotFoundError(f"no story with id {story_id}") from e


_LOCK_READER = select(readers.c.id).where(readers.c.id == bindparam("reader_id")).with_for_update()


_STORY = func.coalesce(stories.c.merged_into, stories.c.id).label("story")
# Built once: the reader's signals of a window (hides and "less" of any age), newest first,
# with the topics, entities and centroids of their stories. Uses ix_signals_reader_at.
_READER_SIGNALS = (
    select(
        _STORY,
        signals.c.kind,
        signals.c.value,
        signals.c.at,
        stories.c.topic,
        stories.c.entities,
        stories.c.centroid,
    )
    .join(stories, stories.c.id == signals.c.story_id)
    .where(
        signals.c.reader_id == bindparam("reader_id"),
        signals.c.kind.in_(KINDS),
        or_(signals.c.at >= bindparam("since"), signals.c.kind.in_(STICKY)),
    )
    .order_by(signals.c.at.desc(), signals.c.id.desc())
    .limit(bindparam("limit"))
)


def reader_signals(store: Store, reader_id: int, since: datetime, limit: int) -> ReaderSignals:
    """The reader's signals since ``since`` (hides and "less" of any age), newest ``limit``,
    in one indexed query. The stories' outlets are not loaded (``SignalStory.outlets`` is
    empty): the feed knows those of its candidates."""
    found: list[Signal] = []
    features: dict[int, SignalStory] = {}
    params = {"reader_id": reader_id, "since": since, "limit": limit}
    with store.tx() as conn:
        for r in conn.execute(_READER_SIGNALS, params):
            found.append(Signal(r.story, SignalKind(r.kind), float(r.value), rows.must_utc(r.at)))
            if r.story not in features:
                entities = tuple(str(e) for e in json.loads(r.entities or "[]"))
                features[r.story] = SignalStory(r.story, r.topic, entities, (), r.centroid)
    return ReaderSignals(tuple(found), features)
