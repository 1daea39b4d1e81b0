"""The bundled demo snapshot: real news articles replayed as live feeds.

``snapshot.jsonl.gz`` (built by ``scripts/build_demo_snapshot.py``, described in
``ATTRIBUTION.md``) holds one JSON object per article. This module loads it into typed
values; :mod:`herald.demo.feedserver` serves it over HTTP.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from herald.exceptions import ConfigError
from herald.nlp.text import split_sentences

SNAPSHOT_PATH = Path(__file__).resolve().parent / "snapshot.jsonl.gz"
FEED_FORMATS = ("rss", "atom", "json")
ORIGINS = ("multinews", "uci")


@dataclass(frozen=True)
class SnapshotArticle:
    """One article of the demo snapshot.

    ``url`` is the original address (UCI headlines) or ``""`` (Multi-News documents, which the
    feed server publishes at ``/articles/<id>.html``). ``story`` is the gold story id, for tests
    only: the pipeline never sees it.
    """

    id: str
    outlet: str
    feed_format: str
    title: str
    text: str
    url: str
    published: datetime
    language: str
    origin: str
    story: str

    @property
    def has_page(self) -> bool:
        """Whether the demo serves a full article page (Multi-News) or only a headline (UCI)."""
        return self.origin == "multinews"

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.text.split("\n\n") if p.strip())

    def lead(self, sentences: int = 2) -> str:
        """The first ``sentences`` sentences of the text (``""`` for headline-only articles)."""
        if not self.text:
            return ""
        return " ".join(
            split_sentences(self.paragraphs[0] + " " + " ".join(self.paragraphs[1:3]))[:sentences]
        )


def article_from_json(data: dict[str, Any]) -> SnapshotArticle:
    """One snapshot line to a ``SnapshotArticle``; raises ``ConfigError`` on a malformed line."""
    try:
        published = datetime.fromisoformat(
            str(data["published"]).replace("Z", "+00:00")
        ).astimezone(UTC)
        article = SnapshotArticle(
            id=str(data["id"]),
            outlet=str(data["outlet"]),
            feed_format=str(data["feed_format"]),
            title=str(data["title"]),
            text=str(data["text"]),
            url=str(data["url"]),
            published=published,
            language=str(data["language"]),
            origin=str(data["origin"]),
            story=str(data["story"]),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ConfigError(f"malformed demo snapshot line: {e}") from e
    if article.feed_format not in FEED_FORMATS or article.origin not in ORIGINS:
        raise ConfigError(f"demo snapshot article {article.id}: bad feed_format or origin")
    return article


def load_snapshot(path: Path | str | None = None) -> tuple[SnapshotArticle, ...]:
    """The snapshot's articles, oldest first (the bundled snapshot unless ``path`` is given)."""
    if path is None:
        return _bundled()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _bundled() -> tuple[SnapshotArticle, ...]:
    return _load(SNAPSHOT_PATH)


def _load(path: Path) -> tuple[SnapshotArticle, ...]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            articles = [article_from_json(json.loads(line)) for line in fh if line.strip()]
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"cannot read demo snapshot {path}: {e}") from e
    return tuple(sorted(articles, key=lambda a: (a.published, a.id)))


def snapshot_end(articles: Sequence[SnapshotArticle] | None = None) -> datetime:
    """The demo's "now": the publication time of the newest article of the snapshot."""
    items = load_snapshot() if articles is None else articles
    if not items:
        raise ConfigError("the demo snapshot is empty")
    return max(a.published for a in items)


def snapshot_start(articles: Sequence[SnapshotArticle] | None = None) -> datetime:
    """The publication time of the oldest article of the snapshot."""
    items = load_snapshot() if articles is None else articles
    if not items:
        raise ConfigError("the demo snapshot is empty")
    return min(a.published for a in items)


def by_outlet(articles: Iterable[SnapshotArticle]) -> dict[str, list[SnapshotArticle]]:
    """Articles grouped by outlet, outlets in order of first appearance, articles in input order."""
    groups: dict[str, list[SnapshotArticle]] = defaultdict(list)
    for a in articles:
        groups[a.outlet].append(a)
    return dict(groups)
