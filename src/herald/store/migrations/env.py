"""Alembic environment: runs migrations on the connection Herald hands over."""

from alembic import context
from sqlalchemy import create_engine

from herald.store.db import declared_object
from herald.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn):  # type: ignore[no-untyped-def]
    context.configure(
        connection=conn,
        target_metadata=metadata,
        render_as_batch=True,
        include_object=declared_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
