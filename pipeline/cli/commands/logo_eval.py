"""`crestwatch logo-bench` (make the labelled logo benchmark) and `crestwatch logo-eval`
(recall per condition and precision of the logo detector on it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    app.command(name="logo-bench")(logo_bench_command)
    app.command(name="logo-eval")(logo_eval_command)


def logo_bench_command(
    out_dir: Annotated[Path, typer.Argument(help="Folder for bench.jsonl and its images.")],
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
    per_condition: Annotated[int, typer.Option(min=1, help="Images per condition.")] = 20,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same images.")] = 7,
) -> None:
    """Composite the config's logos into photographs under scale, rotation, perspective, blur,
    JPEG, colour and occlusion, plus images without logos and with other logos."""
    from detectors.logo.bench import configured_references, generate
    from pipeline.cli.common import config_or_exit

    cfg = config_or_exit(config)
    try:
        references = configured_references(cfg)
    except ValueError as exc:
        Console(stderr=True).print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    target = generate(out_dir, references, per_condition=per_condition, seed=seed)
    typer.echo(str(target))


def logo_eval_command(
    file: Annotated[Path, typer.Argument(help="Labelled JSONL from `crestwatch logo-bench`.")],
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
    threshold: Annotated[float | None, typer.Option(help="Default: the config's.")] = None,
    target_precision: Annotated[float, typer.Option(help="Precision to calibrate for.")] = 0.98,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recall per benchmark condition, precision and recall overall, and images per second."""
    from pipeline.cli.commands.eval import read_labelled_or_exit
    from pipeline.cli.common import config_or_exit, load_detectors_or_exit
    from pipeline.evaluation.logo import evaluate_logo

    console = Console(stderr=not as_json, width=120)
    cfg = config_or_exit(config)
    posts = read_labelled_or_exit(file)
    (detector,) = load_detectors_or_exit(cfg, "logo")
    report = evaluate_logo(detector, posts, threshold=threshold,
                           target_precision=target_precision)
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
        return
    table = Table(title=f"logo on {report.posts} images (threshold {report.threshold})")
    for column in ("condition", "images", "with logo", "flagged", "recall / FP rate"):
        table.add_column(column, justify="left" if column == "condition" else "right")
    for c in report.conditions:
        kind = "recall" if c.positives else "FP rate"
        table.add_row(c.condition, str(c.posts), str(c.positives), str(c.flagged),
                      f"{c.rate:.3f} ({kind})")
    console.print(table)
    console.print(
        f"precision {report.precision:.3f}  recall {report.recall:.3f}  "
        f"(tp {report.tp}, fp {report.fp}, fn {report.fn})"
    )
    if report.threshold_at_target is not None:
        console.print(f"lowest threshold reaching precision {report.target_precision}: "
                      f"{report.threshold_at_target:.3f}, recall {report.recall_at_target:.3f}")
    console.print(f"{report.posts / max(report.seconds, 1e-9):.1f} images/s wall, "
                  f"{1000 * report.cpu_seconds / max(report.posts, 1):.0f} ms CPU per image")
