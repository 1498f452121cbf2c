"""`crestwatch evidence HIT_ID`: a zip for a takedown request; `crestwatch evidence-server`:
the evidence images over HTTP, for Kibana's links."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    app.command(name="evidence")(evidence_command)
    app.command(name="evidence-server")(evidence_server_command)


def evidence_command(
    hit_id: str,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the zip.")] = Path("."),
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
    store: Annotated[str | None, typer.Option("--store")] = None,
    es_url: Annotated[str | None, typer.Option("--es-url")] = None,
) -> None:
    """Post, author profile, images, annotated evidence, timestamps, SHA-256 manifest and the
    platform's reporting link, in one zip."""
    from pipeline.cli.common import config_or_exit, open_store_or_exit
    from pipeline.review.evidence_pack import build_evidence_pack
    from pipeline.store.base import UnknownHit

    err = Console(stderr=True, soft_wrap=True)
    with open_store_or_exit(config_or_exit(config), backend=store, url=es_url) as target:
        try:
            path = build_evidence_pack(target, hit_id, out)
        except UnknownHit as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    err.print(f"evidence pack written to {path}")


def evidence_server_command(
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8090,
    bind: Annotated[str, typer.Option("--bind", help="Address to listen on.")] = "127.0.0.1",
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
) -> None:
    """Serve <data>/evidence (images only, no listings) for the logo detector's
    `evidence_base_url`, so the brand team's browser opens the images Kibana links to."""
    from pipeline.cli.common import config_or_exit
    from pipeline.review.evidence_server import make_server

    # Not created here: the server may see the data volume read-only, before the first hit.
    root = config_or_exit(config).data_path() / "evidence"
    err = Console(stderr=True, soft_wrap=True)
    with make_server(root, bind, port) as server:
        err.print(f"serving {root} on http://{bind}:{server.server_address[1]}/ (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
