"""A SELECT that runs on the database driver directly: compiled by SQLAlchemy once per
dialect, executed without SQLAlchemy's per-call machinery.

The reader look-up (``herald.store.visitor``) runs on every page a reader opens. Through
``Connection.execute`` it spent about twice as long in SQLAlchemy (connection and
transaction objects, the compiled-statement cache, the execution context, result rows) as in
the database itself: in a web worker serving the benchmark's feed page, 17% of the worker's
time went to the look-up and under 3% to SQLite executing it. Here the statement is compiled
once for the engine's dialect and run on a pooled driver connection, and its values are
converted exactly as SQLAlchemy converts them: bound values through their types' bind
processors, each selected column through its type's result processor (SQLite's stored
datetime strings become datetimes, its integers booleans; PostgreSQL needs none), so the
rows are equal to ``Connection.execute(stmt).all()`` (a test holds the two to each other on
SQLite and PostgreSQL).

Only plain statements qualify: bound parameters with one value each (no ``IN`` lists
expanded at execution) and selected columns with distinct names. One statement is one
transaction: the connection goes back to the pool, rolled back, at once.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select
from sqlalchemy.exc import SQLAlchemyError

from herald.exceptions import StorageError

__all__ = ["DirectQuery"]

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # positional parameters' names in order; None: named style
    constants: dict[str, Any]  # values of the statement's own literal binds
    binds: dict[str, Processor]  # per caller-supplied name, its bind processor
    results: tuple[Processor, ...]
    row: Callable[..., Any]


class DirectQuery:
    """``stmt`` run on the driver (see the module docstring); rows have the statement's
    column names as attributes."""

    def __init__(self, stmt: Select[Any], params: tuple[str, ...]) -> None:
        self._stmt = stmt
        self._params = params
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, engine: Engine, values: Mapping[str, Any]) -> list[Any]:
        """The statement's rows for ``values`` (one per name given at construction)."""
        compiled = self._compiled.get(engine.dialect.name) or self._compile(engine)
        params = _parameters(compiled, values)
        dbapi = engine.dialect.loaded_dbapi
        try:
            conn = engine.raw_connection()
        except SQLAlchemyError as e:
            raise StorageError(f"database error: {e}") from e
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(compiled.sql, params)
                found = cursor.fetchall()
            finally:
                cursor.close()
        except dbapi.Error as e:
            if engine.dialect.is_disconnect(e, conn.dbapi_connection, None):
                conn.invalidate(e)
            raise StorageError(f"database error: {e}") from e
        finally:
            conn.close()
        results, row = compiled.results, compiled.row
        return [
            row(*[v if p is None else p(v) for v, p in zip(r, results, strict=True)]) for r in found
        ]

    def _compile(self, engine: Engine) -> _Compiled:
        dialect = engine.dialect
        compiled = self._stmt.compile(dialect=dialect)
        if compiled.literal_execute_params or any(b.expanding for b in compiled.binds.values()):
            raise StorageError("a direct query takes plain bound parameters only")
        processors = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        given = compiled.construct_params({name: None for name in self._params})
        constants = {
            name: _processed(processors.get(name), value)
            for name, value in given.items()
            if name not in self._params
        }
        columns = list(self._stmt.selected_columns)
        found = _Compiled(
            sql=str(compiled),
            names=tuple(compiled.positiontup or ()) if compiled.positional else None,
            constants=constants,
            binds={name: processors.get(name) for name in self._params},
            results=tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
            ),
            row=namedtuple("Row", [c.key for c in columns]),  # type: ignore[misc]
        )
        self._compiled[dialect.name] = found
        return found


def _processed(process: Processor, value: Any) -> Any:
    return value if process is None or value is None else process(value)


def _parameters(compiled: _Compiled, values: Mapping[str, Any]) -> Any:
    given = {name: _processed(process, values[name]) for name, process in compiled.binds.items()}
    merged = compiled.constants | given
    if compiled.names is None:
        return merged
    return tuple(merged[name] for name in compiled.names)
