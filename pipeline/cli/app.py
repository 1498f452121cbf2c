"""The `crestwatch` command line: the app, its global options, and the list of its commands.

Each module in `pipeline.cli.commands` defines `register(app)`; `COMMANDS` below is the list,
so what the CLI offers is written in one place.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated

import typer

from pipeline.cli.commands import (
    dashboards,
    erase,
    eval,
    evidence,
    logo_eval,
    notify,
    quarantine,
    report,
    review,
    run,
    setup,
    train,
)

app = typer.Typer(
    help="Crestwatch: flags public posts that break the University's social-media guidance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

COMMANDS = (
    run, setup, review, quarantine, report, notify, evidence, erase, eval, logo_eval, dashboards,
    train,
)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # The Elasticsearch transport logs each retried connection with its traceback; the store
    # turns a cluster that stays away into one line, so those are for --verbose only.
    if not verbose:
        logging.getLogger("elastic_transport").setLevel(logging.ERROR)
    # Model loading must never reach a hub; the bundled weights are local.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    _setup_logging(verbose)


for command in COMMANDS:
    command.register(app)

if __name__ == "__main__":
    app()
