"""`crestwatch report --week 2026-W47`: the weekly trend report as HTML, PDF and CSVs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape


def register(app: typer.Typer) -> None:
    app.command(name="report")(report_command)


def report_command(
    week: Annotated[str | None, typer.Option(
        help="ISO week, e.g. 2026-W47 (default: the last complete week).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the files.")] = Path(
        "reports"),
    pdf: Annotated[bool, typer.Option(
        help="Also print a PDF (needs Chromium; skipped, and said so, without it).")] = True,
    email: Annotated[bool, typer.Option(help="E-mail it to notifications.digest_recipients "
                                        "through the outbox.")] = False,
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
    store: Annotated[str | None, typer.Option("--store")] = None,
    es_url: Annotated[str | None, typer.Option("--es-url")] = None,
) -> None:
    """Counted by when the posts were made: posts read and hits per platform and day, hits per
    1,000 posts, an eight-week trend, categories, platforms and risk with week-over-week change,
    reach and engagement, notable posts, impersonating accounts, logo misuse by account, top
    accounts, terms and hashtags, review turnaround, false-positive rates, account hygiene, and
    a short written summary."""
    from pipeline.cli.common import config_or_exit, open_store_or_exit
    from pipeline.reporting.render import ReportError, write_report
    from pipeline.reporting.report import build_weekly_report, week_label

    err = Console(stderr=True, soft_wrap=True)
    cfg = config_or_exit(config)
    label = week or week_label((datetime.now(UTC) - timedelta(days=7)).date())
    try:
        with open_store_or_exit(cfg, backend=store, url=es_url) as target:
            report = build_weekly_report(target, cfg, label)
        files = write_report(report, out, pdf=pdf)
    except (ValueError, ReportError) as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    err.print(f"{report.total.this_week} hits on posts made in {label} "
              f"({report.posts.this_week} posts read); report written to {files['html']}"
              + (f" and {files['pdf']}" if "pdf" in files else ""))
    if files.pdf_skipped:
        err.print(f"[yellow]{escape(files.pdf_skipped)}[/yellow]", highlight=False)
    if email:
        from pipeline.review.notify import send_weekly_report

        result = send_weekly_report(cfg, report, files)
        if result.failed:
            err.print(f"[yellow]e-mail not sent yet (kept for the next run): "
                      f"{'; '.join(result.failed.values())}[/yellow]")
            raise typer.Exit(1)
        err.print("report e-mailed")
