"""Herald's command line: a thin layer over the stage shells and the web app.

Heavy parts (models, the web framework, database drivers) are imported inside commands so
``herald --help`` starts fast.
"""

from __future__ import annotations

import atexit
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from herald.config import Settings, describe, load_settings
from herald.exceptions import HeraldError

if TYPE_CHECKING:
    from herald.app import Herald
    from herald.pipeline.progress import Progress

T = TypeVar("T")

console = Console()
err = Console(stderr=True)
app = typer.Typer(
    help="Herald: a self-hostable AI newsroom.", no_args_is_help=True, add_completion=False
)
sources_app = typer.Typer(help="Manage the feeds Herald watches.", no_args_is_help=True)
eval_app = typer.Typer(
    help="Evaluate stages on data files (metrics printed as JSON).", no_args_is_help=True
)
bench_app = typer.Typer(
    help="Measure throughput and memory on this machine (numbers printed as JSON).",
    no_args_is_help=True,
)
app.add_typer(sources_app, name="sources")
app.add_typer(eval_app, name="eval")
llm_app = typer.Typer(help="The bundled small model and LLM writers.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(llm_app, name="llm")
reports_app = typer.Typer(help="Readers' reports and corrections.", no_args_is_help=True)
app.add_typer(reports_app, name="reports")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML settings file.")]
ExecutorOpt = Annotated[
    str | None,
    typer.Option("--executor", help="Where the work runs: local or ray (default: setting)."),
]
RayAddressOpt = Annotated[
    str | None, typer.Option("--ray-address", help="The Ray cluster's address (--executor ray).")
]

_state: dict[str, Any] = {}


@app.callback()
def _main(config: ConfigOpt = None) -> None:
    """Herald: real feeds in, a customized feed of cited, verified AI-written articles out."""
    _state["config"] = config


def settings() -> Settings:
    return load_settings(_state.get("config"))


def herald(overrides: dict[str, Any] | None = None) -> Herald:
    from herald.app import make_herald

    s = settings()
    if overrides:
        s = s.with_overrides(**overrides)
    h = make_herald(s)
    atexit.register(h.close)  # stops worker processes and the database pool on exit
    return h


def executor_overrides(executor: str | None, ray_address: str | None) -> dict[str, Any]:
    """Settings given by --executor and --ray-address."""
    given = {"executor": executor, "ray_address": ray_address}
    return {k: v for k, v in given.items() if v}


def fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(1)


def with_progress(run: Callable[[Progress], T], *, quiet: bool) -> T:
    """``run(progress)`` with rich progress bars on stderr (none when ``quiet``: the output
    is then only the JSON); a HeraldError ends the command with its message."""
    from herald.pipeline.progress import NoProgress
    from herald.progress import RichProgress

    try:
        if quiet:
            return run(NoProgress())
        with RichProgress(err) as progress:
            return run(progress)
    except HeraldError as e:
        fail(str(e))
        raise  # not reached: fail() exits


# --------------------------------------------------------------------------- set-up


@app.command()
def init() -> None:
    """Create the data folder and database (or migrate it to the newest schema)."""
    h = herald()
    console.print(f"Database ready: {h.settings.resolved_database_url}")


WIDE_TABLE = 110  # terminal columns from which tables show their optional columns


@app.command("config")
def show_config() -> None:
    """Show every setting with its current value and help."""
    current = settings()
    wide = console.width >= WIDE_TABLE  # in 80 columns: names whole, no default column
    table = Table()
    table.add_column("setting", no_wrap=True)
    table.add_column("value", overflow="fold")
    if wide:
        table.add_column("default", overflow="fold")
    table.add_column("help", overflow="fold")
    for name, default, help_text in describe():
        value = getattr(current, name)
        secret = name in {"secret_key", "llm_api_key", "judge_api_key"}
        shown = "***" if secret and value else repr(value)
        table.add_row(f"HERALD_{name.upper()}", shown, *([default] if wide else []), help_text)
    console.print(table)


# --------------------------------------------------------------------------- sources


@sources_app.command("add")
def sources_add(
    url: str,
    outlet: Annotated[str, typer.Option(help="Outlet name shown to readers.")] = "",
    no_pages: Annotated[
        bool, typer.Option("--no-pages", help="Never fetch article pages; use feed text.")
    ] = False,
    category: Annotated[str, typer.Option(help="Category label.")] = "",
) -> None:
    """Add a source by feed address or by site address (the feed is discovered)."""
    from herald.sources import add_source

    h = herald()
    try:
        source = add_source(h, url, outlet=outlet, fetch_pages=not no_pages, category=category)
    except HeraldError as e:
        fail(str(e))
        return
    console.print(f"Added source {source.id}: {source.url} ({source.outlet_name})")


@sources_app.command("list")
def sources_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List sources with their health: last success, last error, next attempt, items per day."""
    h = herald()
    rates = h.store.items_per_day(h.clock.now())
    items = h.store.list_sources()
    if as_json:
        rows = [_source_json(s, rates.get(s.id, 0.0)) for s in items]
        console.print_json(json.dumps(rows))
        return
    now = h.clock.now()
    wide = console.width >= WIDE_TABLE  # in 80 columns the address goes (it is in --json)
    table = Table("id", "outlet", *(["feed"] if wide else []), "state")
    for name in ("last success", "last error", "next attempt"):
        table.add_column(name, no_wrap=name != "last error")
    table.add_column("items/day", no_wrap=True, justify="right")
    for s in items:
        state = "paused" if s.paused else ("failing" if s.failures else "ok")
        address = [s.url.removeprefix("https://").removeprefix("http://")] if wide else []
        table.add_row(
            str(s.id),
            s.outlet_name,
            *address,
            state,
            relative_time(s.last_success, now),
            (s.last_error or "")[:60],
            relative_time(s.next_attempt, now),
            f"{rates.get(s.id, 0.0):.1f}",
        )
    console.print(table)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def relative_time(value: datetime | None, now: datetime) -> str:
    """A time as a reader of the table wants it: "12 min ago", "in 3 h", "now"; "-" for none.

    Narrow enough for an 80-column terminal, where full timestamps were cut to "2014-03…"."""
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = (value - now).total_seconds()
    amount = abs(seconds)
    if amount < 60:
        return "now"
    if amount < 2 * 3600:
        span = f"{int(amount // 60)} min"
    elif amount < 2 * 86400:
        span = f"{int(amount // 3600)} h"
    else:
        span = f"{int(amount // 86400)} d"
    return f"in {span}" if seconds > 0 else f"{span} ago"


def _source_json(s: Any, rate: float) -> dict[str, Any]:
    return {
        "id": s.id,
        "url": s.url,
        "outlet": s.outlet_name,
        "paused": s.paused,
        "fetch_pages": s.fetch_pages,
        "last_success": s.last_success.isoformat() if s.last_success else None,
        "last_error": s.last_error,
        "next_attempt": s.next_attempt.isoformat() if s.next_attempt else None,
        "failures": s.failures,
        "items_per_day": round(rate, 2),
    }


@sources_app.command("remove")
def sources_remove(
    source: Annotated[str, typer.Argument(help="Source id or feed address.")],
) -> None:
    """Remove a source and its articles."""
    h = herald()
    try:
        found = h.store.find_source(source)
        h.store.remove_source(found.id)
    except HeraldError as e:
        fail(str(e))
        return
    console.print(f"Removed source {found.id}: {found.url}")


@sources_app.command("pause")
def sources_pause(
    source: Annotated[str, typer.Argument(help="Source id or feed address.")],
) -> None:
    """Stop polling a source (its articles stay)."""
    _set_paused(source, True)


@sources_app.command("resume")
def sources_resume(
    source: Annotated[str, typer.Argument(help="Source id or feed address.")],
) -> None:
    """Start polling a paused source again."""
    _set_paused(source, False)


def _set_paused(key: str, paused: bool) -> None:
    h = herald()
    try:
        found = h.store.find_source(key)
    except HeraldError as e:
        fail(str(e))
        return
    h.store.update_source(found.id, paused=paused)
    console.print(f"Source {found.id} {'paused' if paused else 'resumed'}")


@sources_app.command("import-opml")
def sources_import(
    path: Annotated[str, typer.Argument(help="OPML file path or http(s) address.")],
) -> None:
    """Import sources from an OPML file (or address)."""
    from herald.sources import import_opml

    h = herald()
    try:
        added, total = import_opml(h, path)
    except HeraldError as e:
        fail(str(e))
        return
    console.print(f"Imported {added} new sources ({total} in the OPML)")


@sources_app.command("export-opml")
def sources_export(
    path: Annotated[Path | None, typer.Argument(help="Output file (default: stdout).")] = None,
) -> None:
    """Export all sources as OPML (round trip loses nothing)."""
    from herald.ingest.opml import write_opml

    h = herald()
    data = write_opml(h.store.list_sources(), "Herald sources")
    if path is None:
        sys.stdout.write(data.decode())
    else:
        path.write_bytes(data)
        console.print(f"Wrote {path}")


@sources_app.command("packs")
def sources_packs(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the bundled source packs (from Kagi News kite-public) for `sources add-pack`."""
    from rich.markup import escape

    from herald.packs import list_packs

    try:
        packs = list_packs()
    except HeraldError as e:
        fail(str(e))
        return
    if as_json:
        rows = [
            {
                "slug": p.slug,
                "name": p.name,
                "kind": p.kind,
                "language": p.language,
                "feeds": len(p.sources),
            }
            for p in packs
        ]
        console.print_json(json.dumps(rows))
        return
    table = Table("pack", "name", "kind", "language", "feeds")
    for p in packs:
        table.add_row(p.slug, escape(p.name), p.kind, p.language, str(len(p.sources)))
    console.print(table)


@sources_app.command("add-pack")
def sources_add_pack(
    names: Annotated[
        list[str], typer.Argument(help="Pack slugs or names (see `herald sources packs`).")
    ],
    no_pages: Annotated[
        bool, typer.Option("--no-pages", help="Never fetch article pages; use feed text.")
    ] = False,
) -> None:
    """Add every feed of one or more bundled source packs (feeds already present are kept)."""
    from dataclasses import replace

    from herald.packs import get_pack

    try:
        packs = [get_pack(name) for name in names]
        h = herald()
        for pack in packs:
            specs = pack.sources
            if no_pages:
                specs = tuple(replace(s, fetch_pages=False) for s in specs)
            added = h.store.add_sources(specs, h.clock.now())
            console.print(
                f"Added {added} sources from {pack.slug} "
                f"({len(pack.sources) - added} already present)"
            )
    except HeraldError as e:
        fail(str(e))
        return


# --------------------------------------------------------------------------- stages


@app.command()
def ingest(
    force: Annotated[bool, typer.Option(help="Fetch every source, due or not.")] = False,
    executor: ExecutorOpt = None,
    ray_address: RayAddressOpt = None,
) -> None:
    """Fetch due feeds and store their new entries."""
    from herald.pipeline.ingest_step import ingest as run_ingest
    from herald.progress import RichProgress

    with RichProgress(console) as p:
        report = run_ingest(herald(executor_overrides(executor, ray_address)), p, force=force)
    console.print(
        f"{report.sources} sources: {report.fetched} fetched, {report.not_modified} not modified, "
        f"{report.failed} failed; {report.new_entries} new entries"
    )
    for url, error in list(report.errors.items())[:20]:
        err.print(f"  [yellow]{url}[/]: {error}")


@app.command()
def extract(
    files: Annotated[
        list[Path] | None, typer.Argument(help=".html or .html.gz files to extract.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object for FILE arguments.")
    ] = False,
    executor: ExecutorOpt = None,
    ray_address: RayAddressOpt = None,
) -> None:
    """Extract article text: from FILEs (with --json), or for every pending article."""
    if files:
        from herald.extract.cli_json import extract_files
        from herald.pipeline.warm import warm_worker
        from herald.workers import WorkerPool, worker_count

        s = settings()
        workers = worker_count(s.workers) if len(files) > 1 else 0
        with WorkerPool(workers, s.work_timeout, warm=warm_worker) as pool:
            result = extract_files(files, s.min_article_chars, pool)
        sys.stdout.write(
            json.dumps(result, ensure_ascii=False, indent=None if as_json else 2) + "\n"
        )
        return
    from herald.pipeline.extract_step import extract as run_extract
    from herald.progress import RichProgress

    with RichProgress(console) as p:
        report = run_extract(herald(executor_overrides(executor, ray_address)), p)
    console.print(
        f"{report.pages} pages: {report.ok} ok, {report.failed} not usable, "
        f"{report.duplicates} near-duplicates"
    )


@app.command()
def cluster(executor: ExecutorOpt = None, ray_address: RayAddressOpt = None) -> None:
    """Assign new articles to stories."""
    from herald.pipeline.cluster_step import cluster as run_cluster
    from herald.progress import RichProgress

    with RichProgress(console) as p:
        report = run_cluster(herald(executor_overrides(executor, ray_address)), p)
    console.print(
        f"{report.articles} articles: {report.new_stories} new stories, {report.merges} merges, "
        f"{report.splits} splits"
    )


@app.command()
def trend() -> None:
    """Score stories for trending."""
    from herald.pipeline.trend_step import trend as run_trend

    report = run_trend(herald())
    console.print(f"{report.stories} stories scored, {report.trending} trending")


@app.command()
def write(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show why drafts fell back.")
    ] = False,
    story: Annotated[list[int] | None, typer.Option(help="Only these story ids.")] = None,
    executor: ExecutorOpt = None,
    ray_address: RayAddressOpt = None,
) -> None:
    """Write, verify and publish articles for corroborated stories."""
    from herald.pipeline.write_step import write as run_write
    from herald.progress import RichProgress

    with RichProgress(console) as p:
        h = herald(executor_overrides(executor, ray_address))
        report = run_write(h, p, story_ids=story)
    console.print(
        f"{report.considered} stories: {report.published} published, "
        f"{report.links_only} links only, "
        f"{report.unchanged} unchanged"
    )
    if verbose:
        for line in report.notes:
            console.print(f"  {line}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (about one per CPU core).")
    ] = 1,
) -> None:
    """Serve the web app, JSON API and personal feeds."""
    from herald.pipeline.run import serve_forever

    h = herald()
    serve_forever(
        h,
        host or h.settings.web_host,
        port or h.settings.web_port,
        console,
        workers=workers,
        config_file=_state.get("config"),
    )


@app.command()
def run(
    once: Annotated[bool, typer.Option(help="Run every stage once, then exit.")] = False,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Do not serve the web app meanwhile.")
    ] = False,
    interval: Annotated[
        float | None, typer.Option(help="Seconds between rounds (default poll_interval).")
    ] = None,
    executor: ExecutorOpt = None,
    ray_address: RayAddressOpt = None,
) -> None:
    """Run all stages repeatedly on a schedule (and serve the web app) until stopped.

    With --executor ray --ray-address ADDRESS the stages' work runs on a Ray cluster
    (needs HERALD_DATABASE_URL=postgresql+psycopg://...; see docs/deploy.md)."""
    from herald.pipeline.run import run_loop

    h = herald(executor_overrides(executor, ray_address))
    run_loop(h, console, once=once, serve=not no_serve and not once, interval=interval)


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Web port.")] = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Build the demo, then exit.")
    ] = False,
) -> None:
    """Run Herald offline on a bundled snapshot of real news, then serve it on 127.0.0.1."""
    from herald.demo.run import run_demo

    run_demo(settings(), console, port=port, serve=not no_serve)


# --------------------------------------------------------------------------- reports


NoteOpt = Annotated[str, typer.Option("--note", help="Why (public for a pull).")]


@reports_app.command("list")
def reports_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Open reports, grouped by story, oldest first."""
    from herald.store.newsroom import open_reports

    found = open_reports(herald().store)
    if as_json:
        console.print_json(json.dumps([_reported_json(r) for r in found]))
        return
    table = Table("report", "story", "status", "kind", "when", "note")
    for item in found:
        status = item.writeup.status.value if item.writeup else "no writeup"
        for r in item.reports:
            when = _when(r.created_at)
            table.add_row(
                str(r.id),
                f"{item.story.id}: {item.story.title[:50]}",
                status,
                r.kind.value,
                when,
                r.note[:60],
            )
    console.print(table)


def _reported_json(item: Any) -> dict[str, Any]:
    return {
        "story_id": item.story.id,
        "title": item.story.title,
        "writeup": item.writeup.status.value if item.writeup else None,
        "reports": [
            {
                "id": r.id,
                "kind": r.kind.value,
                "note": r.note,
                "created_at": r.created_at.isoformat(),
            }
            for r in item.reports
        ],
    }


@reports_app.command("pull")
def reports_pull(story: Annotated[int, typer.Argument(help="Story id.")], note: NoteOpt) -> None:
    """Withdraw a story's article (it leaves every feed), resolve its reports, publish the note."""
    from herald.store.newsroom import pull_story

    h = herald()
    try:
        done = pull_story(h.store, h.store.resolve_story_id(story), note, datetime.now(UTC))
    except HeraldError as e:
        fail(str(e))
        return
    console.print(f"Pulled story {done.story_id} (correction {done.id})")


@reports_app.command("dismiss")
def reports_dismiss(
    report: Annotated[int, typer.Argument(help="Report id.")], note: NoteOpt
) -> None:
    """Close a report without changing the story (the note stays in the editors' log)."""
    from herald.store.newsroom import dismiss_reports

    h = herald()
    try:
        done = dismiss_reports(h.store, [report], note, datetime.now(UTC))
    except HeraldError as e:
        fail(str(e))
        return
    console.print(f"Dismissed report {report} on story {done.story_id}")


# --------------------------------------------------------------------------- evaluation


@eval_app.command("cluster")
def eval_cluster(
    file: Path,
    predictions: Annotated[Path, typer.Option(help="Where to write {id, story} lines.")] = Path(
        "predictions.jsonl"
    ),
) -> None:
    """Cluster an Articles JSONL file in time order and print clustering metrics."""
    from herald.eval.cluster_eval import run_cluster_eval
    from herald.nlp.embed import shared_embedder

    _print_json(run_cluster_eval(file, predictions, shared_embedder()))


@eval_app.command("trend")
def eval_trend(
    file: Path,
    output: Annotated[Path, typer.Option(help="Where to write {checkpoint, top} lines.")] = Path(
        "trend.jsonl"
    ),
    gold_stories: Annotated[
        bool, typer.Option("--gold-stories", help="Use the gold story ids.")
    ] = False,
) -> None:
    """Rank trending stories at checkpoints and print precision@5 and nDCG@5."""
    from herald.eval.trend_eval import run_trend_eval
    from herald.nlp.embed import shared_embedder

    _print_json(
        run_trend_eval(file, output, gold_stories, None if gold_stories else shared_embedder())
    )


@eval_app.command("write")
def eval_write(
    file: Path,
    output: Annotated[Path, typer.Option(help="Where to write one article per story.")] = Path(
        "articles.jsonl"
    ),
    words: Annotated[int, typer.Option(help="Word budget.")] = 250,
    writer: Annotated[
        str | None,
        typer.Option(help="composer, or openai (the endpoint from HERALD_LLM_* settings)."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N stories.")] = None,
) -> None:
    """Write every story of a Clusters JSONL file and print ROUGE, citation and verifier shares."""
    from herald.eval.write_eval import run_write_eval
    from herald.nlp.embed import shared_embedder
    from herald.write.llm import chat_client
    from herald.write.llm_writer import LLMWriter

    s = settings()
    chosen = writer or s.writer
    if chosen not in ("composer", "openai"):
        fail(f"unknown writer {chosen!r}; use composer or openai")
    llm = LLMWriter(chat_client(s), s.llm_max_tokens) if chosen == "openai" else None
    try:
        _print_json(run_write_eval(file, output, words, shared_embedder(), llm, limit))
    finally:
        if llm is not None:
            llm.close()


@eval_app.command("verify")
def eval_verify(
    file: Path,
    output: Annotated[
        Path, typer.Option(help="Where to write {id, score, supported} lines.")
    ] = Path("verify.jsonl"),
    fit: Annotated[
        bool,
        typer.Option(
            "--fit",
            help="Also fit the support model on FILE and report grouped 5-fold CV accuracy.",
        ),
    ] = False,
    judge: Annotated[
        bool,
        typer.Option(
            "--judge",
            help="Also ask the LLM judge (judge_* settings, or --judge-url/--judge-model) and "
            "compare the metrics with and without it on the same pairs.",
        ),
    ] = False,
    judge_url: Annotated[
        str | None, typer.Option(help="The judge's OpenAI-compatible base URL.")
    ] = None,
    judge_model: Annotated[str | None, typer.Option(help="The judge's model name.")] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only this many pairs, evenly spaced through FILE.")
    ] = None,
) -> None:
    """Score Faithfulness pairs and print balanced accuracy and ROC AUC."""
    from herald.eval.verify_eval import run_verify_eval
    from herald.nlp.embed import shared_embedder
    from herald.verify.judge import judge_for

    s = settings()
    if judge_url is not None:
        s = s.with_overrides(judge_base_url=judge_url)
    if judge_model is not None:
        s = s.with_overrides(judge_model=judge_model)
    checker = judge_for(s) if judge else None
    if judge and checker is None:
        fail("--judge needs judge_base_url (HERALD_JUDGE_BASE_URL) or --judge-url")
    try:
        embedder = shared_embedder()
        _print_json(
            with_progress(
                lambda p: run_verify_eval(file, output, embedder, None, fit, checker, limit, p),
                quiet=False,
            )
        )
    finally:
        if checker is not None:
            checker.close()


@eval_app.command("rank")
def eval_rank(
    behaviors: Annotated[Path, typer.Option(help="MIND behaviors.tsv.")],
    news: Annotated[Path, typer.Option(help="MIND news.tsv.")],
    output: Annotated[Path, typer.Option(help="Where to write {impression, scores} lines.")] = Path(
        "rank.jsonl"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON object.")] = False,
) -> None:
    """Score MIND impressions from click histories; print AUC, MRR, nDCG@5 and nDCG@10."""
    from herald.eval.rank import rank_table, run_rank_eval
    from herald.nlp.embed import shared_embedder

    result = with_progress(
        lambda p: run_rank_eval(behaviors, news, output, shared_embedder(), p), quiet=as_json
    )
    if as_json:
        _print_json(result)
    else:
        console.print(rank_table(result))


# --------------------------------------------------------------------------- benchmarks


@bench_app.command("ingest")
def bench_ingest(
    sources: Annotated[int, typer.Option(min=1, help="Sources (distinct feed URLs).")] = 10_000,
    pages: Annotated[int, typer.Option(min=1, help="Article pages to extract.")] = 500,
    data: Annotated[
        Path, typer.Option(help="The shared data folder, with feeds/ and extraction/.")
    ] = Path("../shared/data"),
    json_only: Annotated[
        bool, typer.Option("--json-only", help="Print only the JSON object, no progress.")
    ] = False,
) -> None:
    """Feeds/s and pages/s from a loopback server of real files, and memory with many sources."""
    from herald.bench.ingest_bench import BenchOptions, run_ingest_bench

    options = BenchOptions(data=data, sources=sources, pages=pages)
    result = with_progress(lambda p: run_ingest_bench(options, p), quiet=json_only)
    _print_json(result)


@bench_app.command("cluster")
def bench_cluster(
    articles: Annotated[
        int, typer.Option(min=1, help="Real articles embedded and assigned per run.")
    ] = 1000,
    window_articles: Annotated[
        int, typer.Option(min=1, help="Articles held in the active window for memory.")
    ] = 100_000,
    data: Annotated[Path, typer.Option(help="The shared data folder, with clustering/.")] = Path(
        "../shared/data"
    ),
    json_only: Annotated[
        bool, typer.Option("--json-only", help="Print only the JSON object, no progress.")
    ] = False,
) -> None:
    """Articles/s of embedding + story assignment, and memory with a full active window."""
    from herald.bench.cluster_bench import BenchOptions, run_cluster_bench

    options = BenchOptions(data=data, articles=articles, window_articles=window_articles)
    result = with_progress(lambda p: run_cluster_bench(options, p), quiet=json_only)
    _print_json(result)


@bench_app.command("rank")
def bench_rank(
    readers: Annotated[int, typer.Option(min=1, help="Simulated readers.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same numbers).")] = 0,
    budget: Annotated[int, typer.Option(min=1, help="Interactions per reader.")] = 200,
    data: Annotated[
        Path, typer.Option(help="The shared data folder, with recommendation/.")
    ] = Path("../shared/data"),
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON object.")] = False,
) -> None:
    """Interactions the feed needs before nDCG@10 passes 0.8 for simulated readers."""
    from herald.bench.rank_sim import SimOptions, run_rank_sim, sim_table

    options = SimOptions(data=data, readers=readers, seed=seed, budget=budget)
    result = with_progress(lambda p: run_rank_sim(options, p), quiet=as_json)
    if as_json:
        _print_json(result)
    else:
        console.print(sim_table(result))


@bench_app.command("serve")
def bench_serve(
    readers: Annotated[int, typer.Option(min=1, help="Readers to seed.")] = 10_000,
    articles: Annotated[int, typer.Option(min=1, help="Articles to seed.")] = 100_000,
    stories: Annotated[int, typer.Option(min=1, help="Stories to seed.")] = 5_000,
    concurrency: Annotated[int, typer.Option(min=1, help="Keep-alive connections.")] = 50,
    duration: Annotated[float, typer.Option(min=0.1, help="Seconds measured per endpoint.")] = 20.0,
    warmup: Annotated[float, typer.Option(min=0.0, help="Unmeasured seconds first.")] = 5.0,
    database_url: Annotated[
        str, typer.Option(help="An empty PostgreSQL database to seed (default: SQLite).")
    ] = "",
    web_workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 2,
    profile: Annotated[
        int, typer.Option(min=0, help="Then cProfile this many feed requests in process.")
    ] = 0,
    rates: Annotated[
        str,
        typer.Option(
            help="Open-loop feed page rates, as shares of its closed-loop req/s "
            "(comma-separated; empty: none)."
        ),
    ] = "0.25,0.5,0.75",
    json_out: Annotated[bool, typer.Option("--json", help="Print only the JSON object.")] = False,
) -> None:
    """p50/p99 latency and requests/s of the feed page, API and story pages on loopback."""
    from herald.bench.serve import ServeOptions, run_serve_bench
    from herald.bench.serve_report import serve_table

    options = ServeOptions(
        readers=readers,
        articles=articles,
        stories=stories,
        concurrency=concurrency,
        duration=duration,
        warmup=warmup,
        database_url=database_url,
        web_workers=web_workers,
        profile=profile,
        rates=_shares(rates),
    )
    try:
        result = run_serve_bench(options, None if json_out else err.print)
    except HeraldError as e:
        fail(str(e))
        return
    if json_out:
        _print_json(result)
    else:
        console.print(serve_table(result))


def _shares(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        fail(f"--rates takes comma-separated numbers, not {text!r}")
        raise


@bench_app.command("pipeline")
def bench_pipeline(
    executor: Annotated[str, typer.Option(help="local or ray.")] = "local",
    workers: Annotated[
        list[str] | None,
        typer.Option(help="Worker counts to measure (repeat, or 1,2). Default: 1 and 2."),
    ] = None,
    ray_address: Annotated[
        str, typer.Option(help="An existing Ray cluster (default: start a local one).")
    ] = "",
    database_url: Annotated[
        str,
        typer.Option(
            help="A PostgreSQL server URL whose role may create databases (ray needs it)."
        ),
    ] = "",
    hosts: Annotated[int, typer.Option(min=1, help="Loopback feed servers (hosts).")] = 8,
    articles: Annotated[
        int, typer.Option(min=0, help="Snapshot articles used (0: all of them).")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON object.")] = False,
) -> None:
    """Items/s of every stage with 1 and 2 workers, on the demo snapshot over loopback."""
    from herald.bench.pipeline import PipelineBenchOptions, pipeline_table, run_pipeline_bench

    try:
        counts = tuple(int(n) for w in (workers or ["1", "2"]) for n in w.split(",") if n.strip())
    except ValueError:
        fail("--workers takes whole numbers, e.g. --workers 1 --workers 2 or --workers 1,2")
        return
    options = PipelineBenchOptions(
        executor=executor,
        workers=counts,
        ray_address=ray_address,
        database_url=database_url,
        hosts=hosts,
        articles=articles,
    )
    result = with_progress(lambda p: run_pipeline_bench(options, p), quiet=as_json)
    if as_json:
        _print_json(result)
    else:
        console.print(pipeline_table(result))


def _print_json(result: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


def main() -> None:
    """Entry point of the ``herald`` command."""
    try:
        app()
    except HeraldError as e:
        err.print(f"[bold red]error:[/] {e}")
        sys.exit(1)


@llm_app.command("serve")
def llm_serve(
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Listen port.")] = 8080,
    model: Annotated[
        Path | None, typer.Option(help="A GGUF file (default: the bundled SmolLM2-135M).")
    ] = None,
    context: Annotated[int, typer.Option(help="Context size in tokens.")] = 4096,
) -> None:
    """Serve a GGUF model as an OpenAI-compatible API (llama.cpp) for writer = "openai".

    Then set HERALD_WRITER=openai and HERALD_LLM_BASE_URL=http://HOST:PORT/v1.
    """
    from herald.write.bundled import server_command

    try:
        command = server_command(host, port, model, context)
    except HeraldError as e:
        fail(str(e))
    err.print(f"serving {command[4]} on http://{host}:{port}/v1")
    raise typer.Exit(subprocess.call(command))
