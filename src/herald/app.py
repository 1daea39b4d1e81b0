"""The factory that wires Herald's parts: settings, storage, clock and models.

CLI, web app and tests all build their dependencies here, so each outside dependency is
chosen in one place and can be replaced by a fake of the same protocol in tests.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from herald.clock import Clock, FixedClock, SystemClock, parse_iso
from herald.config import Settings
from herald.exceptions import ConfigError
from herald.executor import Executor, check_executor_settings, make_executor
from herald.nlp.embed import Embedder
from herald.store.secret_key import shared_secret_key
from herald.store.store import Store
from herald.workers import WorkerPool, worker_count

log = logging.getLogger(__name__)


@dataclass
class Herald:
    """Everything a stage, command or web request needs."""

    settings: Settings
    store: Store
    clock: Clock
    _embedder: Embedder | None = field(default=None, repr=False)
    _pool: WorkerPool | None = field(default=None, repr=False)
    _executor: Executor | None = field(default=None, repr=False)
    _secret_key: str | None = field(default=None, repr=False)
    caches: dict[str, object] = field(default_factory=dict, repr=False)
    """Per-process state a stage keeps between rounds of ``herald run``: rebuildable from
    storage at any time (losing it only costs time) and checked against storage before use,
    so several processes sharing one database never act on a stale copy."""

    @property
    def embedder(self) -> Embedder:
        """The sentence embedder, loaded on first use."""
        if self._embedder is None:
            from herald.nlp.embed import shared_embedder

            self._embedder = shared_embedder()
        return self._embedder

    @property
    def pool(self) -> WorkerPool:
        """Worker processes for feed parsing and page extraction (``workers`` setting),
        started on first use and kept until ``close`` so later rounds reuse them."""
        if self._pool is None:
            from herald.pipeline.warm import warm_worker

            s = self.settings
            self._pool = WorkerPool(
                worker_count(s.workers), s.work_timeout, name="herald-worker", warm=warm_worker
            )
        return self._pool

    @property
    def executor(self) -> Executor:
        """Where the stages' shards and model batches run (``executor`` setting), made on
        first use and kept until ``close``."""
        if self._executor is None:
            self._executor = make_executor(self.settings, lambda: self.pool, lambda: self.embedder)
        return self._executor

    def check_executor(self) -> None:
        """Drop an executor that can no longer take work (the Ray cluster went away), so that
        the next use makes a new one: a stage then joins the cluster again, or fails with a
        clear error while it is still down."""
        if self._executor is not None and not self._executor.healthy():
            log.warning("the %s executor stopped working; starting a new one", self._executor.name)
            self._executor.close()
            self._executor = None

    @property
    def secret_key(self) -> str:
        """The key signing cookies: from settings, else the database's, the same in every
        process on it (``herald.store.secret_key``; made once, from an older install's
        ``data_dir/secret_key`` file when there is one)."""
        if self.settings.secret_key:
            return self.settings.secret_key
        if self._secret_key is None:
            path = self.settings.resolved_data_dir / "secret_key"
            older = path.read_text().strip() if path.is_file() else ""
            self._secret_key = shared_secret_key(self.store, older or secrets.token_urlsafe(48))
        return self._secret_key

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
            self._executor = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        self.store.close()


def make_clock(settings: Settings) -> Clock:
    if not settings.now:
        return SystemClock()
    at = parse_iso(settings.now)
    if at is None:
        raise ConfigError(f"setting 'now' is not an ISO time: {settings.now!r}")
    return FixedClock(at)


def make_herald(
    settings: Settings,
    *,
    clock: Clock | None = None,
    embedder: Embedder | None = None,
    migrate: bool = True,
) -> Herald:
    """Build a ``Herald`` for ``settings``; migrates the database schema unless told not to."""
    check_executor_settings(settings)  # e.g. the Ray executor refuses SQLite, before any work
    Path(settings.resolved_data_dir).mkdir(parents=True, exist_ok=True)
    store = Store(settings.resolved_database_url)
    if migrate:
        store.migrate()
    return Herald(
        settings=settings, store=store, clock=clock or make_clock(settings), _embedder=embedder
    )
