"""The config loader and the detector registry refuse what would otherwise pass silently:
duplicate keys, alias bombs, missing files, unknown detectors, unknown or mistyped options."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.registry import build_detectors
from pipeline.core.config import ConfigError, load_config

MINIMAL = "organisation: {name: Queen Mary University of London, short_name: QMUL}\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(MINIMAL + text, encoding="utf-8")
    return path


def test_a_key_given_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "retention_days: 30\nretention_days: 400\n")
    with pytest.raises(ConfigError, match=r"org.yaml: line 3, .*duplicate key 'retention_days'"):
        load_config(path)


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    path = write(tmp_path, "detectors:\n  logo:\n    options:\n      bomb:\n"
                 + "".join(f"        {line}\n" for line in levels))
    with pytest.raises(ConfigError, match="org.yaml: too many YAML aliases"):
        load_config(path)


def test_missing_files_are_named_by_key(tmp_path: Path) -> None:
    path = write(tmp_path, "protected_documents: no-such-folder\n"
                           "logos: [{brand: qmul, path: logos/missing.png}]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "org.yaml: protected_documents: folder not found" in message
    assert "org.yaml: logos.0.path: file not found" in message


def test_a_jsonl_source_needs_a_path(tmp_path: Path) -> None:
    path = write(tmp_path, "sources: [{name: replay, platform: jsonl}]\n")
    with pytest.raises(ConfigError, match=r"sources\.0: .*jsonl source needs `path`"):
        load_config(path)


def test_an_unknown_detector_name_is_refused(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "detectors: {harrasment: {threshold: 0.7}}\n"))
    with pytest.raises(ConfigError, match=r"org.yaml: detectors.harrasment: unknown detector "
                                          r"\(known: .*harassment"):
        build_detectors(config)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ("{tile_side: big}", r"detectors.logo.options.tile_side: Input should be a valid integer"),
        ("{tile_sides: 100}", r"detectors.logo.options.tile_sides: unknown option"),
        ("{features: surf}", r"detectors.logo.options.features: Input should be 'sift' or 'orb'"),
    ],
)
def test_options_are_checked_against_the_detectors_model(
    tmp_path: Path, options: str, problem: str
) -> None:
    config = load_config(write(tmp_path, f"detectors: {{logo: {{options: {options}}}}}\n"))
    with pytest.raises(ConfigError, match=r"org.yaml: " + problem):
        build_detectors(config, ["logo"])


def test_the_cli_prints_one_line_for_a_bad_option(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli.app import app

    path = write(tmp_path, "detectors: {harassment: {options: {min_scor: 0.2}}}\n")
    result = CliRunner().invoke(app, ["scan", "-", "--config", str(path)], input="")
    assert result.exit_code == 2
    assert "detectors.harassment.options.min_scor: unknown option" in result.output
    assert "Traceback" not in result.output
