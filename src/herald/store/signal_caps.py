"""Caps on readers' signals, counted in the database so that every web worker shares them.

A reader may send at most ``limit`` signals per window (a minute). Each signal is counted with
one atomic upsert on the reader's row of ``signal_caps`` (migration 0006): the row says when
the reader's current window began and how many signals came in it, and the statement returns
the new count. PostgreSQL locks the row for the upsert and SQLite has one writer at a time, so
concurrent signals in any number of processes are counted one after the other: whichever
worker answers, a reader gets ``limit`` signals a window, not ``limit`` per process.

A window begins with the first signal after the last one ended, on the wall clock (the same in
every process, also when the ``now`` setting freezes Herald's clock for a replay). A row whose
window began "in the future" (the clock was set back) starts a new window rather than
refusing the reader until the clock catches up.

Counting one row per reader costs one primary-key write per signal, committed without waiting
for the disk on PostgreSQL, and never grows: counting
the reader's recent rows of ``signals`` instead would need a wall-clock time on each signal
(``signals.at`` is Herald's clock, frozen in replays) and a range scan.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import and_, bindparam, case, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from herald.exceptions import NotFoundError
from herald.store.schema import signal_caps
from herald.store.store import Store

__all__ = ["WINDOW_SECONDS", "count_signal"]

WINDOW_SECONDS = 60.0


def _upsert(dialect: Any) -> Any:
    """The counting statement of one dialect: insert (1 in a new window) or add one."""
    live = and_(
        signal_caps.c.window_start > bindparam("cutoff"),
        signal_caps.c.window_start <= bindparam("now"),
    )
    stmt = dialect.insert(signal_caps).values(
        reader_id=bindparam("reader"), window_start=bindparam("now"), used=1
    )
    return stmt.on_conflict_do_update(
        index_elements=[signal_caps.c.reader_id],
        set_={
            "used": case((live, signal_caps.c.used + 1), else_=1),
            "window_start": case((live, signal_caps.c.window_start), else_=bindparam("now")),
        },
    ).returning(signal_caps.c.used, signal_caps.c.window_start)


_UPSERTS = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}
# A count is worth no wait for the disk: a crash may forget the last moment's counts, never
# corrupt them (PostgreSQL's asynchronous commit, for this transaction only).
_NO_WAIT = text("SET LOCAL synchronous_commit TO OFF")


def count_signal(
    store: Store, reader_id: int, limit: int, now: float, window: float = WINDOW_SECONDS
) -> int:
    """Count one signal of ``reader_id`` at ``now`` (wall-clock seconds since the epoch).

    Returns 0 when it is within ``limit`` signals of the reader's window, else the seconds
    until the window ends (at least 1). ``NotFoundError`` when there is no such reader."""
    params = {"reader": reader_id, "now": now, "cutoff": now - window}
    try:
        with store.tx() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(_NO_WAIT)
            row = conn.execute(_UPSERTS[conn.dialect.name], params).one()
    except IntegrityError as e:
        raise NotFoundError(f"no reader with id {reader_id}") from e
    if int(row.used) <= limit:
        return 0
    return min(max(1, math.ceil(float(row.window_start) + window - now)), math.ceil(window))
