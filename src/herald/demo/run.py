"""``herald demo``: the whole pipeline, offline, on the bundled snapshot of real news.

The snapshot is served as live feeds (RSS, Atom, JSON Feed) and article pages by a local HTTP
server on 127.0.0.1, its OPML is imported like any user's, and every stage runs through the
same code as with real outlets. The clock is frozen at the snapshot's end so datelines and
trending are those of the replayed news. A second run reuses the demo database: nothing is
fetched or written twice, so it starts serving within seconds.
"""

from __future__ import annotations

import threading

from rich.console import Console
from rich.table import Table

from herald.app import Herald, make_herald
from herald.config import Settings
from herald.demo.feedserver import FeedServer
from herald.demo.snapshot import load_snapshot, snapshot_end
from herald.exceptions import HeraldError
from herald.pipeline.run import RoundReport, run_round, start_server
from herald.progress import RichProgress
from herald.sources import import_opml

FEED_PORT = 8001


def demo_settings(base: Settings, port: int) -> Settings:
    """The demo's settings: its own SQLite file, loopback allowed, clock at the snapshot's end."""
    return base.with_overrides(
        data_dir=str(base.resolved_data_dir / "demo"),
        database_url="",
        allow_networks="127.0.0.1/32",
        now=snapshot_end().isoformat(),
        web_host="127.0.0.1",
        web_port=port,
        per_host_concurrency=16,
        total_concurrency=32,
        fetch_retries=1,
    )


def run_demo(
    base: Settings, console: Console, *, port: int = 8000, serve: bool = True
) -> RoundReport:
    """Build (or refresh) the demo and serve it until Ctrl-C; returns the round's report."""
    settings = demo_settings(base, port)
    h = make_herald(settings)
    feeds = FeedServer(load_snapshot(), visible_until=None, port=FEED_PORT)
    try:
        base_url = feeds.start()
    except OSError as e:
        raise HeraldError(
            f"the demo's feed server cannot listen on 127.0.0.1:{FEED_PORT} ({e.strerror}); "
            "is another `herald demo` running?"
        ) from e
    try:
        _import_sources(h, base_url, console)
        with RichProgress(console) as progress:
            report = run_round(h, progress)
        console.print(timings_table(report))
        _print_counts(h, console)
        if serve:
            _serve(h, port, console)
    finally:
        feeds.stop()
    return report


def _import_sources(h: Herald, base_url: str, console: Console) -> None:
    if h.store.count("sources"):
        return
    added, listed = import_opml(h, f"{base_url}/opml")
    console.print(f"Imported {added} demo sources of {listed} from {base_url}/opml")


def timings_table(report: RoundReport) -> Table:
    table = Table("stage", "seconds", "result", title="Demo pipeline")
    for name, seconds in report.seconds.items():
        result = report.errors.get(name) or _describe(report.reports.get(name))
        table.add_row(name, f"{seconds:.1f}", result)
    table.add_row("total", f"{report.total_seconds:.1f}", "")
    return table


def _describe(report: object) -> str:
    if report is None:
        return ""
    fields = getattr(report, "__dict__", {})
    return ", ".join(f"{k}={v}" for k, v in fields.items() if isinstance(v, int | float))


def _print_counts(h: Herald, console: Console) -> None:
    counts = h.store.stage_counts()
    console.print(", ".join(f"{k}: {v}" for k, v in counts.items()))


def _serve(h: Herald, port: int, console: Console) -> None:
    server = start_server(h, "127.0.0.1", port, console)
    console.print("Press Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("Stopping.")
    finally:
        server.stop()
