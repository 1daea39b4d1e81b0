"""The rich table ``herald bench serve`` prints (``--json`` prints the JSON instead)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

__all__ = ["serve_table"]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def serve_table(result: dict[str, Any]) -> Group:
    """One row per endpoint, then the goal, the machine and the load averages."""
    options = result["options"]
    table = Table(
        title=(
            f"herald bench serve: {options['concurrency']} connections, "
            f"{options['duration']:g} s per endpoint, {result['database']}, "
            f"{result['server']['web_workers']} web worker(s) "
            f"({result['server']['http']}, {result['server']['loop']})"
        )
    )
    for column in ("endpoint", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    table.add_column("client CPU", justify="right")
    table.add_column("server CPU", justify="right")
    table.add_column("restarts", justify="right")
    for name, row in result["endpoints"].items():
        table.add_row(
            name,
            *_served(row),
            f"{row['client_cpu_share']:.0%}",
            f"{row.get('server_cpu_share', 0.0):.0%}",
            str(row["server_worker_restarts"]),
        )
    parts: list[Table | Text] = [table]
    if result.get("feed_page_open_loop"):
        parts.append(_open_loop_table(result["feed_page_open_loop"]))
    parts.append(_footer(result))
    if "profile" in result:
        parts.append(_profile_table(result["profile"]))
    return Group(*parts)


def _open_loop_table(rows: list[dict[str, Any]]) -> Table:
    """The feed page with readers arriving at fixed rates (latency from each arrival)."""
    table = Table(title="feed page, open loop: readers arriving at a fixed rate (Poisson)")
    for column in ("share of ceiling", "offered req/s", "served req/s", "p50 ms", "p90 ms"):
        table.add_column(column, justify="right")
    for column in ("p99 ms", "max ms", "errors", "server CPU"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            f"{row['share']:.0%}",
            f"{row['rate']:,.1f}",
            *_served(row),
            f"{row.get('server_cpu_share', 0.0):.0%}",
        )
    return table


def _served(row: dict[str, Any]) -> tuple[str, ...]:
    """Requests per second, latency percentiles and errors of one measured window."""
    latency = row["latency_ms"]
    percentiles = (_ms(latency[k]) for k in ("p50", "p90", "p99", "max"))
    return (f"{row['requests_per_second']:,.1f}", *percentiles, str(row["errors"]))


def _profile_table(profile: dict[str, Any]) -> Table:
    """Per endpoint: in-process time per request and the named steps (cProfile, inflated)."""
    table = Table(
        title="in-process profile, ms per request (steps: cProfile's split of the unprofiled"
        " mean; areas: own time under cProfile)"
    )
    table.add_column("endpoint")
    table.add_column("first", justify="right")
    table.add_column("mean", justify="right")
    table.add_column("steps (cumulative)")
    table.add_column("areas (own time)")
    for name, found in profile.items():
        named = list(found["steps_estimated_ms"].items())[:6]
        steps = ", ".join(f"{k} {v:.1f}" for k, v in named)
        areas = ", ".join(f"{k} {v:.1f}" for k, v in list(found["by_area_ms"].items())[:6])
        table.add_row(
            name, _ms(found["first_request_ms"]), _ms(found["mean_request_ms"]), steps, areas
        )
    return table


def _footer(result: dict[str, Any]) -> Text:
    goal = result["goal"]
    machine = result["machine"]
    verdict = {True: "met", False: "not met", None: "not measured at the goal's load"}
    seed = result["seed"]["counts"]
    lines = [
        f"goal: feed page p99 < {goal['target_p99_ms']:g} ms at {goal['target_concurrency']} "
        f"connections: {_ms(goal['feed_page_p99_ms'])} ms, {verdict[goal['met']]}",
        "sustained feed page rate with p99 under the goal (open loop): "
        + (
            "none of the rates measured"
            if goal.get("sustained_rate_under_target") is None
            else f"{goal['sustained_rate_under_target']:,.1f} req/s"
        ),
        "seeded: " + ", ".join(f"{n:,} {name}" for name, n in seed.items()),
        f"machine: {machine['usable_cpus']} usable CPUs, Python {machine['python']}, "
        f"load average {machine['load_average_1m_at_start']} at start, "
        f"{result['load_average_1m_at_end']} at end",
    ]
    return Text("\n".join(lines))
