"""`crestwatch run` (one pipeline pass) and `crestwatch scan` (detectors only, on a JSONL file)."""

from __future__ import annotations

import sys
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.cli.common import (
    ConfigOption,
    DetectorsOption,
    config_or_exit,
    detector_names,
    err,
    fail,
    load_detectors_or_exit,
    log,
)

if TYPE_CHECKING:
    from pipeline.run.runner import RunSummary
    from pipeline.store import Store


def register(app: typer.Typer) -> None:
    app.command(name="run")(run)
    app.command(name="scan")(scan)


def run(
    config: ConfigOption = None,
    demo: Annotated[
        bool, typer.Option(help="Bundled samples, SQLite store: no credentials, no server.")
    ] = False,
    store: Annotated[
        str | None, typer.Option(help="sqlite or elasticsearch (default: from config).")
    ] = None,
    es_url: Annotated[str | None, typer.Option(help="Elasticsearch URL.")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the SQLite store and media go.")
    ] = None,
    detectors: DetectorsOption = None,
    from_start: Annotated[
        bool, typer.Option(help="Ignore saved checkpoints and read every source from the start.")
    ] = False,
) -> None:
    """One pipeline pass: sources, detectors, store."""
    from pipeline.policy.engine import Policy
    from pipeline.run.assemble import DetectorLoadError, build_pass
    from pipeline.run.quarantine import Quarantine
    from pipeline.run.runner import run_pass
    from pipeline.store import open_store
    from pipeline.store.base import StoreError

    cfg = config_or_exit(config)
    data = data_dir.resolve() if data_dir else cfg.data_path()
    # Detectors keep caches and evidence under the data directory too, not only the store.
    cfg.data_dir = data
    if demo:
        store, from_start = "sqlite", True
    try:
        work = build_pass(cfg, demo=demo, detector_names=detector_names(detectors))
    except (KeyError, ValueError) as exc:
        raise fail(str(exc.args[0] if isinstance(exc, KeyError) else exc)) from None
    if not work.sources:
        err.print("[yellow]no enabled sources in the config[/yellow]")
    with _progress() as progress:
        task = progress.add_task("loading detectors", total=None)
        # The store is opened (its indices set up, seconds on a new cluster) while the
        # detectors load: one waits on the network, the other works.
        with ThreadPoolExecutor(1, thread_name_prefix="open-store") as opener:
            opening = opener.submit(open_store, cfg, backend=store, url=es_url,
                                    sqlite_path=data / "crestwatch.sqlite")
            try:
                work.load(lambda name: progress.update(task, description=f"loading {name}"))
            except DetectorLoadError as exc:
                _close_when_opened(opening)
                raise fail(str(exc)) from None
        progress.update(task, description="reading posts", total=None)
        try:
            target = opening.result()
            quarantine = Quarantine.in_data_dir(data)
        except StoreError as exc:
            raise fail(str(exc)) from None
        with target, quarantine as held:
            summary = run_pass(
                work.sources,
                store=target,
                detectors=work.detectors,
                policy=Policy.for_store(cfg, target),
                enrichers=work.enrichers,
                from_start=from_start,
                on_page=lambda page: progress.update(task, advance=len(page.posts)),
                quarantine=held,
            )
            try:
                total = target.count_hits()
            except StoreError as exc:
                summary.errors.append(str(exc))
                total = 0
    _print_summary(summary, total_hits=total)
    where = data / "crestwatch.sqlite" if (store or cfg.store.backend) == "sqlite" else _shown(
        es_url or cfg.store.elasticsearch_url or "Elasticsearch"
    )
    err.print(f"Hits are in [bold]{where}[/bold]. Review them with `crestwatch review list`.")
    if not summary.ok:
        raise typer.Exit(1)


def _close_when_opened(opening: Future[Store]) -> None:
    """Close the store being opened once it is open (a run that stops before using it)."""
    with suppress(Exception):  # the run already stops for another reason
        opening.result().close()


def _shown(url: str) -> str:
    """A URL as it may be printed: credentials in it (user:password@) are left out."""
    from pipeline.store.elasticsearch import without_credentials

    return ", ".join(without_credentials(part.strip()) for part in url.split(","))


def scan(
    file: Annotated[str, typer.Argument(help="JSONL of posts; - reads stdin.")],
    detectors: DetectorsOption = None,
    config: ConfigOption = None,
    all_findings: Annotated[
        bool, typer.Option("--all", help="Also print findings below the configured threshold.")
    ] = False,
) -> None:
    """Detectors only: one Finding per line on stdout, each with its post id."""
    from pipeline.core.jsonl import ReadReport, dumps, read_models
    from pipeline.core.models import Post
    from pipeline.policy.engine import Policy
    from pipeline.run.runner import RunSummary, run_detectors

    cfg = config_or_exit(config)
    dets = load_detectors_or_exit(cfg, detectors)
    policy = Policy(cfg)
    report = ReadReport()
    summary = RunSummary()
    batch: list[Post] = []

    def flush() -> None:
        screened = policy.screen(run_detectors(batch, dets, summary), {p.doc_id: p for p in batch})
        decided = screened.admitted + (screened.suppressed if all_findings else [])
        for finding, decision in decided:
            record = {**finding.model_dump(mode="json"), "severity": decision.severity.value,
                      "admitted": decision.admitted, "reasons": list(decision.reasons)}
            sys.stdout.write(dumps(record) + "\n")
        sys.stdout.flush()
        batch.clear()

    if file != "-":
        try:
            open(file, encoding="utf-8").close()
        except OSError as exc:
            err.print(f"[red]cannot read {file}: {exc.strerror}[/red]")
            raise typer.Exit(2) from None
    for post in read_models(file, Post, report):
        batch.append(post)
        if len(batch) >= 64:
            flush()
    if batch:
        flush()
    for problem in [*map(str, report.errors), *summary.skipped]:
        err.print(f"[yellow]skipped[/yellow] {problem}", highlight=False)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} posts"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _print_summary(summary: RunSummary, *, total_hits: int) -> None:
    from pipeline.review.display import safe

    # Each number says what it counts: hits written and hits stored differ (a rerun rewrites a
    # hit; an account's findings share one hit), and readers had taken one for the other.
    table = Table(title="Run summary", show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    table.add_column(style="dim")
    rows = [
        ("posts read", summary.posts_read, "from the sources, this run"),
        ("posts stored", summary.posts_stored,
         f"{summary.posts_new} new; the rest replaced their stored version"),
        ("hits written", summary.hits_written,
         "created or updated this run (one per post and category; one per account for "
         "impersonation)"),
        ("hits in store", total_hits, "every hit held, from all runs"),
        ("findings not alerted on", sum(summary.suppressed.values()),
         "below threshold, purpose-limited, allow-listed or whitelisted (table below)"),
        ("items skipped", len(summary.skipped), "bad input, reported below"),
        ("items quarantined", summary.quarantined, "held for `crestwatch quarantine retry`"),
        ("of those, deferred", summary.deferred,
         "stored, but their images not yet fetched or read: the page's media time budget "
         "ran out (media.page_budget); the retry finishes them"),
        ("errors", len(summary.errors), "failures that stopped a source or a page"),
    ]
    for label, count, meaning in rows:
        table.add_row(label, str(count), meaning)
    err.print(table)
    if summary.findings:
        by = Table(title="Findings alerted on, by category and severity (several findings "
                         "about one account share its hit)")
        by.add_column("category")
        by.add_column("severity")
        by.add_column("count", justify="right")
        for (category, severity), n in sorted(summary.findings.items()):
            by.add_row(category, severity, str(n))
        err.print(by)
    if summary.suppressed:
        why = Table(title="Findings not alerted on, and why (the policy)")
        why.add_column("detector")
        why.add_column("reason")
        why.add_column("count", justify="right")
        for (detector, reason), n in sorted(summary.suppressed.items()):
            why.add_row(detector, reason, str(n))
        err.print(why)
    # Problems quote the input they were about, which may carry control or direction characters.
    for problem in summary.skipped[:20]:
        err.print(f"[yellow]skipped[/yellow] {escape(safe(problem))}", highlight=False)
    if len(summary.skipped) > 20:
        err.print(f"... and {len(summary.skipped) - 20} more skipped items")
    if summary.quarantined:
        err.print(f"{summary.quarantined} items quarantined: crestwatch quarantine list")
    for problem in summary.errors:
        err.print(f"[red]error[/red] {escape(safe(problem))}", highlight=False)
    for note in summary.off:
        err.print(f"[yellow]{escape(note)}[/yellow]", highlight=False)
    for name, outcome in summary.sources.items():
        log.info("source %s: %s", name, outcome)
