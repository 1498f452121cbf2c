"""`crestwatch dashboards export`: the Kibana objects as files, for review or manual import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

dashboards_app = typer.Typer(help="Kibana saved objects and alert rules.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(dashboards_app, name="dashboards")


@dashboards_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write to.")] = Path(
        "dashboards/export"),
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
) -> None:
    """Write saved_objects.ndjson (Stack Management > Saved objects > Import), rules.json and
    connector.json (bodies for the alerting and connectors APIs)."""
    from dashboards.crestwatch import alert_rules, email_connector, saved_objects
    from dashboards.saved_objects import to_ndjson
    from pipeline.cli.common import config_or_exit

    cfg = config_or_exit(config)
    prefix = cfg.store.index_prefix
    out.mkdir(parents=True, exist_ok=True)
    (out / "saved_objects.ndjson").write_text(to_ndjson(saved_objects(prefix)))
    (out / "rules.json").write_text(json.dumps(alert_rules(cfg, prefix), indent=2) + "\n")
    (out / "connector.json").write_text(
        json.dumps(email_connector(cfg, prefix), indent=2) + "\n")
    Console(stderr=True).print(f"Kibana objects written to {out}/")
