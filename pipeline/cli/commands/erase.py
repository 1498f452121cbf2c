"""`crestwatch erase --author PLATFORM:HANDLE_OR_ID`: a data-subject erasure, everywhere."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    app.command(name="erase")(erase_command)


def erase_command(
    author: Annotated[str, typer.Option("--author", help="PLATFORM:HANDLE_OR_ID, e.g. x:someone.")],
    folder: Annotated[
        list[Path] | None,
        typer.Option("--folder", help="Also where reports and evidence packs were written "
                     "(repeatable; the data directory and ./reports are always searched)."),
    ] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Who asked (audit).")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c")] = None,
    store: Annotated[str | None, typer.Option("--store")] = None,
    es_url: Annotated[str | None, typer.Option("--es-url")] = None,
) -> None:
    """Remove one person's posts, hits, queued alerts, media, evidence images and packs, account
    history, quarantined items, cached works and report files; record the erasure (without
    the erased data) in the data directory's audit file."""
    from pipeline.cli.common import config_or_exit, fail, open_store_or_exit
    from pipeline.review.erasure import (
        ErasureRefused,
        check_store_matches,
        erase_person,
        parse_author,
    )

    out = Console(soft_wrap=True)
    org = config_or_exit(config)
    try:
        platform, who = parse_author(author)
        check_store_matches(org, backend=store, url=es_url)
    except ErasureRefused as exc:
        raise fail(str(exc)) from None
    folders = [Path("reports"), *(folder or [])]
    with open_store_or_exit(org, backend=store, url=es_url) as target:
        report = erase_person(org, target, platform, who, actor=actor or getpass.getuser(),
                              folders=folders)
    out.print(f"erased one {platform} author:")
    for line in report.lines():
        out.print(f"  {line}", highlight=False)
