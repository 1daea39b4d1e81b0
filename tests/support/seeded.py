"""A database seeded like the serving benchmark's, for tests of the reader look-up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from herald.bench.seed import SeedOptions, seed_database
from herald.store.store import Store


@contextmanager
def seeded_store(db_url: str, options: SeedOptions) -> Iterator[Store]:
    """A Store on ``db_url`` seeded with ``options`` (readers, signals, stories), closed after."""
    store = Store(db_url)
    try:
        seed_database(store, options)
        yield store
    finally:
        store.close()
