"""`crestwatch notify`: queue critical-hit alerts (and the daily digest) and deliver the outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    app.command(name="notify")(notify_command)


def notify_command(
    since_hours: Annotated[int, typer.Option(help="Alert on critical hits seen this recently.")
                           ] = 24,
    digest: Annotated[str | None, typer.Option(
        help="Also queue the daily digest for this day (YYYY-MM-DD, or 'yesterday').")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
    store: Annotated[str | None, typer.Option("--store")] = None,
    es_url: Annotated[str | None, typer.Option("--es-url")] = None,
) -> None:
    """E-mail each new critical hit once; messages that fail stay queued for the next run."""
    from pipeline.cli.common import config_or_exit, open_store_or_exit
    from pipeline.review.notify import (
        deliver,
        outbox_for,
        queue_critical_alerts,
        queue_daily_digest,
    )

    err = Console(stderr=True, soft_wrap=True)
    cfg = config_or_exit(config)
    settings = cfg.notifications
    outbox = outbox_for(cfg)
    try:
        with open_store_or_exit(cfg, backend=store, url=es_url) as target:
            since = datetime.now(UTC) - timedelta(hours=since_hours)
            queued = queue_critical_alerts(target, outbox, settings, since=since)
            if digest:
                day = (date.today() - timedelta(days=1) if digest == "yesterday"
                       else date.fromisoformat(digest))
                queued += queue_daily_digest(target, outbox, settings, day)
        report = deliver(outbox, settings)
    finally:
        outbox.close()
    err.print(f"queued {queued}, sent {len(report.sent)}, failed {len(report.failed)}, "
              f"deferred by the hourly limit {len(report.deferred)}")
    for key, reason in report.failed.items():
        err.print(f"[yellow]not sent[/yellow] {key}: {reason} (kept for the next run)")
    if report.failed:
        raise typer.Exit(1)
