"""What every `crestwatch` command shares: the console, common options, loading the config
and the detectors with one clear line on failure (exit 2) instead of a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from pipeline.core.config import ConfigError, OrgConfig, load_config

if TYPE_CHECKING:
    from detectors.base import Detector
    from pipeline.store.base import Store

# Findings go to stdout (scan); everything for people goes to stderr.
err = Console(stderr=True, soft_wrap=True)  # long paths and errors stay on one line
log = logging.getLogger("crestwatch")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Organisation config (YAML).")
]
DetectorsOption = Annotated[
    str | None, typer.Option("--detectors", "-d", help="Comma-separated detector names.")
]


def config_or_exit(path: Path | None) -> OrgConfig:
    """The validated config, or the problems (file, key, what) and exit 2."""
    try:
        return load_config(path)
    except ConfigError as exc:
        err.print(f"[red]config error[/red]\n{exc}", highlight=False)
        raise typer.Exit(2) from None


def open_store_or_exit(cfg: OrgConfig, **options: object) -> Store:
    """The store (`open_store`'s options), or the one line saying why it cannot be opened (a
    cluster down, a URL it cannot use) and exit 2, never a traceback that quotes the URL."""
    from pipeline.store import open_store
    from pipeline.store.base import StoreError

    try:
        return open_store(cfg, **options)  # type: ignore[arg-type]
    except StoreError as exc:
        raise fail(str(exc)) from None


def detector_names(detectors: str | None) -> list[str] | None:
    return [n.strip() for n in detectors.split(",") if n.strip()] if detectors else None


def fail(message: str) -> typer.Exit:
    """Print `message` as the one line a failed command leaves, and the exit to raise."""
    err.print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(2)


def load_detectors_or_exit(
    cfg: OrgConfig, detectors: str | None, progress: Callable[[str], object] | None = None
) -> list[Detector]:
    """Build and load the detectors up front, so a missing model is one clear error."""
    from detectors.registry import build_detectors
    from pipeline.core.config import ConfigError
    from pipeline.run.assemble import DetectorLoadError, Pass

    try:
        dets = build_detectors(cfg, detector_names(detectors))
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None
    except ConfigError as exc:
        raise fail(str(exc)) from None
    try:
        Pass(cfg, [], dets).load(progress)
    except DetectorLoadError as exc:
        raise fail(str(exc)) from None
    return dets
