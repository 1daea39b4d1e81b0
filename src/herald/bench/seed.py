"""Seed a fresh database for ``herald bench serve``: sources, stories, articles, writeups,
readers with follows and mutes, and reading signals, in bulk through the real schema.

The migrations run first, then every table is filled with multi-row INSERTs in one
transaction per table (ids are assigned here, so rows can refer to each other without a
round trip; PostgreSQL's id sequences are moved past them at the end). The same options and
``now`` give the same database: every choice comes from one seeded ``random.Random`` (and a
seeded NumPy generator for the centroids).

What it looks like:

* sources: real feed addresses, outlets, countries and languages from the bundled source
  packs (a Zipf-like share of the articles each, as a few big outlets publish most);
* stories: ``stories`` stories whose last article falls in the last 3 days, each with a
  topic, 1-4 entities, a trend score (higher for big, recent stories), the trending flag (a
  score of at least 1 and two outlets) and a unit float32 384-d centroid near its topic's
  direction;
* articles: ``articles`` articles spread over the stories with a heavy tail (most stories
  have a few, some have hundreds), published between the story's first and last sighting,
  with a title, summary and an extracted body of about a kilobyte;
* writeups: a published article (cited sentences with evidence, source references, key
  points) for most stories covered by two or more outlets; links-only for most others;
* readers: ``readers`` readers, each following 1-3 topics and usually some entities,
  outlets or a story, some muting a topic, entity or outlet; and reading signals (opens,
  reads with seconds, hides, citation clicks, "less like this") of the last 14 days, mostly
  on stories of the topics they follow.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text

from herald.bench import seed_news, seed_readers
from herald.exceptions import ConfigError
from herald.store import feedcache
from herald.store.profiles import rebuild_all_profiles
from herald.store.schema import (
    articles,
    preferences,
    readers,
    signals,
    sources,
    stories,
    writeups,
)
from herald.store.store import Store

__all__ = ["SEEDED_TABLES", "SeedOptions", "SeedReport", "seed_database", "table_counts"]

SEEDED_TABLES = ("sources", "stories", "articles", "writeups", "readers", "preferences", "signals")
TABLES = {
    "sources": sources,
    "stories": stories,
    "articles": articles,
    "writeups": writeups,
    "readers": readers,
    "preferences": preferences,
    "signals": signals,
}
CHUNK = 2000


@dataclass(frozen=True)
class SeedOptions:
    """How much to seed, from which random seed, relative to which current time."""

    now: datetime
    readers: int = 10_000
    articles: int = 100_000
    stories: int = 5_000
    seed: int = 1
    sources: int = 0
    """Sources to draw from the packs; 0: one per 50 articles (at least 20)."""

    @property
    def source_count(self) -> int:
        return self.sources or max(20, self.articles // 50)

    def check(self) -> None:
        if self.stories < 1 or self.readers < 1:
            raise ConfigError("the seed needs at least one story and one reader")
        if self.articles < self.stories:
            raise ConfigError(
                f"{self.articles} articles cannot fill {self.stories} stories (one at least each)"
            )


@dataclass(frozen=True)
class SeedReport:
    """Rows written per table and how long it took."""

    counts: dict[str, int]
    seconds: dict[str, float]
    now: datetime

    def to_json(self) -> dict[str, object]:
        return {
            "counts": self.counts,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "now": self.now.isoformat(),
        }


def seed_database(
    store: Store, options: SeedOptions, log: Callable[[str], None] | None = None
) -> SeedReport:
    """Migrate ``store`` and fill it; refuses a database that already holds any of the rows."""
    options.check()
    say = log or (lambda _message: None)
    store.migrate()
    _check_empty(store)
    rng = random.Random(options.seed)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    news = seed_news.plan_news(
        rng, options.now, options.stories, options.articles, options.source_count, options.seed
    )
    seconds["plan_news"] = time.perf_counter() - started
    for name, rows in (
        ("sources", news.sources),
        ("stories", news.stories),
        ("articles", news.articles),
        ("writeups", news.writeups),
    ):
        seconds[name] = _insert(store, name, rows)
        say(f"seeded {len(rows):,} {name}")
    started = time.perf_counter()
    people = seed_readers.plan_readers(rng, options.now, options.readers, news.catalog)
    seconds["plan_readers"] = time.perf_counter() - started
    for name, rows in (
        ("readers", people.readers),
        ("preferences", people.preferences),
        ("signals", people.signals),
    ):
        seconds[name] = _insert(store, name, rows)
        say(f"seeded {len(rows):,} {name}")
    _advance_sequences(store)
    started = time.perf_counter()
    with store.tx() as conn:
        rebuild_all_profiles(conn, options.now)
    seconds["reader_profiles"] = time.perf_counter() - started
    started = time.perf_counter()
    store.analyze()  # as a database in use would be: the planner knows the tables' sizes
    seconds["analyze"] = time.perf_counter() - started
    feedcache.bump_store(store)
    return SeedReport(table_counts(store), seconds, options.now)


def table_counts(store: Store) -> dict[str, int]:
    """Rows in each seeded table."""
    with store.tx() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(TABLES[name])).scalar_one())
            for name in SEEDED_TABLES
        }


def _check_empty(store: Store) -> None:
    filled = [name for name, n in table_counts(store).items() if n]
    if filled:
        raise ConfigError(
            f"the benchmark seeds an empty database; this one already has {', '.join(filled)}"
        )


def _insert(store: Store, name: str, rows: list[dict[str, object]]) -> float:
    """Insert ``rows`` into table ``name`` in one transaction; returns the seconds taken."""
    started = time.perf_counter()
    table = TABLES[name]
    with store.tx() as conn:
        for i in range(0, len(rows), CHUNK):
            conn.execute(table.insert(), rows[i : i + CHUNK])
    return time.perf_counter() - started


def _advance_sequences(store: Store) -> None:
    """PostgreSQL: move each id sequence past the ids assigned here (SQLite needs nothing)."""
    if store.dialect != "postgresql":
        return
    with store.tx() as conn:
        for name in SEEDED_TABLES:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                )
            )
