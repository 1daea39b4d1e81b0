"""The command line as a user drives it, against a real SQLite file and a real HTTP server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from herald.cli import app, relative_time
from herald.config import describe
from tests.support.httpserver import LocalServer

COMMANDS = [
    [],
    ["init"],
    ["config"],
    ["ingest"],
    ["extract"],
    ["cluster"],
    ["trend"],
    ["write"],
    ["serve"],
    ["run"],
    ["demo"],
    ["sources"],
    ["sources", "add"],
    ["sources", "list"],
    ["sources", "remove"],
    ["sources", "pause"],
    ["sources", "resume"],
    ["sources", "import-opml"],
    ["sources", "export-opml"],
    ["eval"],
    ["eval", "cluster"],
    ["eval", "trend"],
    ["eval", "write"],
    ["eval", "verify"],
    ["eval", "rank"],
    ["bench"],
    ["bench", "ingest"],
    ["bench", "cluster"],
    ["bench", "rank"],
    ["bench", "serve"],
    ["llm"],
    ["reports"],
    ["reports", "list"],
    ["reports", "pull"],
    ["reports", "dismiss"],
]


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    return {"HERALD_DATA_DIR": str(tmp_path / "data"), "HERALD_ALLOW_NETWORKS": "127.0.0.1/32"}


@pytest.fixture()
def server(shared_data: Path) -> Iterator[LocalServer]:
    with LocalServer() as srv:
        srv.serve_dir("/rss2/", shared_data / "feeds" / "feed_rs" / "fixture" / "rss2")
        srv.serve_dir("/atom/", shared_data / "feeds" / "feed_rs" / "fixture" / "atom")
        yield srv


def invoke(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "herald")
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_sources_add_list_export_import_remove(
    env: dict[str, str], server: LocalServer, tmp_path: Path
) -> None:
    invoke(env, "init")
    out = invoke(env, "sources", "add", server.url("/rss2/rss_2.0_bbc.xml"), "--outlet", "BBC News")
    assert "Added source 1" in out
    invoke(env, "sources", "add", server.url("/atom/atom_example_reddit.xml"), "--no-pages")
    listed = json.loads(invoke(env, "sources", "list", "--json"))
    assert listed[0]["outlet"] == "BBC News"
    assert listed[1]["fetch_pages"] is False
    opml = tmp_path / "out.opml"
    invoke(env, "sources", "export-opml", str(opml))
    other = {**env, "HERALD_DATA_DIR": str(tmp_path / "other")}
    assert "Imported 2 new sources" in invoke(other, "sources", "import-opml", str(opml))
    again = json.loads(invoke(other, "sources", "list", "--json"))
    keys = ("url", "outlet", "fetch_pages")
    assert [{k: s[k] for k in keys} for s in again] == [{k: s[k] for k in keys} for s in listed]
    invoke(env, "sources", "pause", "1")
    assert json.loads(invoke(env, "sources", "list", "--json"))[0]["paused"] is True
    invoke(env, "sources", "remove", "1")
    assert len(json.loads(invoke(env, "sources", "list", "--json"))) == 1


def test_ingest_records_new_entries_and_errors(env: dict[str, str], server: LocalServer) -> None:
    invoke(env, "sources", "add", server.url("/rss2/rss_2.0_bbc.xml"))
    out = invoke(env, "ingest")
    assert "1 fetched" in out and "0 failed" in out
    assert "0 new entries" not in out
    server.route("/gone.xml", body="nope", status=404)
    result = CliRunner().invoke(app, ["sources", "add", server.url("/gone.xml")], env=env)
    assert result.exit_code == 1
    assert "404" in result.output


def test_sources_list_fits_a_terminal(env: dict[str, str], server: LocalServer) -> None:
    invoke(env, "sources", "add", server.url("/rss2/rss_2.0_bbc.xml"), "--outlet", "BBC News")
    invoke(env, "ingest")
    narrow = invoke({**env, "COLUMNS": "80"}, "sources", "list")
    assert "BBC News" in narrow and "127.0.0.1" not in narrow  # the address is in --json
    assert "success" in narrow and "next" in narrow
    assert "now" in narrow and " min" in narrow  # fetched just now, next attempt in minutes
    assert max(len(line) for line in narrow.splitlines()) <= 80
    wide = invoke({**env, "COLUMNS": "160"}, "sources", "list")
    assert "127.0.0.1" in wide and "http://" not in wide


def test_config_names_every_setting_whole_in_80_columns(env: dict[str, str]) -> None:
    narrow = invoke({**env, "COLUMNS": "80"}, "config")
    assert max(len(line) for line in narrow.splitlines()) <= 80
    for name, _, _ in describe():
        assert f"HERALD_{name.upper()}" in narrow  # a name to copy, never cut short
    assert "default" not in narrow.splitlines()[1]
    assert "default" in invoke({**env, "COLUMNS": "160"}, "config").splitlines()[1]


def test_relative_times() -> None:
    now = datetime(2024, 12, 29, 15, 0, tzinfo=UTC)
    assert relative_time(None, now) == "-"
    assert relative_time(now - timedelta(seconds=20), now) == "now"
    assert relative_time(now - timedelta(minutes=12), now) == "12 min ago"
    assert relative_time(now + timedelta(minutes=15), now) == "in 15 min"
    assert relative_time(now - timedelta(hours=5), now) == "5 h ago"
    assert relative_time(now + timedelta(days=3, hours=2), now) == "in 3 d"
    assert relative_time(datetime(2024, 12, 29, 14, 0), now) == "60 min ago"  # naive is UTC


def test_unknown_source_is_a_clear_error(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["sources", "remove", "99"], env=env)
    assert result.exit_code == 1
    assert "no source" in result.output


def test_extract_files_as_json(shared_data: Path) -> None:
    pages = sorted((shared_data / "extraction" / "trafilatura_eval" / "html").glob("*.html.gz"))[:2]
    out = subprocess.run(
        [sys.executable, "-m", "herald", "extract", *map(str, pages), "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out)
    assert set(result) == {p.name.removesuffix(".html.gz") for p in pages}
    for item in result.values():
        assert set(item) == {"title", "text", "author", "published", "language", "status"}
