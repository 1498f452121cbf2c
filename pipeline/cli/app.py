"""The `crestwatch` command line: run, scan, setup (and the commands later modules add)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.core.config import ConfigError, OrgConfig, load_config

if TYPE_CHECKING:
    from collections.abc import Callable

    from detectors.base import Detector
    from pipeline.run.runner import RunSummary

app = typer.Typer(
    help="Crestwatch: flags public posts that break the University's social-media guidance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Findings go to stdout (scan); everything for people goes to stderr.
err = Console(stderr=True, soft_wrap=True)  # long paths and errors stay on one line
log = logging.getLogger("crestwatch")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Organisation config (YAML).")
]
DetectorsOption = Annotated[
    str | None, typer.Option("--detectors", "-d", help="Comma-separated detector names.")
]


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Model loading must never reach a hub; the bundled weights are local.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _config(path: Path | None) -> OrgConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        err.print(f"[red]config error[/red]\n{exc}", highlight=False)
        raise typer.Exit(2) from None


def _names(detectors: str | None) -> list[str] | None:
    return [n.strip() for n in detectors.split(",") if n.strip()] if detectors else None


def _load_detectors(cfg: OrgConfig, detectors: str | None,
                    progress: Callable[[str], object] | None = None) -> list[Detector]:
    """Build and load the detectors up front, so a missing model is one clear error."""
    from detectors.registry import build_detectors

    try:
        dets = build_detectors(cfg, _names(detectors))
    except KeyError as exc:
        err.print(f"[red]{exc.args[0]}[/red]", highlight=False)
        raise typer.Exit(2) from None
    for det in dets:
        if progress:
            progress(det.name)
        try:
            det.ensure_loaded()
        except Exception as exc:  # noqa: BLE001 - any load failure ends the run, explained
            err.print(f"[red]detector {det.name} could not load: {type(exc).__name__}: {exc}"
                      "[/red]", highlight=False)
            raise typer.Exit(2) from None
    return dets


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    _setup_logging(verbose)


@app.command()
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
    from pipeline.enrich.base import build_enrichers
    from pipeline.policy.engine import Policy
    from pipeline.run.runner import run_pass
    from pipeline.sources import build_sources
    from pipeline.store import open_store

    cfg = _config(config)
    data = data_dir.resolve() if data_dir else cfg.data_path()
    # Detectors keep caches and evidence under the data directory too, not only the store.
    cfg.data_dir = data
    if demo:
        store, from_start = "sqlite", True
    sources = build_sources(cfg, demo=demo)
    if not sources:
        err.print("[yellow]no enabled sources in the config[/yellow]")
    with _progress() as progress:
        task = progress.add_task("loading detectors", total=None)
        dets = _load_detectors(cfg, detectors, progress=lambda name: progress.update(
            task, description=f"loading {name}"))
        progress.update(task, description="reading posts", total=None)
        target = open_store(cfg, backend=store, url=es_url, sqlite_path=data / "crestwatch.sqlite")
        with target:
            summary = run_pass(
                sources,
                store=target,
                detectors=dets,
                policy=Policy.for_store(cfg, target),
                enrichers=build_enrichers(cfg, offline=demo),
                from_start=from_start,
                on_page=lambda page: progress.update(task, advance=len(page.posts)),
            )
            total = target.count_hits()
    _print_summary(summary, total_hits=total)
    where = data / "crestwatch.sqlite" if (store or cfg.store.backend) == "sqlite" else es_url
    err.print(f"Hits are in [bold]{where}[/bold]. Review them with `crestwatch review list`.")
    if not summary.ok:
        raise typer.Exit(1)


@app.command()
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

    cfg = _config(config)
    dets = _load_detectors(cfg, detectors)
    policy = Policy(cfg)
    report = ReadReport()
    summary = RunSummary()
    batch: list[Post] = []

    def flush() -> None:
        found = run_detectors(batch, dets, summary)
        for finding in found if all_findings else policy.apply(found):
            sys.stdout.write(dumps(finding) + "\n")
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


@app.command()
def setup(
    config: ConfigOption = None,
    es_url: Annotated[str | None, typer.Option(help="Elasticsearch URL.")] = None,
    kibana_url: Annotated[
        str | None, typer.Option(help="Also install the Kibana data views, searches, "
                                 "dashboards, e-mail connector and alert rules.")
    ] = None,
    kibana_space: Annotated[str | None, typer.Option(help="Kibana space (default space if "
                                                      "not given).")] = None,
    skip_elasticsearch: Annotated[bool, typer.Option(help="Only the Kibana part.")] = False,
) -> None:
    """Create the Elasticsearch index templates and indices, and the Kibana objects
    (safe to run again: everything is created or updated in place)."""
    from pipeline.store import open_store

    cfg = _config(config)
    if not skip_elasticsearch:
        with open_store(cfg, backend="elasticsearch", url=es_url):
            pass
        err.print("Elasticsearch templates and indices are in place.")
    if kibana_url:
        from dashboards.kibana_api import KibanaError, install

        try:
            report = install(cfg, kibana_url, space=kibana_space)
        except KibanaError as exc:
            err.print(f"[red]Kibana: {exc}[/red]", highlight=False)
            raise typer.Exit(1) from None
        err.print(f"Kibana: {report.imported} saved objects imported; e-mail connector "
                  f"{report.connector}; rules: "
                  + (", ".join(f"{n} {o}" for n, o in report.rules.items()) or "none"))


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
    table = Table(title="Run summary", show_header=False)
    table.add_row("posts read", str(summary.posts_read))
    table.add_row("posts stored", str(summary.posts_stored))
    table.add_row("hits written this run", str(summary.hits_written))
    table.add_row("hits in store", str(total_hits))
    table.add_row("items skipped", str(len(summary.skipped)))
    table.add_row("errors", str(len(summary.errors)))
    err.print(table)
    if summary.findings:
        by = Table(title="Findings by category and severity")
        by.add_column("category")
        by.add_column("severity")
        by.add_column("count", justify="right")
        for (category, severity), n in sorted(summary.findings.items()):
            by.add_row(category, severity, str(n))
        err.print(by)
    for problem in summary.skipped[:20]:
        err.print(f"[yellow]skipped[/yellow] {problem}", highlight=False)
    if len(summary.skipped) > 20:
        err.print(f"... and {len(summary.skipped) - 20} more skipped items")
    for problem in summary.errors:
        err.print(f"[red]error[/red] {problem}", highlight=False)
    for note in summary.off:
        err.print(f"[yellow]{escape(note)}[/yellow]", highlight=False)
    for name, outcome in summary.sources.items():
        log.info("source %s: %s", name, outcome)


def _register_commands() -> None:
    """Commands live in pipeline/commands/<name>.py, each with `register(app)`."""
    import importlib
    import pkgutil

    import pipeline.cli.commands as commands

    for module in sorted(m.name for m in pkgutil.iter_modules(commands.__path__)):
        importlib.import_module(f"pipeline.cli.commands.{module}").register(app)


_register_commands()

if __name__ == "__main__":
    app()
