"""The benchmark generator and `crestwatch logo-bench` / `logo-eval` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from detectors.logo import bench as logo_bench
from pipeline.cli.app import app
from pipeline.core.config import OrgConfig
from pipeline.evaluation.labelled import read_labelled
from tests.factories import portable_config_data


def test_generator_writes_labelled_posts_with_relative_media(
    tmp_path: Path, drawn_logos: list[np.ndarray]
) -> None:
    target = logo_bench.generate(tmp_path / "bench", [("uni/crest", drawn_logos[0])],
                                 per_condition=1, seed=5)
    posts = read_labelled(target)
    conditions = [p.model_extra["condition"] for p in posts]
    assert set(conditions) == {*logo_bench.POSITIVE_CONDITIONS, *logo_bench.NEGATIVE_CONDITIONS}
    for post in posts:
        assert Path(post.media[0].path).is_file()  # resolved against the JSONL's folder
        if post.model_extra["condition"] in logo_bench.NEGATIVE_CONDITIONS:
            assert post.labels == []
        else:
            assert post.labels == ["logo_misuse", f"condition:{post.model_extra['condition']}"]
            assert len(post.model_extra["box"]) == 4
    line = json.loads(target.read_text(encoding="utf-8").splitlines()[0])
    assert not Path(line["media"][0]["path"]).is_absolute()
    # The same seed gives the same images.
    again = logo_bench.generate(tmp_path / "again", [("uni/crest", drawn_logos[0])],
                                per_condition=1, seed=5)
    first_image = sorted((tmp_path / "bench" / "images").iterdir())[0]
    assert (again.parent / "images" / first_image.name).read_bytes() == first_image.read_bytes()


def test_small_condition_is_a_40_to_70_px_logo_in_a_1080p_image(
    drawn_logos: list[np.ndarray]
) -> None:
    rng = np.random.default_rng(1)
    image, _, box = logo_bench.make_sample("small", logo_bench.photos()[0], drawn_logos[0], rng)
    assert image.shape[:2] == (1080, 1920)
    xs = [x for x, _ in box]
    assert 38 <= max(xs) - min(xs) <= 75


@pytest.mark.slow
def test_logo_bench_and_logo_eval_commands(config: OrgConfig, tmp_path: Path) -> None:
    # The bundled demo logos; the benchmark's other-logo negatives are drawn by the generator.
    logos = [logo.model_copy(update={"path": config.resolve(logo.path)}) for logo in config.logos]
    data = portable_config_data(config.model_copy(update={"logos": logos}))
    config_file = tmp_path / "org.yaml"
    config_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    runner = CliRunner()
    made = runner.invoke(app, ["logo-bench", str(tmp_path / "b"), "-c", str(config_file),
                               "--per-condition", "1"])
    assert made.exit_code == 0, made.output
    bench = Path(made.stdout.strip())
    assert bench.name == "bench.jsonl" and bench.is_file()

    result = runner.invoke(app, ["logo-eval", str(bench), "-c", str(config_file), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = {row["condition"]: row for row in report["conditions"]}
    assert set(rows) == {*logo_bench.POSITIVE_CONDITIONS, *logo_bench.NEGATIVE_CONDITIONS}
    assert rows["no_logo"]["positives"] == 0 and rows["clean"]["positives"] == 1
    assert report["fp"] == 0
    assert report["tp"] >= 6  # of 9 logos; bench/bench_logo.py measures the real rate
    assert report["tp"] + report["fn"] == len(logo_bench.POSITIVE_CONDITIONS)


def test_logo_bench_refuses_a_config_without_logos(config: OrgConfig, tmp_path: Path) -> None:
    data = portable_config_data(config.model_copy(update={"logos": []}))
    config_file = tmp_path / "org.yaml"
    config_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["logo-bench", str(tmp_path / "b"), "-c", str(config_file)])
    assert result.exit_code == 2
    assert "lists no logos" in result.output
