"""The instance's secret key (signing reader cookies and CSRF tokens), kept in the database.

Every process that serves the web app must sign with the same key, or a cookie or form made by
one worker is refused by the next: the workers of one ``herald serve``, a ``herald run`` that
serves too, and web servers on other hosts sharing one PostgreSQL database. Unless the
``secret_key`` setting gives one, the key is one ``meta`` row: the first process to need it
stores its proposal (a fresh random key, or the ``data_dir/secret_key`` file of an install
made before the key moved here, so that its cookies stay valid) and every process, then and
later, uses the row. Inserted with "do nothing on conflict" and read back in the same
transaction, so processes starting at once all end up with the same key.

The database already holds readers' tokens, which a signed cookie only names, so keeping the
key beside them gives no one who can read the database more than they had.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from herald.exceptions import StorageError
from herald.store.schema import meta
from herald.store.store import Store

__all__ = ["SECRET_KEY", "shared_secret_key"]

SECRET_KEY = "secret_key"
_READ = select(meta.c.value).where(meta.c.key == SECRET_KEY)


def shared_secret_key(store: Store, proposal: str) -> str:
    """The instance's key: the stored one, else ``proposal`` (stored now, unless another
    process stored its own first)."""
    if not proposal:
        raise StorageError("an empty secret key cannot be stored")
    with store.tx() as conn:
        found = conn.execute(_READ).scalar()
        if found:
            return str(found)
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(meta).values(key=SECRET_KEY, value=proposal)
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
        stored = conn.execute(_READ).scalar()
    if not stored:
        raise StorageError("the secret key could not be stored")
    return str(stored)
