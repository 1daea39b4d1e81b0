"""Readers' profiles (``reader_profiles``): what the feed reads of a reader's signals, in one row.

The feed learns from a reader's signals of the last ``SIGNAL_DAYS`` days and from their hides
and "less like this" of any age, newest first, at most ``MAX_SIGNALS`` of them
(``herald.rank.signals``). Reading them from ``signals`` joined with their stories on every
feed request costs more than the rest of the reader's look-up, so each new signal also
updates the reader's profile row (``add_signal``: in place, from the row's own list), in the
same transaction: the signals the feed may still
read from then on (positive ones since ``horizon``, the write's time less ``SIGNAL_DAYS``,
and every hide and "less"), compact, newest first. A feed request at a time ``now`` reads the
row with the reader (one query, ``herald.store.visitor``) and picks the signals of its own
window from it, which are exactly those the ``signals`` table would give, because

* the row holds every signal of the window, as long as ``now - SIGNAL_DAYS >= horizon``
  (time moves on; a clock set back falls back to the table), and
* the row matches the table: it records the count and the highest id of all the reader's
  signals when written, and the look-up reads both from the table (an index-only range of the
  reader's own rows); a row that no longer matches (signals moved by merging two readers, a
  write outside this module) is rebuilt. A reader with more than ``PROFILE_MAX`` signals to
  keep gets a row without them, and their feed reads the table.

Decay needs nothing stored: each signal keeps its time, and the weights are computed for the
request's ``now`` (``herald.rank.signals.story_weights``), so a row never goes stale with age.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from herald.rank.signals import SIGNAL_DAYS
from herald.store import rows
from herald.store.schema import reader_profiles, signals
from herald.types import Signal, SignalKind

__all__ = [
    "KINDS",
    "PROFILE_MAX",
    "STICKY",
    "StoredProfile",
    "add_signal",
    "decode_profile",
    "fingerprint",
    "in_window",
    "rebuild_all_profiles",
    "rebuild_profile",
]

PROFILE_MAX = 2000  # signals one row keeps at most
KINDS = tuple(k.value for k in SignalKind)
STICKY = (SignalKind.HIDE.value, SignalKind.LESS.value)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class StoredProfile:
    """A reader's profile row. ``signals`` (original story ids, newest first) is None when
    the reader has more than ``PROFILE_MAX`` to keep: the feed then reads the table."""

    version: int
    signal_count: int
    last_signal_id: int
    horizon: datetime
    signals: tuple[Signal, ...] | None

    def matches(self, count: int, last_id: int) -> bool:
        """Whether the row was built from the reader's signals as they are now."""
        return self.signal_count == count and self.last_signal_id == last_id

    def window(self, now: datetime) -> list[Signal] | None:
        """The signals the feed reads at ``now`` (before the ``MAX_SIGNALS`` cut, which comes
        after dropping those of stories that no longer exist), or None when the row cannot
        say: it holds too many, or ``now``'s window starts before its horizon."""
        since = now - timedelta(days=SIGNAL_DAYS)
        if self.signals is None or since < self.horizon:
            return None
        return in_window(self.signals, since)


def in_window(found: tuple[Signal, ...], since: datetime) -> list[Signal]:
    """Of ``found``: the positive signals since ``since`` and every hide and "less"."""
    return [s for s in found if s.at >= since or s.kind in _STICKY_KINDS]


_STICKY_KINDS = frozenset({SignalKind.HIDE, SignalKind.LESS})


# --------------------------------------------------------------------------- encoding


def _micros(at: datetime) -> int:
    return (rows.must_utc(at) - EPOCH) // MICROSECOND


def _encode(found: list[Signal] | None) -> str:
    if found is None:
        return json.dumps({"signals": None})
    packed = [[s.story_id, s.kind.value, s.value, _micros(s.at)] for s in found]
    return json.dumps({"signals": packed}, separators=(",", ":"))


def _decode_signals(state: str) -> tuple[Signal, ...] | None:
    # orjson reads the same values as json (every feed request decodes one row, 3x faster);
    # timedelta's positional arguments are faster than its keywords.
    packed = orjson.loads(state).get("signals")
    if packed is None:
        return None
    return tuple(
        Signal(int(sid), _KIND_OF[kind], float(value), EPOCH + timedelta(0, 0, int(us)))
        for sid, kind, value, us in packed
    )


_KIND_OF = {k.value: k for k in SignalKind}  # faster than SignalKind(value), per signal


def decode_profile(
    version: int, count: int, last_id: int, horizon: datetime, state: str
) -> StoredProfile:
    """A profile from its row's columns."""
    return StoredProfile(
        int(version), int(count), int(last_id), rows.must_utc(horizon), _decode_signals(state)
    )


# --------------------------------------------------------------------------- writing


_FINGERPRINT = select(func.count(signals.c.id), func.coalesce(func.max(signals.c.id), 0)).where(
    signals.c.reader_id == bindparam("reader_id")
)
_KEPT = (
    select(signals.c.story_id, signals.c.kind, signals.c.value, signals.c.at)
    .where(
        signals.c.reader_id == bindparam("reader_id"),
        signals.c.kind.in_(KINDS),
        or_(signals.c.at >= bindparam("horizon"), signals.c.kind.in_(STICKY)),
    )
    .order_by(signals.c.at.desc(), signals.c.id.desc())
    .limit(PROFILE_MAX + 1)
)


def fingerprint(conn: Connection, reader_id: int) -> tuple[int, int]:
    """(count, highest id) of all the reader's signals."""
    count, last = conn.execute(_FINGERPRINT, {"reader_id": reader_id}).one()
    return int(count), int(last)


def rebuild_profile(conn: Connection, reader_id: int, now: datetime) -> StoredProfile:
    """Write the reader's profile row from the ``signals`` table, in the caller's transaction
    (after any signal it writes); ``now`` sets the horizon. Returns what was written."""
    count, last = fingerprint(conn, reader_id)
    horizon = now - timedelta(days=SIGNAL_DAYS)
    params: dict[str, Any] = {"reader_id": reader_id, "horizon": horizon}
    found = [
        Signal(r.story_id, SignalKind(r.kind), float(r.value), rows.must_utc(r.at))
        for r in conn.execute(_KEPT, params)
    ]
    kept = found if len(found) <= PROFILE_MAX else None
    values = {
        "signal_count": count,
        "last_signal_id": last,
        "horizon": horizon,
        "state": _encode(kept),
        "updated_at": now,
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(reader_profiles).values(reader_id=reader_id, version=1, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["reader_id"],
        set_={"version": reader_profiles.c.version + 1, **values},
    ).returning(reader_profiles.c.version)
    version = int(conn.execute(stmt).scalar_one())
    return StoredProfile(version, count, last, rows.must_utc(horizon), _kept(kept))


_ROW = select(
    reader_profiles.c.signal_count,
    reader_profiles.c.last_signal_id,
    reader_profiles.c.horizon,
    reader_profiles.c.state,
).where(reader_profiles.c.reader_id == bindparam("reader_id"))


def add_signal(
    conn: Connection,
    reader_id: int,
    before: tuple[int, int],
    signal: Signal,
    signal_id: int,
) -> StoredProfile:
    """The reader's profile row after ``signal`` (just inserted as ``signal_id``, in the
    caller's transaction), written without reading the reader's signals again: the row's own
    signals, less those the new horizon drops, with the new one in its place (newest first;
    its id is the highest, so it comes first among signals of the same time). ``before`` is
    the table's (count, highest id) before the insert; a row that did not match it, holds no
    signals (too many) or has a later horizon (the clock went back) is rebuilt instead, so
    what is written is always what :func:`rebuild_profile` would write."""
    now = rows.must_utc(signal.at)
    horizon = now - timedelta(days=SIGNAL_DAYS)
    row = conn.execute(_ROW, {"reader_id": reader_id}).first()
    old = None if row is None else _decode_signals(row.state)
    if (
        row is None
        or old is None
        or (int(row.signal_count), int(row.last_signal_id)) != before
        or signal_id <= before[1]
        or horizon < rows.must_utc(row.horizon)
    ):
        return rebuild_profile(conn, reader_id, now)
    found = [s for s in old if s.at >= horizon or s.kind in _STICKY_KINDS]
    at = next((i for i, s in enumerate(found) if s.at <= now), len(found))
    found.insert(at, replace(signal, at=now))
    kept = found if len(found) <= PROFILE_MAX else None
    count = before[0] + 1
    values = {
        "signal_count": count,
        "last_signal_id": signal_id,
        "horizon": horizon,
        "state": _encode(kept),
        "updated_at": now,
    }
    stmt = (
        reader_profiles.update()
        .where(reader_profiles.c.reader_id == reader_id)
        .values(version=reader_profiles.c.version + 1, **values)
        .returning(reader_profiles.c.version)
    )
    version = int(conn.execute(stmt).scalar_one())
    return StoredProfile(version, count, signal_id, horizon, _kept(kept))


def _kept(found: list[Signal] | None) -> tuple[Signal, ...] | None:
    return None if found is None else tuple(found)


_ALL = select(
    signals.c.id,
    signals.c.reader_id,
    signals.c.story_id,
    signals.c.kind,
    signals.c.value,
    signals.c.at,
).order_by(signals.c.reader_id, signals.c.at.desc(), signals.c.id.desc())


def rebuild_all_profiles(conn: Connection, now: datetime, chunk: int = 2000) -> int:
    """Write every reader's profile row afresh from the ``signals`` table in one pass (a bulk
    load, such as the benchmark's seed); returns the rows written."""
    horizon = now - timedelta(days=SIGNAL_DAYS)
    conn.execute(reader_profiles.delete())
    pending: list[dict[str, Any]] = []
    written = 0
    reader: int | None = None
    found: list[Any] = []
    for r in [*conn.execute(_ALL), None]:
        if r is None or r.reader_id != reader:
            if reader is not None:
                pending.append(_row(reader, found, horizon, now))
            if len(pending) >= chunk or (r is None and pending):
                conn.execute(reader_profiles.insert(), pending)
                written += len(pending)
                pending = []
            if r is None:
                break
            reader, found = r.reader_id, []
        found.append(r)
    return written


def _row(reader_id: int, found: list[Any], horizon: datetime, now: datetime) -> dict[str, Any]:
    """The profile row of one reader from all their signal rows (newest first)."""
    kept = [
        Signal(r.story_id, SignalKind(r.kind), float(r.value), rows.must_utc(r.at))
        for r in found
        if r.kind in KINDS and (r.kind in STICKY or rows.must_utc(r.at) >= horizon)
    ]
    return {
        "reader_id": reader_id,
        "version": 1,
        "signal_count": len(found),
        "last_signal_id": max(r.id for r in found),
        "horizon": horizon,
        "state": _encode(kept if len(kept) <= PROFILE_MAX else None),
        "updated_at": now,
    }
