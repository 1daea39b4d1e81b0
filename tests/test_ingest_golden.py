"""Golden files: every real feed file of shared/data/feeds, parsed and summarized.

Each file under ``feeds/feed_rs`` and ``feeds/feedjira`` (except feed-rs's own expected
outputs, ``*.serde.json``, and licenses) has a summary in
``tests/golden/feeds/<folder>__<file name>.json``: format, title, item count, warnings and
the first items; or the FeedParseError reason for files that are not feeds.

Regenerate after an intended change with ``HERALD_UPDATE_GOLDEN=1 pytest
tests/test_ingest_golden.py`` and review the diff by eye.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from herald.exceptions import FeedParseError
from herald.ingest.parse import parse_feed
from herald.types import FeedItem, ParsedFeed
from tests.conftest import shared_data_dir

GOLDEN_DIR = Path(__file__).parent / "golden" / "feeds"
FOLDERS = ("feed_rs", "feedjira")
UPDATE = os.environ.get("HERALD_UPDATE_GOLDEN") == "1"
SAMPLE_ITEMS = 3


def feed_files(data: Path) -> dict[str, Path]:
    """Golden name -> feed file, for every feed file of the two fixture folders."""
    files: dict[str, Path] = {}
    for folder in FOLDERS:
        for path in sorted((data / "feeds" / folder).rglob("*")):
            if _is_feed_file(path):
                files[f"{folder}__{path.name}"] = path
    return files


def _is_feed_file(path: Path) -> bool:
    return (
        path.is_file()
        and not path.name.endswith(".serde.json")
        and not path.name.upper().startswith("LICENSE")
    )


FILES = feed_files(shared_data_dir()) if shared_data_dir().is_dir() else {}


def summarize(path: Path, data: Path) -> dict[str, Any]:
    relative = path.relative_to(data / "feeds").as_posix()
    url = f"https://feeds.example.com/{relative}"
    try:
        feed = parse_feed(path.read_bytes(), url)
    except FeedParseError as e:
        return {"file": relative, "error": str(e)}
    return {"file": relative, **_feed_summary(feed)}


def _feed_summary(feed: ParsedFeed) -> dict[str, Any]:
    return {
        "format": feed.format.value,
        "title": feed.title,
        "link": feed.link,
        "item_count": len(feed.items),
        "warnings": list(feed.warnings),
        "items": [_item_summary(item) for item in feed.items[:SAMPLE_ITEMS]],
    }


def _item_summary(item: FeedItem) -> dict[str, Any]:
    return {
        "guid": item.guid,
        "url": item.url,
        "title": item.title,
        "published": item.published.isoformat() if item.published else None,
        "author": item.author,
        "image_url": item.image_url,
        "summary_start": item.summary[:120],
    }


def _dump(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", sorted(FILES))
def test_feed_matches_golden(name: str, shared_data: Path) -> None:
    summary = summarize(FILES[name], shared_data)
    golden = GOLDEN_DIR / f"{name}.json"
    if UPDATE:
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        golden.write_text(_dump(summary), encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; run with HERALD_UPDATE_GOLDEN=1"
    assert _dump(summary) == golden.read_text(encoding="utf-8")


def test_every_feed_file_has_a_golden_and_no_golden_is_stale(shared_data: Path) -> None:
    names = set(feed_files(shared_data))
    goldens = {p.name.removesuffix(".json") for p in GOLDEN_DIR.glob("*.json")}
    assert len(names) > 100
    assert names == goldens


def test_golden_summaries_are_sane() -> None:
    """What a reviewer checks by eye, checked for every golden file at once."""
    for golden in sorted(GOLDEN_DIR.glob("*.json")):
        summary = json.loads(golden.read_text(encoding="utf-8"))
        if "error" in summary:
            assert summary["error"], golden.name
            continue
        for item in summary["items"]:
            assert item["guid"], golden.name
            assert "<" not in item["title"] or ">" not in item["title"], golden.name
            assert "&amp;" not in item["title"] and "&#" not in item["title"], golden.name
            assert item["published"] is None or item["published"].endswith("+00:00"), golden.name
            assert item["url"] == "" or item["url"].startswith(("http://", "https://"))


def test_files_that_are_not_feeds_are_refused_with_a_reason(shared_data: Path) -> None:
    refused = {
        name: summarize(path, shared_data)["error"]
        for name, path in feed_files(shared_data).items()
        if "error" in summarize(path, shared_data)
    }
    assert "feed_rs__xml_sample_1.xml" in refused
    assert "feed_rs__rss_2.0_invalid_1.xml" in refused
    assert "feedjira__TechCrunchFirstEntry.xml" in refused
    assert all(reason.startswith(("not a feed", "malformed")) for reason in refused.values())
    assert len(refused) < 15


def _feed_rs_pairs(data: Path) -> list[tuple[Path, Path]]:
    """(feed file, feed-rs's expected output) for every feed-rs fixture that has one."""
    pairs = []
    for expected in sorted((data / "feeds" / "feed_rs").rglob("*.serde.json")):
        stem = expected.name.removesuffix(".serde.json")
        candidates = [expected.with_name(stem + suffix) for suffix in (".xml", ".json")]
        source = next(path for path in candidates if path.exists())
        pairs.append((source, expected))
    return pairs


def test_feed_rs_expected_outputs_agree_on_items_titles_and_dates(shared_data: Path) -> None:
    """An independent oracle: feed-rs's own parse of the same files."""
    pairs = _feed_rs_pairs(shared_data)
    assert len(pairs) > 50
    for source, expected_file in pairs:
        expected = json.loads(expected_file.read_text(encoding="utf-8"))["entries"]
        feed = parse_feed(source.read_bytes(), "https://feeds.example.com/feed")
        assert len(feed.items) == len(expected), source.name
        for item, entry in zip(feed.items, expected, strict=True):
            title = " ".join(((entry.get("title") or {}).get("content") or "").split())
            assert item.title == title, source.name
            when = entry.get("published") or entry.get("updated")
            if when and item.published is not None:
                theirs = datetime.fromisoformat(when.replace("Z", "+00:00"))
                assert item.published == theirs.replace(microsecond=0), source.name
