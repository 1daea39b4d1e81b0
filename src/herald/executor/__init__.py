"""Executors: where the pipeline's work runs (see :mod:`herald.executor.base`).

``executor = "local"`` (the default) runs everything on this machine; ``executor = "ray"``
runs shards and model batches on a Ray cluster (``ray_address``) and needs a shared
PostgreSQL database. Ray is imported only when the Ray executor is built.
"""

from __future__ import annotations

from collections.abc import Callable

from herald.config import Settings
from herald.exceptions import ConfigError
from herald.executor.base import EXECUTORS, Executor, ShardResult, WorkContext, shard_by_host
from herald.executor.models import Models
from herald.nlp.embed import Embedder
from herald.workers import WorkerPool

__all__ = [
    "EXECUTORS",
    "RAY_NEEDS_POSTGRES",
    "Executor",
    "Models",
    "ShardResult",
    "WorkContext",
    "check_executor_settings",
    "make_executor",
    "shard_by_host",
]

RAY_NEEDS_POSTGRES = (
    "the Ray executor needs a shared PostgreSQL database: "
    "set HERALD_DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST/DATABASE "
    "(SQLite is a file on one machine, which workers on other machines cannot share)"
)


def check_executor_settings(settings: Settings) -> None:
    """Refuse settings no executor can run with (a clear ConfigError)."""
    if settings.executor not in EXECUTORS:
        raise ConfigError(
            f"unknown executor {settings.executor!r}; use one of {', '.join(EXECUTORS)}"
        )
    if settings.executor == "ray" and not settings.resolved_database_url.startswith("postgresql"):
        raise ConfigError(RAY_NEEDS_POSTGRES)


def make_executor(
    settings: Settings, pool: Callable[[], WorkerPool], embedder: Callable[[], Embedder]
) -> Executor:
    """The configured executor (``pool`` and ``embedder`` are the driver's, used locally)."""
    check_executor_settings(settings)
    if settings.executor == "local":
        from herald.executor.local import LocalExecutor

        return LocalExecutor(settings, pool, embedder)
    try:
        from herald.executor.ray_executor import RayExecutor
    except ImportError as e:
        raise ConfigError(f"the Ray executor needs Ray: pip install 'herald[ray]' ({e})") from e
    return RayExecutor(settings)
