"""Herald writes in English: a story's coverage in other languages (Malay, Chinese) stays in
the story but is never a writer's source. Real Multi-News and MMDS articles, a real SQLite
file, the real composer and verifier."""

from __future__ import annotations

import json
from pathlib import Path

from herald.app import make_herald
from herald.clock import FixedClock
from herald.config import Settings
from herald.pipeline.write_step import write
from herald.types import Writeup, WriteupStatus
from tests.support.multinews import story_texts
from tests.test_web_seed import NOW
from tests.test_write_fallback import MCRIB, _seed_texts


def _mmds_text(shared_data: Path, title_start: str) -> str:
    path = shared_data / "clustering" / "mmds2025_dev.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["title"].startswith(title_start):
            return str(row["text"])
    raise AssertionError(title_start)


def _written(
    settings: Settings, shared_data: Path, outlets: list[str]
) -> tuple[Writeup | None, int]:
    """A McRib story with one article per outlet ("Wire A" and "Paper C" in English, "Berita
    B" in Malay, "Zaobao D" in Chinese), written; its writeup and its number of articles."""
    english = story_texts(shared_data, MCRIB)
    texts = {
        "Wire A": english[0],
        "Berita B": _mmds_text(shared_data, "Lelaki dipenjara seumur hidup"),
        "Paper C": english[1],
        "Zaobao D": _mmds_text(shared_data, "飓风菲奥娜前往百慕大"),
    }
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        sid = _seed_texts(h, [(o, texts[o]) for o in outlets], "mcrib", "McRib returns")
        write(h, story_ids=[sid])
        return h.store.get_writeup(sid), len(h.store.story_articles(sid))
    finally:
        h.close()


def test_a_story_is_written_from_its_english_coverage_only(
    settings: Settings, shared_data: Path
) -> None:
    outlets = ["Wire A", "Berita B", "Paper C", "Zaobao D"]
    writeup, articles = _written(settings, shared_data, outlets)
    assert articles == 4  # the coverage keeps every language
    assert writeup is not None and writeup.status is WriteupStatus.PUBLISHED
    assert {r.outlet for r in writeup.sources} <= {"Wire A", "Paper C"}


def test_a_story_with_one_english_publisher_is_shown_as_links(
    settings: Settings, shared_data: Path
) -> None:
    writeup, _ = _written(settings, shared_data, ["Wire A", "Berita B", "Zaobao D"])
    assert writeup is not None and writeup.status is WriteupStatus.LINKS_ONLY
    assert "in English" in writeup.reason
