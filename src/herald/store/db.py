"""Engine creation and schema migrations for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from herald.exceptions import ConfigError, StorageError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if url.startswith("postgresql"):
        try:
            return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        except (SQLAlchemyError, ImportError) as e:
            raise StorageError(f"cannot open PostgreSQL database: {e}") from e
    raise ConfigError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql+psycopg://")


def _sqlite_engine(url: str) -> Engine:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except SQLAlchemyError as e:
        raise StorageError(f"database migration failed: {e}") from e


# Objects that migrations create by hand and ``schema.py`` does not declare (the search
# indexes of migration 0004, and FTS5's shadow tables): schema comparison ignores them.
HAND_MADE = (
    "articles_fts",
    "stories_fts",
    "search_vector",
    "ix_articles_search",
    "ix_stories_search",
    "ix_stories_entities_search",
)


def declared_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object`` hook: skip the hand-made search objects."""
    return not (reflected and name is not None and name.startswith(HAND_MADE))


def schema_drift(engine: Engine) -> list[Any]:
    """Differences between the migrated database and ``schema.py`` (empty when in step)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from herald.store.schema import metadata

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": declared_object})
        return list(compare_metadata(context, metadata))


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
