"""`crestwatch train harassment`: train the harassment classifier on labelled public text."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

# One recipe: the command's defaults are TrainSettings' (the bundled artefact's recipe).
from detectors.harassment.training.recipe import TrainSettings

train_app = typer.Typer(help="Train a detector's model on labelled data.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
    app.add_typer(export_app, name="export")


@train_app.command("harassment")
def harassment_command(
    data: Annotated[
        Path,
        typer.Option(help="Folder with olid_training_v1.0.tsv and/or davidson_labeled_data.csv."),
    ],
    out: Annotated[
        Path | None, typer.Option(help="Where the artefact goes (default: the bundled one).")
    ] = None,
    datasets: Annotated[
        str, typer.Option(help="Comma-separated: olid, davidson.")
    ] = ",".join(TrainSettings.datasets),
    epochs: Annotated[float, typer.Option(min=0.01)] = TrainSettings.epochs,
    trained_layers: Annotated[
        int, typer.Option(min=0, max=6, help="Top encoder layers tuned.")
    ] = TrainSettings.trained_layers,
    learning_rate: Annotated[float, typer.Option()] = TrainSettings.learning_rate,
    max_davidson: Annotated[
        int | None, typer.Option(help="Cap on Davidson training tweets.")
    ] = TrainSettings.max_davidson,
    seed: Annotated[int, typer.Option()] = TrainSettings.seed,
    threads: Annotated[int, typer.Option(min=1)] = TrainSettings.threads,
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline",
            help="Only measure the frozen-encoder + logistic regression reference, in and "
            "across data sets; writes no artefact.",
        ),
    ] = False,
    recalibrate: Annotated[
        bool,
        typer.Option(
            "--recalibrate",
            help="Do not train: choose the decision thresholds of the artefact in --out again "
            "(same split as its recipe) and measure it.",
        ),
    ] = False,
    heldout_dir: Annotated[
        Path | None,
        typer.Option(
            "--export-heldout",
            help="Also write the held-out tweets as labelled JSONL for `crestwatch eval`.",
        ),
    ] = None,
) -> None:
    """Fine-tune the bundled encoder's top layers and heads; print held-out figures as JSON."""
    from detectors.harassment.model import ARTEFACT_DIR
    from detectors.harassment.training.recipe import (
        export_heldout,
        measure,
        recipe_of,
        train_harassment,
        training_split,
    )

    err = Console(stderr=True)
    settings = TrainSettings(
        epochs=epochs,
        trained_layers=trained_layers,
        learning_rate=learning_rate,
        datasets=tuple(d.strip() for d in datasets.split(",") if d.strip()),
        max_davidson=max_davidson,
        seed=seed,
        threads=threads,
    )
    target = out or ARTEFACT_DIR

    def progress(step: int, total: int, loss: float) -> None:
        err.print(f"step {step}/{total} loss {loss:.4f}", highlight=False)

    if baseline:
        from detectors.harassment.training.baseline import frozen_baseline

        try:
            figures = frozen_baseline(data, settings)
        except (OSError, ValueError) as exc:
            err.print(f"[red]cannot measure:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        sys.stdout.write(json.dumps(figures, indent=2) + "\n")
        return
    try:
        if heldout_dir:
            for path in export_heldout(training_split(data, settings).heldout, heldout_dir):
                err.print(f"held-out set written to {path}")
        if recalibrate:
            metrics = measure(target, training_split(data, recipe_of(target)))
            sys.stdout.write(json.dumps(metrics, indent=2) + "\n")
            return
        result = train_harassment(data, target, settings, progress=progress)
    except (OSError, ValueError) as exc:
        err.print(f"[red]cannot train:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    for problem in result.skipped:
        err.print(f"[yellow]skipped[/yellow] {problem}", highlight=False, soft_wrap=True)
    err.print(
        f"trained on {result.train_examples} examples in {result.seconds:.0f} s; "
        f"artefact in {result.out_dir}"
    )
    sys.stdout.write(json.dumps(result.metrics, indent=2) + "\n")


export_app = typer.Typer(
    help="Export a detector's model to the file format it runs.", no_args_is_help=True
)


@export_app.command("harassment")
def export_harassment_command(
    model_dir: Annotated[
        Path,
        typer.Option(
            "--model-dir", help="A Hugging Face sequence-classification directory (local)."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Where the exported model directory goes.")],
    float32: Annotated[
        bool, typer.Option("--float32", help="Keep float32 weights instead of int8.")
    ] = False,
) -> None:
    """Write an ONNX model directory that `detectors.harassment.options.model_dir` can name."""
    err = Console(stderr=True)
    try:
        from detectors.harassment.training.torch_model import export_model_dir

        export_model_dir(model_dir, out, int8=not float32)
    except (OSError, ValueError, RuntimeError) as exc:
        err.print(f"[red]cannot export:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    err.print(f"exported {model_dir} to {out}", highlight=False)
