"""extract_files: the data behind ``herald extract FILE... --json``."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from herald.extract import extract_files
from herald.extract.cli_json import page_name


def test_page_names() -> None:
    assert page_name(Path("a/b/example.com.story.html.gz")) == "example.com.story"
    assert page_name(Path("Story.HTML")) == "Story"
    assert page_name(Path("notes.txt")) is None
    assert page_name(Path(".html")) is None


def test_extract_files_on_real_pages(shared_data: Path, tmp_path: Path) -> None:
    readability = shared_data / "extraction" / "readability_test_pages"
    shutil.copy(readability / "bbc-1" / "source.html", tmp_path / "bbc-1.html")
    compressed = shared_data / "extraction" / "trafilatura_eval" / "html"
    short = compressed / "gnaur.wordpress.com.moglichkeit.html.gz"
    shutil.copy(short, tmp_path / short.name)
    (tmp_path / "broken.html.gz").write_bytes(b"not gzip at all")
    (tmp_path / "picture.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "ignored.txt").write_text("skipped")

    results = extract_files(sorted(tmp_path.iterdir()))

    assert set(results) == {"bbc-1", "gnaur.wordpress.com.moglichkeit", "broken", "picture"}
    bbc = results["bbc-1"]
    assert list(bbc) == ["title", "text", "author", "published", "language", "status"]
    assert bbc["status"] == "ok"
    assert bbc["title"] == "Obama admits US gun laws are his 'biggest frustration'"
    assert bbc["published"] == "2015-07-24T04:36:09Z"
    assert bbc["language"] == "en"
    assert "\n\n" in bbc["text"]
    assert results["gnaur.wordpress.com.moglichkeit"]["status"] == "too_short"
    assert results["broken"]["status"] == "error"
    assert results["broken"]["published"] is None
    assert results["picture"]["status"] == "error"
    json.dumps(results)  # serialisable as is


def test_gzip_files_are_read_within_the_size_limit(tmp_path: Path) -> None:
    page = b"<html><body><article><p>" + b"word " * 3_000_000 + b"</p></article></body></html>"
    path = tmp_path / "huge.html.gz"
    path.write_bytes(gzip.compress(page))
    result = extract_files([path])["huge"]
    assert result["status"] in {"ok", "too_short", "not_article"}
    assert len(result["text"]) <= 5_000_000
