"""Real Multi-News stories from the shared data folder, for writer tests."""

from __future__ import annotations

import json
from pathlib import Path


def story_texts(shared_data: Path, story_id: str) -> list[str]:
    """The whitespace-normalised texts of one story's source documents."""
    path = shared_data / "writing" / "multinews_validation_250.jsonl"
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        if row["id"] == story_id:
            return [" ".join(d["text"].split()) for d in row["documents"]]
    raise AssertionError(f"no story {story_id} in {path}")
