"""A real PostgreSQL server for tests: fresh databases from ``HERALD_TEST_POSTGRES_URL``.

``HERALD_TEST_POSTGRES_URL`` names a database on a server where its role may create databases
(``scripts/start_postgres.sh`` starts such a server and prints the URL). Each test module gets
its own database ``herald_t_<random>``, dropped afterwards; :func:`reset_schema` empties it
between tests. Without the variable, or when the server cannot be reached, PostgreSQL tests are
skipped on a workstation and FAIL in CI (``CI=true``), so CI never passes by skipping them.

``tests/conftest.py`` makes these fixtures available to every test module, with ``db_url``
(a test runs once on SQLite and once on PostgreSQL) and ``store`` (a migrated Store on it)
built on them.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

ENV_VAR = "HERALD_TEST_POSTGRES_URL"
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Skip the test outside CI; fail it in CI."""
    if IN_CI:
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(reason)


def server_url() -> URL | None:
    """The configured server URL, or None when ``HERALD_TEST_POSTGRES_URL`` is unset."""
    raw = os.environ.get(ENV_VAR, "").strip()
    return make_url(raw) if raw else None


def check_reachable(url: URL) -> str | None:
    """None when the server answers, else the reason it does not."""
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as e:
        return f"PostgreSQL at {url.render_as_string(hide_password=True)} is unreachable: {e}"
    finally:
        engine.dispose()
    return None


@contextmanager
def temporary_database(url: URL) -> Iterator[URL]:
    """Create ``herald_t_<random>`` on the server of ``url``; drop it on exit."""
    name = f"herald_t_{secrets.token_hex(6)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name)
        finally:
            _drop(admin, name)
    finally:
        admin.dispose()


def _drop(admin: Engine, name: str, attempts: int = 40) -> None:
    """Drop the database, ending the test's own leftover connections (``FORCE``). An
    autovacuum worker busy in it cannot be ended by a role without ``pg_signal_backend``
    ("must be a member of the role whose process is being terminated"); it is done within a
    few seconds, so the drop is tried again, the last time without ``FORCE`` (which asks
    autovacuum to stop and waits for it)."""
    for attempt in range(attempts):
        force = " WITH (FORCE)" if attempt < attempts - 1 else ""
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"{force}'))
            return
        except SQLAlchemyError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.25)


def reset_schema(url: URL) -> None:
    """Drop every table (and Alembic's version table) of the database at ``url``."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            owner = conn.execute(text("SELECT current_user")).scalar_one()
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text(f'CREATE SCHEMA public AUTHORIZATION "{owner}"'))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[URL]:
    """A fresh PostgreSQL database for the whole test module (skips or fails when unavailable)."""
    url = server_url()
    if url is None:
        unavailable(f"{ENV_VAR} is not set (scripts/start_postgres.sh prints one)")
        raise AssertionError("unreachable")  # pragma: no cover - skip/fail raise
    problem = check_reachable(url)
    if problem:
        unavailable(problem)
    with temporary_database(url) as db:
        yield db


@pytest.fixture()
def postgres_url(postgres_database: URL) -> str:
    """The module's PostgreSQL database, emptied for this test, as a URL string."""
    reset_schema(postgres_database)
    return postgres_database.render_as_string(hide_password=False)
