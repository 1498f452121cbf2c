"""`crestwatch logo-bench` (make the labelled logo benchmark) and `crestwatch logo-eval`
(recall per condition and precision of the logo detector on it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

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
    seed: Annotated[int | None, typer.Option(
        help="Random seed: the same seed, the same images (default 7; 15 with --public).")
    ] = None,
    public: Annotated[bool, typer.Option(
        "--public", help="Build the public benchmark instead: other organisations' logos from "
        "npm icon packages in Debian's wallpapers, split into dev and held-back parts.")] = False,
    marks: Annotated[Path | None, typer.Option(
        help="With --public: folder holding the npm tarballs "
        "(scripts/fetch-logo-marks.sh; default ~/.cache/crestwatch/marks).")] = None,
    parts: Annotated[str, typer.Option(
        help="With --public: which parts to write, comma-separated (dev, held).")] = "dev,held",
) -> None:
    """Composite the config's logos into photographs under scale, rotation, perspective, blur,
    JPEG, colour and occlusion, plus images without logos and with other logos; or, with
    --public, build the benchmark of other organisations' public logos."""
    from detectors.logo.bench import configured_references, generate
    from pipeline.cli.common import config_or_exit

    if public:
        from detectors.logo import public_bench

        chosen = tuple(p.strip() for p in parts.split(",") if p.strip())
        if not chosen or set(chosen) - {"dev", "held"}:
            Console(stderr=True).print(f"[red]--parts: use dev, held or both, not {parts!r}[/red]")
            raise typer.Exit(2)
        try:
            written = public_bench.build(
                out_dir, marks_dir=marks or public_bench.DEFAULT_MARKS_DIR,
                seed=15 if seed is None else seed, parts=chosen)
        except public_bench.BenchSourceError as exc:
            Console(stderr=True).print(f"[red]{exc}[/red]", highlight=False)
            raise typer.Exit(2) from None
        for target in written.values():
            typer.echo(str(target))
        return
    seed = 7 if seed is None else seed
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
    references: Annotated[Path | None, typer.Option(
        help="JSON list of {brand, variant, path} to search for instead of the config's logos; "
        "default: <bench>.references.json beside the file when there is one.")] = None,
) -> None:
    """Recall per benchmark condition, precision and recall overall, and images per second."""
    from pipeline.cli.commands.eval import read_labelled_or_exit
    from pipeline.cli.common import config_or_exit, load_detectors_or_exit
    from pipeline.evaluation.logo import evaluate_logo

    console = Console(stderr=not as_json, width=120)
    cfg = config_or_exit(config)
    beside = file.with_suffix(".references.json")
    references = references or (beside if beside.is_file() else None)
    if references is not None:
        cfg = _with_references(cfg, references)
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
    if report.facets:
        facets = Table(title="recall per facet (images with a logo)")
        for column in ("facet", "value", "with logo", "found", "recall"):
            facets.add_column(column, justify="left" if column in ("facet", "value") else "right")
        for f in report.facets:
            facets.add_row(f.facet, f.value, str(f.positives), str(f.found), f"{f.recall:.3f}")
        console.print(facets)
    if report.wrong_brand:
        console.print(f"{report.wrong_brand} logos flagged as another brand's (counted as misses"
                      " and false positives)")
    console.print(
        f"precision {report.precision:.3f}  recall {report.recall:.3f}  "
        f"(tp {report.tp}, fp {report.fp}, fn {report.fn})"
    )
    if report.threshold_at_target is not None:
        console.print(f"lowest threshold reaching precision {report.target_precision}: "
                      f"{report.threshold_at_target:.3f}, recall {report.recall_at_target:.3f}")
    console.print(f"{report.posts / max(report.seconds, 1e-9):.1f} images/s wall, "
                  f"{1000 * report.cpu_seconds / max(report.posts, 1):.0f} ms CPU per image")


def _with_references(cfg: Any, path: Path) -> Any:
    """The config with its logos replaced by those listed in `path` (relative paths resolved
    against its folder)."""
    from pipeline.core.config import ReferenceLogo

    try:
        listed = json.loads(path.read_text(encoding="utf-8"))
        logos = [ReferenceLogo.model_validate(
            {**item, "path": str((path.parent / item["path"]).resolve())}) for item in listed]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        Console(stderr=True).print(f"[red]{path}: not a list of reference logos: {exc}[/red]",
                                   highlight=False)
        raise typer.Exit(2) from None
    return cfg.model_copy(update={"logos": logos})
