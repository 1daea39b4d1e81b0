"""Rows of the shared MMDS full-text clustering file, and clustering them as Herald does."""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from herald.cluster import online
from herald.cluster.online import ClusterItem, OnlineClusterer, embedding_text
from herald.nlp.embed import MiniLMEmbedder


def mmds_rows(shared_data: Path) -> list[dict[str, Any]]:
    path = shared_data / "clustering" / "mmds2025_dev.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def story_rows(shared_data: Path, story: str) -> list[dict[str, Any]]:
    """The articles of one gold story."""
    return [r for r in mmds_rows(shared_data) if r["story"] == story]


def clustered_keys(rows: Sequence[dict[str, Any]]) -> set[Hashable]:
    """The stories the online clusterer puts ``rows`` in (all embedded with the real model,
    through glosses where they are not English; every one must be embeddable)."""
    vectors = MiniLMEmbedder().embed([embedding_text(r["title"], r["text"]) for r in rows])
    at = datetime(2022, 10, 11, tzinfo=UTC)
    items = [
        ClusterItem(str(r["id"]), r["title"], r["text"], "", at, "", vectors[i])
        for i, r in enumerate(rows)
    ]
    assert all(online.embeddable(item) for item in items)
    clusterer = OnlineClusterer()
    return {clusterer.add(item).story_key for item in items}
