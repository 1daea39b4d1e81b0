"""Statements run on the driver directly (``herald.store.direct``) give exactly the rows
SQLAlchemy gives, on SQLite and PostgreSQL: the reader look-ups of every seeded reader and
session, with their datetimes, booleans and nulls, and clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, select, text

from herald.bench.seed import SeedOptions
from herald.exceptions import StorageError
from herald.store import visitor
from herald.store.accounts import Accounts, token_hash
from herald.store.direct import DirectQuery
from herald.store.schema import preferences, readers, sessions
from herald.store.store import Store
from tests.support.seeded import seeded_store

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SEED = SeedOptions(now=NOW, readers=30, articles=300, stories=40, seed=3)


@pytest.fixture()
def store(db_url: str) -> Iterator[Store]:
    with seeded_store(db_url, SEED) as s:
        yield s


def through_sqlalchemy(store: Store, stmt: Any, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    with store.tx() as conn:
        return [tuple(r) for r in conn.execute(stmt, values).all()]


def direct(store: Store, query: DirectQuery, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in query.rows(store.engine, values)]


def test_every_reader_look_up_gives_the_rows_sqlalchemy_gives(store: Store) -> None:
    with store.tx() as conn:
        tokens = [str(t) for t in conn.execute(select(readers.c.token)).scalars()]
    rows = 0
    for token in [*tokens, "no-such-token"]:
        expected = through_sqlalchemy(store, visitor._BY_TOKEN, {"token": token})
        assert direct(store, visitor._DIRECT_BY_TOKEN, {"token": token}) == expected
        rows += len(expected)
    assert rows > len(tokens)  # readers with several preferences: several rows each


def test_session_look_ups_bind_datetimes_as_sqlalchemy_does(store: Store) -> None:
    with store.tx() as conn:
        reader_id = int(conn.execute(select(readers.c.id).limit(1)).scalar_one())
    accounts = Accounts(store)
    account = accounts.create(reader_id, "direct@example.com", "correct horse", NOW)
    live = accounts.start_session(account.id, NOW)
    for now in (NOW, NOW + timedelta(days=400)):  # live, then expired
        values = {"token_hash": token_hash(live), "now": now}
        expected = through_sqlalchemy(store, visitor._BY_SESSION, values)
        assert direct(store, visitor._DIRECT_BY_SESSION, values) == expected
        assert bool(expected) == (now == NOW)
    found = visitor.visit_by_session(store, token_hash(live), NOW)
    assert found is not None and found.account is not None
    assert found.account.email == "direct@example.com"
    assert found.account.created_at.tzinfo is not None


def test_rows_carry_the_column_names_and_converted_values(store: Store) -> None:
    stmt = select(
        preferences.c.id, preferences.c.muted, preferences.c.created_at, preferences.c.value
    ).where(preferences.c.id > bindparam("after"))
    query = DirectQuery(stmt, ("after",))
    found = query.rows(store.engine, {"after": 0})
    assert found and [tuple(r) for r in found] == through_sqlalchemy(store, stmt, {"after": 0})
    first = found[0]
    assert isinstance(first.muted, bool)
    assert isinstance(first.created_at, datetime)


def test_statements_with_lists_expanded_at_execution_are_refused(store: Store) -> None:
    stmt = select(sessions.c.id).where(sessions.c.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(StorageError, match="plain bound parameters"):
        DirectQuery(stmt, ("ids",)).rows(store.engine, {"ids": [1, 2]})


def test_a_database_error_is_a_storage_error(store: Store) -> None:
    with store.tx() as conn:
        conn.execute(text("DROP TABLE reader_profiles"))
    with pytest.raises(StorageError, match="database error"):
        visitor.visit_by_token(store, "anything")
    with store.tx() as conn:  # the connection went back to the pool in a usable state
        assert conn.execute(select(readers.c.id).limit(1)).scalar() is not None
