"""``herald bench ingest`` on a small scale: it runs end to end and prints the JSON it promises.

No timing is asserted: the numbers depend on the machine.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from herald.bench.ingest_bench import BenchOptions, feed_files, page_files, run_ingest_bench
from herald.bench.loopback import LoopbackServer
from herald.cli import app
from herald.exceptions import ConfigError

TOP_KEYS = {
    "benchmark",
    "machine",
    "options",
    "settings",
    "server",
    "feeds",
    "pages",
    "memory",
    "targets",
    "total_seconds",
}
FEED_RUNS = ("ingest", "conditional", "fetch_parse", "fetch_only")
PAGE_RUNS = ("extract_step", "extract_alone")


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, dict(e.headers.items()), b""


def test_bench_ingest_cli_prints_json_with_every_number(shared_data: Path) -> None:
    args = ["bench", "ingest", "--sources", "50", "--pages", "10", "--json-only"]
    result = CliRunner().invoke(app, [*args, "--data", str(shared_data)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data.keys() >= TOP_KEYS
    assert data["machine"]["cpu_count"] >= 1
    assert data["settings"]["allow_networks"] == "127.0.0.1/32"
    assert data["settings"]["per_host_concurrency"] == data["settings"]["total_concurrency"]

    feeds = data["feeds"]
    assert feeds["sources"] == 50
    for run in FEED_RUNS:
        assert feeds[run]["feeds_per_second"] > 0
        assert feeds[run]["server"]["requests"] >= 50
    assert feeds["ingest"]["fetched"] == 50
    assert feeds["ingest"]["failed"] == 0
    assert feeds["conditional"]["not_modified"] == 50
    assert feeds["fetch_parse"]["ok"] == 50
    assert feeds["parse_only"]["per_second"] > 0

    pages = data["pages"]
    assert pages["pages"] == 10
    for run in PAGE_RUNS:
        assert pages[run]["pages_per_second"] > 0
    assert pages["extract_step"]["pages"] == 10
    assert pages["extract_step"]["workers"] == feeds["workers"] >= 1
    assert pages["step_vs_alone"] > 0
    cpu = pages["extract_step"]["cpu"]
    assert len(cpu["worker_seconds"]) == feeds["workers"]
    assert cpu["main_process_seconds"] > 0 and cpu["worker_cpu_ms_per_page"] > 0
    assert pages["extract_alone"]["cpu_ms_per_page"] > 0

    memory = data["memory"]
    assert memory["tracked_sources"] == 50
    assert memory["peak_rss_mb_after_ingest"] > 0
    assert len(memory["workers_rss_mb_after_ingest"]) == feeds["workers"]
    assert all(rss > 0 for rss in memory["workers_rss_mb_after_ingest"])
    assert memory["total_rss_mb_after_ingest"] > memory["peak_rss_mb_after_ingest"]
    assert set(data["targets"]) == {"feeds_per_second", "pages_per_second", "memory_mb"}


def test_bench_ingest_missing_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(app, ["bench", "ingest", "--data", str(missing), "--json-only"])
    assert result.exit_code == 1
    assert "shared data folder not found" in result.output
    assert "--data" in result.output
    with pytest.raises(ConfigError, match="shared data folder not found"):
        run_ingest_bench(BenchOptions(data=missing, sources=1, pages=1))


def test_loopback_server_serves_real_files_with_validators(
    shared_data: Path, tmp_path: Path
) -> None:
    feeds = feed_files(shared_data)[:3]
    pages = page_files(shared_data)[:2]
    with LoopbackServer(tmp_path / "manifest.json", feeds, 5, pages, 3) as server:
        urls = server.feed_urls()
        assert len(urls) == 5 and len(set(urls)) == 5
        status, headers, body = _get(urls[3])
        assert status == 200
        assert body == feeds[0].read_bytes()
        status, _, body = _get(urls[3], {"If-None-Match": headers["ETag"]})
        assert (status, body) == (304, b"")
        status, _, page = _get(server.page_urls()[2])
        assert status == 200 and b"<" in page
        assert _get(server.base_url + "/robots.txt")[0] == 200
        assert _get(server.base_url + "/nothing")[0] == 404
        assert server.stats().requests >= 6
