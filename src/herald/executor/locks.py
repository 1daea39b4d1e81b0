"""Database-held locks that make two drivers (two ``herald run`` processes, on one machine
or many) take turns where order matters.

:func:`stage_lock` holds a PostgreSQL transaction-level advisory lock
(``pg_advisory_xact_lock``) on a connection of its own for the length of the ``with``
block: a second driver asking for the same lock waits until the first one's block ends, and
a driver that dies mid-block loses its connection, which ends the transaction and frees the
lock. Other connections of the same process are not affected, so the stage's own reads and
writes go on as usual inside the block. On SQLite (one machine, the local executor) the
lock is a no-op: SQLite's own write lock must stay free for the stage itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from herald.exceptions import StorageError
from herald.store.store import Store

__all__ = ["lock_key", "stage_lock"]


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a lock name (PostgreSQL advisory locks take bigint)."""
    return int.from_bytes(
        hashlib.sha256(f"herald:{name}".encode()).digest()[:8], "big", signed=True
    )


@contextmanager
def stage_lock(store: Store, name: str) -> Iterator[None]:
    """Hold the advisory lock ``name`` for the block (PostgreSQL; no-op elsewhere)."""
    if store.dialect != "postgresql":
        yield
        return
    try:
        conn = store.engine.connect()
    except SQLAlchemyError as e:
        raise StorageError(f"cannot take the {name} lock: {e}") from e
    try:
        with conn.begin():  # the transaction's end (commit or rollback) frees the lock
            try:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
            except SQLAlchemyError as e:
                raise StorageError(f"cannot take the {name} lock: {e}") from e
            yield
    finally:
        conn.close()
