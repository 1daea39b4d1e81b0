"""Running the whole pipeline: once, or on a schedule until stopped, with the web app alongside."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console

from herald.app import Herald
from herald.exceptions import HeraldError
from herald.pipeline.progress import NoProgress, Progress

log = logging.getLogger(__name__)

STAGES = ("ingest", "extract", "cluster", "trend", "write")


@dataclass
class RoundReport:
    """Reports and wall times (seconds) of every stage of one round."""

    reports: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def stage_functions() -> dict[str, Callable[[Herald, Progress], Any]]:
    from herald.pipeline.cluster_step import cluster
    from herald.pipeline.extract_step import extract
    from herald.pipeline.ingest_step import ingest
    from herald.pipeline.trend_step import trend
    from herald.pipeline.write_step import write

    return {
        "ingest": lambda h, p: ingest(h, p),
        "extract": lambda h, p: extract(h, p),
        "cluster": lambda h, p: cluster(h, p),
        "trend": lambda h, p: trend(h, p),
        "write": lambda h, p: write(h, p),
    }


def run_round(h: Herald, progress: Progress | None = None) -> RoundReport:
    """Run every stage once; a failing stage is reported and the next stages still run."""
    progress = progress or NoProgress()
    report = RoundReport()
    for name, fn in stage_functions().items():
        started = time.perf_counter()
        try:
            h.check_executor()
            report.reports[name] = fn(h, progress)
        except HeraldError as e:
            log.error("stage %s failed: %s", name, e)
            report.errors[name] = str(e)
        report.seconds[name] = time.perf_counter() - started
    return report


def run_loop(
    h: Herald,
    console: Console,
    *,
    once: bool = False,
    serve: bool = True,
    interval: float | None = None,
) -> None:
    """Run rounds until SIGINT/SIGTERM (or once); serve the web app meanwhile when asked."""
    from herald.progress import RichProgress

    stop = threading.Event()
    server = start_server(h, h.settings.web_host, h.settings.web_port, console) if serve else None
    _on_signals(stop)
    wait = interval if interval is not None else h.settings.poll_interval
    try:
        while not stop.is_set():
            with RichProgress(console) as p:
                report = run_round(h, p)
            console.print(_summary(report))
            if once:
                break
            stop.wait(wait)
    finally:
        if server is not None:
            server.stop()


def _summary(report: RoundReport) -> str:
    times = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    errors = "; ".join(f"{k}: {v}" for k, v in report.errors.items())
    return f"Round done in {report.total_seconds:.1f}s ({times})" + (
        f" [red]errors: {errors}[/]" if errors else ""
    )


def _on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)


class WebServer:
    """uvicorn serving the web app in a background thread."""

    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def start_server(h: Herald, host: str, port: int, console: Console) -> WebServer:
    """Start serving in a thread and wait until the socket accepts connections."""
    import uvicorn

    from herald.web.app import create_app
    from herald.web.server import listening_socket

    try:
        sock = listening_socket(host, port)
    except OSError as e:
        raise HeraldError(f"the web app could not listen on {host}:{port}: {e}") from e
    config = uvicorn.Config(
        create_app(h), host=host, port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="herald-web", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise HeraldError(f"the web app could not listen on {host}:{port}")
    console.print(f"Serving Herald on [bold]http://{host}:{port}[/]")
    return WebServer(server, thread)


def serve_forever(
    h: Herald,
    host: str,
    port: int,
    console: Console,
    *,
    workers: int = 1,
    config_file: str | Path | None = None,
) -> None:
    """Serve in the foreground until Ctrl-C: in this process, or in ``workers`` worker
    processes (each making its own ``Herald`` from the same settings: ``config_file`` and
    the ``HERALD_*`` environment)."""
    from herald.web.app import create_app
    from herald.web.server import listening_socket, run_server

    try:
        sock = listening_socket(host, port)
    except OSError as e:
        raise HeraldError(f"the web app could not listen on {host}:{port}: {e}") from e
    h.secret_key  # noqa: B018  (read or made here: a database problem shows before workers start)
    shown = f" with {workers} worker processes" if workers > 1 else ""
    console.print(f"Serving Herald on [bold]http://{host}:{port}[/]{shown} (Ctrl-C stops)")
    app = create_app(h) if workers <= 1 else None
    run_server(sock, workers=workers, app=app, config_file=config_file)
