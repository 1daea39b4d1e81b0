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
from herald.types import WriteupStatus
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


def test_a_story_is_written_from_its_english_coverage_only(
    settings: Settings, shared_data: Path
) -> None:
    english = story_texts(shared_data, MCRIB)
    malay = _mmds_text(shared_data, "Lelaki dipenjara seumur hidup")
    chinese = _mmds_text(shared_data, "飓风菲奥娜前往百慕大")
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        sources = [
            ("Wire A", english[0]),
            ("Berita B", malay),
            ("Paper C", english[1]),
            ("Zaobao D", chinese),
        ]
        sid = _seed_texts(h, sources, "mcrib", "McRib returns")
        write(h, story_ids=[sid])
        writeup = h.store.get_writeup(sid)
        assert len(h.store.story_articles(sid)) == 4  # the coverage keeps every language
    finally:
        h.close()
    assert writeup is not None and writeup.status is WriteupStatus.PUBLISHED
    assert {r.outlet for r in writeup.sources} <= {"Wire A", "Paper C"}


def test_a_story_with_one_english_publisher_is_shown_as_links(
    settings: Settings, shared_data: Path
) -> None:
    english = story_texts(shared_data, MCRIB)
    malay = _mmds_text(shared_data, "Lelaki dipenjara seumur hidup")
    chinese = _mmds_text(shared_data, "飓风菲奥娜前往百慕大")
    h = make_herald(settings, clock=FixedClock(NOW))
    try:
        sources = [("Wire A", english[0]), ("Berita B", malay), ("Zaobao D", chinese)]
        sid = _seed_texts(h, sources, "mixed", "McRib returns")
        write(h, story_ids=[sid])
        writeup = h.store.get_writeup(sid)
    finally:
        h.close()
    assert writeup is not None and writeup.status is WriteupStatus.LINKS_ONLY
    assert "in English" in writeup.reason
