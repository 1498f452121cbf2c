"""`crestwatch eval`: precision/recall of a detector on a labelled JSONL file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from pipeline.evaluation.labelled import LabelledPost


def register(app: typer.Typer) -> None:
    app.command(name="eval")(eval_command)


def read_labelled_or_exit(file: Path) -> list[LabelledPost]:
    """The labelled posts of `file`; bad lines reported and skipped, an unreadable file exit 2."""
    from pipeline.core.jsonl import ReadReport
    from pipeline.evaluation.labelled import read_labelled

    err = Console(stderr=True, soft_wrap=True)
    read = ReadReport()
    try:
        posts = read_labelled(file, read)
    except OSError as exc:
        err.print(f"[red]cannot read {file}: {exc.strerror}[/red]", highlight=False)
        raise typer.Exit(2) from None
    for problem in read.errors:
        err.print(f"[yellow]skipped[/yellow] {problem}", highlight=False)
    return posts


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
    from pipeline.cli.common import config_or_exit, load_detectors_or_exit
    from pipeline.evaluation.labelled import evaluate

    # Wide enough for the table when output goes to a file or a pipe.
    console = Console(stderr=not as_json, width=140)
    cfg = config_or_exit(config)
    posts = read_labelled_or_exit(file)
    (det,) = load_detectors_or_exit(cfg, detector)
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
