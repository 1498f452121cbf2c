"""`crestwatch eval`: precision/recall of a detector on a labelled JSONL file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    app.command(name="eval")(eval_command)


def eval_command(
    file: Annotated[Path, typer.Argument(help="Labelled JSONL: a Post per line plus `labels`.")],
    detector: Annotated[str, typer.Option("--detector", "-d", help="Detector name.")],
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Decision threshold (default: the config's).")
    ] = None,
    target_precision: Annotated[float, typer.Option(help="Precision to calibrate for.")] = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Precision, recall, F1, ROC-AUC and confusion matrix per label, and macro-F1."""
    from detectors.base import build_detectors
    from pipeline.cli import _config
    from pipeline.evaluation import evaluate, read_labelled
    from pipeline.jsonl import ReadReport

    # Wide enough for the table when output goes to a file or a pipe.
    console = Console(stderr=not as_json, width=140)
    cfg = _config(config)
    read = ReadReport()
    try:
        posts = read_labelled(file, read)
    except OSError as exc:
        console.print(f"[red]cannot read {file}: {exc.strerror}[/red]")
        raise typer.Exit(2) from None
    for problem in read.errors:
        Console(stderr=True).print(f"[yellow]skipped[/yellow] {problem}", highlight=False)
    (det,) = build_detectors(cfg, [detector])
    report = evaluate(det, posts, threshold=threshold, target_precision=target_precision)
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
        return
    table = Table(title=f"{report.detector} on {report.posts} posts (threshold {report.threshold})")
    for column in ("label", "support", "precision", "recall", "F1", "ROC-AUC",
                   "tn/fp/fn/tp", f"thr@P>={target_precision}",
                   "recall@thr"):
        table.add_column(column, justify="left" if column == "label" else "right")

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    for m in report.labels:
        table.add_row(
            m.label, str(m.support), fmt(m.precision), fmt(m.recall), fmt(m.f1), fmt(m.roc_auc),
            f"{m.tn}/{m.fp}/{m.fn}/{m.tp}", fmt(m.threshold_at_target), fmt(m.recall_at_target),
        )
    console.print(table)
    console.print(f"macro-F1: {report.macro_f1:.3f}")
