"""Every command's --help reads right: a flag shows no value to type, and no line overflows.

Pins behaviour of typer and click, which render the help: typer 0.29 printed ``<bool>`` beside
every flag (and ``--help``), as if it took a value, widening the column until help sentences
broke mid-line.
"""

from __future__ import annotations

import re

import click
import pytest
import typer
from typer.testing import CliRunner

from pipeline.cli.app import app

FLAG_PLACEHOLDER = re.compile(r"<bool>|BOOLEAN")


def _commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    found: list[list[str]] = [[]]

    def walk(group: click.Command, prefix: list[str]) -> None:
        for name, command in getattr(group, "commands", {}).items():
            found.append([*prefix, name])
            walk(command, [*prefix, name])

    walk(root, [])
    return found


@pytest.mark.parametrize("words", _commands(), ids=lambda w: " ".join(w) or "crestwatch")
def test_flags_show_no_value_placeholder(words: list[str]) -> None:
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert not FLAG_PLACEHOLDER.search(result.output), result.output
    assert all(len(line) <= 100 for line in result.output.splitlines())
