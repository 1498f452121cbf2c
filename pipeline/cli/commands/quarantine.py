"""`crestwatch quarantine list` and `crestwatch quarantine retry`: the items a pass held back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from pipeline.cli.common import (
    ConfigOption,
    DetectorsOption,
    config_or_exit,
    detector_names,
    err,
    fail,
)

DataDir = Annotated[
    Path | None, typer.Option(help="The data directory the pass used (default: from config).")
]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Only this source's items.")]

quarantine_app = typer.Typer(
    help="Items a pass could not read, score or store, held with where and why.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command(name="list")
def list_items(
    config: ConfigOption = None,
    data_dir: DataDir = None,
    source: SourceOpt = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many items.")] = 200,
) -> None:
    """What is held: source, line or id, stage, field and reason, oldest first."""
    from pipeline.review.display import safe
    from pipeline.run.quarantine import Quarantine

    cfg = config_or_exit(config)
    with Quarantine.in_data_dir(data_dir.resolve() if data_dir else cfg.data_path()) as held:
        items = held.items(source=source, limit=limit)
        total = held.count()
    if not items:
        err.print("The quarantine is empty.")
        return
    err.print(f"{total} quarantined items (id, source, line or id, stage, field: reason):")
    for item in items:
        # Held items are hostile input by definition: nothing in them reaches the terminal raw.
        tries = f", {item.attempts} tries" if item.attempts > 1 else ""
        err.print(escape(f"{item.id}  {safe(item.source)}  {safe(item.location)}  {item.stage}  "
                         f"{safe(item.field)}: {safe(item.reason)} (last seen {item.last_seen}"
                         f"{tries})"), highlight=False)
    if total > len(items):
        err.print(f"... and {total - len(items)} more (--limit)")


@quarantine_app.command(name="retry")
def retry(
    config: ConfigOption = None,
    data_dir: DataDir = None,
    source: SourceOpt = None,
    store: Annotated[
        str | None, typer.Option(help="sqlite or elasticsearch (default: from config).")
    ] = None,
    es_url: Annotated[str | None, typer.Option(help="Elasticsearch URL.")] = None,
    detectors: DetectorsOption = None,
) -> None:
    """Run every held item through the pass again; those that go through are let go."""
    from pipeline.policy.engine import Policy
    from pipeline.review.display import safe
    from pipeline.run.assemble import DetectorLoadError, build_pass
    from pipeline.run.quarantine import Quarantine, retry_held
    from pipeline.store import open_store
    from pipeline.store.base import StoreError

    cfg = config_or_exit(config)
    data = data_dir.resolve() if data_dir else cfg.data_path()
    cfg.data_dir = data
    try:
        work = build_pass(cfg, demo=False, detector_names=detector_names(detectors))
        work.load(lambda name: None)
    except (KeyError, ValueError, DetectorLoadError) as exc:
        raise fail(str(exc.args[0] if isinstance(exc, KeyError) else exc)) from None
    try:
        with (
            Quarantine.in_data_dir(data) as held,
            open_store(cfg, backend=store, url=es_url,
                       sqlite_path=data / "crestwatch.sqlite") as target,
        ):
            outcome = retry_held(held, store=target, detectors=work.detectors,
                                 policy=Policy.for_store(cfg, target), enrichers=work.enrichers,
                                 source=source)
            target.refresh()
    except StoreError as exc:
        raise fail(str(exc)) from None
    err.print(f"{len(outcome.released)} let go, {len(outcome.held)} still held, "
              f"{len(outcome.not_retryable)} with nothing kept to retry.")
    for item in outcome.held:
        err.print(f"[yellow]still held[/yellow] {safe(str(item))}", highlight=False)
    if outcome.held:
        raise typer.Exit(1)
