"""The feed's data version: an exact, cheap check for caches of what the feed shows.

Every reader's feed ranks the same candidates (the stories of the last days with their
writeups, outlets and centroids), so each web worker keeps them in a pool shared by all readers
and rebuilds it when they change (``herald.web.queries``); the story page's related stories and
the features of the stories readers acted on are kept the same way. Knowing *whether* they
changed must not cost a scan: an aggregate over the window's stories and writeups takes about
50 ms with 5,000 stories on SQLite, more than all the rest of a feed request.

So the writers say it instead. Every transaction that changes an input of the feed (a story's
counts, times, topic, entities, centroid, trend or merge; a writeup written, replaced, pulled
or corrected; an article joining or leaving a story; a source's outlet name or country)
calls :func:`bump` on its own connection, which replaces one ``meta`` row with a fresh random
token. Readers call :func:`current` (or read the row along with other things, as the web
app's reader look-up does): one primary-key read. As the token is committed with the change it
describes, every process sees a change and its new version at the same moment, so every web
worker rebuilds for the same data and serves every reader the same feed.

Rules for a cache keyed by the version:

* read the version *before* loading the data it will key: a write in between then costs one
  extra rebuild, never stale data under a new key;
* a database no writer has bumped yet has the version ``""`` (a fresh install, or one made
  before this module): still exact, as any later write bumps it.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from herald.store.schema import meta

if TYPE_CHECKING:
    from herald.store.store import Store

__all__ = ["VERSION_KEY", "VERSION_SELECT", "bump", "bump_store", "current", "read"]

VERSION_KEY = "feed_version"
# The version as a scalar subquery, for queries that read it along with other things.
VERSION_SELECT = select(meta.c.value).where(meta.c.key == VERSION_KEY).scalar_subquery()


def bump(conn: Connection) -> str:
    """Mark the feed's inputs changed, inside the caller's transaction; returns the version."""
    token = secrets.token_hex(16)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(meta).values(key=VERSION_KEY, value=token)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": token}))
    return token


def bump_store(store: Store) -> str:
    """:func:`bump` in a transaction of its own (for writers that write outside the store)."""
    with store.tx() as conn:
        return bump(conn)


def read(conn: Connection) -> str:
    """The feed's data version on ``conn`` (``""`` until the first :func:`bump`)."""
    found = conn.execute(select(meta.c.value).where(meta.c.key == VERSION_KEY)).scalar()
    return str(found) if found is not None else ""


def current(store: Store) -> str:
    """The feed's data version now (``""`` until the first :func:`bump`)."""
    with store.tx() as conn:
        return read(conn)
