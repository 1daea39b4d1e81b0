"""Shared fixtures: the real data folder, temporary settings, and database URLs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from herald.config import Settings
from herald.ingest.robots import PROCESS_ROBOTS
from herald.store.store import Store
from tests.support.postgres import postgres_database, postgres_url  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def shared_data_dir() -> Path:
    """../shared/data beside the repository, or HERALD_SHARED_DATA."""
    return Path(os.environ.get("HERALD_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _fresh_robots_memory() -> None:
    """Each test reads robots.txt afresh: loopback servers of different tests may get the
    same port, and the pipeline's fetchers share one process-wide memory of robots.txt."""
    PROCESS_ROBOTS.forget()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        if IN_CI:
            pytest.fail(f"shared data folder missing in CI: {path}")
        pytest.skip(f"shared data folder not found: {path}")
    return path


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    """Settings isolated in a temporary data folder, loopback fetching allowed."""
    return Settings(
        data_dir=str(tmp_path / "data"),
        allow_networks="127.0.0.0/8",
        respect_robots=True,
        fetch_retries=0,
        connect_timeout=2.0,
        fetch_timeout=5.0,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file in tmp_path, or the test module's PostgreSQL
    database (``tests/support/postgres.py``); tests using it run once on each."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'herald.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture()
def store(db_url: str) -> Iterator[Store]:
    """A migrated Store on ``db_url`` (a module may define its own ``store``)."""
    s = Store(db_url)
    s.migrate()
    yield s
    s.close()
