"""Who is asking, in one query: the reader of a session or of an anonymous token, with their
follows and mutes, their profile row, the fingerprint of their signals and the feed's data
version.

A feed request needs all of these; read one by one (session, account, reader, preferences,
signals, version) they cost six transactions. Here each look-up is one statement: the reader
joined with their account, preferences (one row each, in the order they were made) and profile
row (``herald.store.profiles``), with the count and highest id of their signals and the
version (``herald.store.feedcache``) as scalar subqueries, run on the database driver
directly (``herald.store.direct``). Nothing is cached between requests: a log-out, a deletion
or a new follow in any process shows on the next request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from herald.clock import to_utc
from herald.store.direct import DirectQuery
from herald.store.feedcache import VERSION_SELECT
from herald.store.profiles import StoredProfile, decode_profile
from herald.store.schema import accounts, preferences, reader_profiles, readers, sessions, signals
from herald.store.store import Store
from herald.types import Account, FollowKind, Preference, Reader

__all__ = ["Visit", "visit_by_session", "visit_by_token"]


@dataclass(frozen=True)
class Visit:
    """A reader as one request sees them. ``account`` is the session's (None for an anonymous
    reader); ``profile`` None means no profile row (yet)."""

    reader: Reader
    account: Account | None
    profile: StoredProfile | None
    signal_count: int
    last_signal_id: int
    feed_version: str

    @property
    def profile_current(self) -> bool:
        """Whether the profile row matches the reader's signals as they are now."""
        return self.profile is not None and self.profile.matches(
            self.signal_count, self.last_signal_id
        )


def _columns(reader_id: Any) -> tuple[Any, ...]:
    """What a look-up reads; ``reader_id`` selects the reader's id without the joins, so that
    the count and highest id of their signals are computed once, not once per row."""
    count = select(func.count(signals.c.id)).where(signals.c.reader_id == reader_id)
    last = select(func.coalesce(func.max(signals.c.id), 0)).where(signals.c.reader_id == reader_id)
    return (
        readers.c.id,
        readers.c.token,
        readers.c.feed_secret,
        readers.c.created_at,
        accounts.c.id.label("account_id"),
        accounts.c.email,
        accounts.c.created_at.label("account_created_at"),
        preferences.c.id.label("pref_id"),
        preferences.c.kind,
        preferences.c.value,
        preferences.c.muted,
        reader_profiles.c.version,
        reader_profiles.c.signal_count,
        reader_profiles.c.last_signal_id,
        reader_profiles.c.horizon,
        reader_profiles.c.state,
        count.scalar_subquery().label("live_count"),
        last.scalar_subquery().label("live_last"),
        VERSION_SELECT.label("feed_version"),
    )


def _with_reader(stmt: Select[Any]) -> Select[Any]:
    return stmt.outerjoin(preferences, preferences.c.reader_id == readers.c.id).outerjoin(
        reader_profiles, reader_profiles.c.reader_id == readers.c.id
    )


_SESSION_READER = (
    select(accounts.c.reader_id)
    .join(sessions, sessions.c.account_id == accounts.c.id)
    .where(
        sessions.c.token_hash == bindparam("token_hash"), sessions.c.expires_at > bindparam("now")
    )
    .scalar_subquery()
)
_TOKEN_READER = select(readers.c.id).where(readers.c.token == bindparam("token")).scalar_subquery()

_BY_SESSION = (
    _with_reader(
        select(*_columns(_SESSION_READER))
        .select_from(sessions)
        .join(accounts, accounts.c.id == sessions.c.account_id)
        .join(readers, readers.c.id == accounts.c.reader_id)
    )
    .where(
        sessions.c.token_hash == bindparam("token_hash"), sessions.c.expires_at > bindparam("now")
    )
    .order_by(preferences.c.id)
)
_BY_TOKEN = (
    _with_reader(
        select(*_columns(_TOKEN_READER))
        .select_from(readers)
        .outerjoin(accounts, accounts.c.reader_id == readers.c.id)
    )
    .where(readers.c.token == bindparam("token"))
    .order_by(preferences.c.id)
)


# Run on the driver directly (herald.store.direct): the look-up is on every page.
_DIRECT_BY_SESSION = DirectQuery(_BY_SESSION, ("token_hash", "now"))
_DIRECT_BY_TOKEN = DirectQuery(_BY_TOKEN, ("token",))


def visit_by_session(store: Store, token_hash: str, now: datetime) -> Visit | None:
    """The reader and account of a live session (by the token's hash), or None."""
    found = _DIRECT_BY_SESSION.rows(store.engine, {"token_hash": token_hash, "now": now})
    return _visit(found, with_account=True) if found else None


def visit_by_token(store: Store, token: str) -> Visit | None:
    """The anonymous reader of ``token``, or None (unknown, or the reader has an account:
    such a reader is reached through a session only)."""
    found = _DIRECT_BY_TOKEN.rows(store.engine, {"token": token})
    if not found or found[0].account_id is not None:
        return None
    return _visit(found, with_account=False)


def _visit(found: Sequence[Any], *, with_account: bool) -> Visit:
    first = found[0]
    prefs = tuple(
        Preference(FollowKind(r.kind), r.value, bool(r.muted))
        for r in found
        if r.pref_id is not None
    )
    reader = Reader(first.id, first.token, first.feed_secret, to_utc(first.created_at), prefs)
    account = (
        Account(first.account_id, first.id, first.email, to_utc(first.account_created_at))
        if with_account
        else None
    )
    profile = (
        None
        if first.version is None
        else decode_profile(
            first.version, first.signal_count, first.last_signal_id, first.horizon, first.state
        )
    )
    return Visit(
        reader,
        account,
        profile,
        int(first.live_count),
        int(first.live_last),
        str(first.feed_version or ""),
    )
