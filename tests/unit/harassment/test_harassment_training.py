"""Training the harassment classifier on a tiny synthetic OLID/Davidson pair built here."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detectors.harassment.model import ONNX_FILE, TextScorer
from detectors.harassment.training.labelled_text import read_davidson, read_olid, split
from detectors.harassment.training.torch_model import WEIGHTS_FILE
from pipeline.core.jsonl import ReadReport
from pipeline.evaluation.labelled import read_labelled

RUDE = ["you are a stupid idiot", "shut up you moron", "what a pathetic loser you are"]
KIND = ["lovely day at the library", "great lecture this morning", "see you at the seminar"]
HATE = ["those people are vermin and should leave"]


def _write_data(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "olid_training_v1.0.tsv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["id", "tweet", "subtask_a", "subtask_b", "subtask_c"])
        for i in range(10):
            writer.writerow([f"r{i}", f"@USER {RUDE[i % 3]} {i}", "OFF", "TIN", "IND"])
            writer.writerow([f"k{i}", f"@USER {KIND[i % 3]} {i}", "NOT", "NULL", "NULL"])
            writer.writerow([f"g{i}", f"{HATE[0]} {i}", "OFF", "TIN", "GRP"])
        writer.writerow(["bad1", "only four fields", "OFF", "TIN"])  # a broken row
        writer.writerow(["bad2", "unknown label", "MAYBE", "NULL", "NULL"])
    with open(folder / "davidson_labeled_data.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"]
        )
        for i in range(10):
            writer.writerow([i, 3, 0, 3, 0, 1, f"RT @someone: {RUDE[i % 3]} &amp; {i}"])
            writer.writerow([100 + i, 3, 0, 0, 3, 2, f"{KIND[i % 3]} {i}"])
            writer.writerow([200 + i, 3, 3, 0, 0, 0, f"{HATE[0]} {i}"])
        writer.writerow([999, 3, 0, 0, 3, "x", "no class"])
    return folder


def test_readers_report_bad_rows_with_file_and_line(tmp_path: Path) -> None:
    data = _write_data(tmp_path / "data")
    report = ReadReport()
    olid = read_olid(data / "olid_training_v1.0.tsv", report)
    davidson = read_davidson(data / "davidson_labeled_data.csv", report)
    assert len(olid) == 30 and len(davidson) == 30
    problems = [str(e) for e in report.errors]
    assert problems == [
        f"{data / 'olid_training_v1.0.tsv'}:32: (row): 4 fields, not 5",
        f"{data / 'olid_training_v1.0.tsv'}:33: subtask_a: unknown 'MAYBE'",
        f"{data / 'davidson_labeled_data.csv'}:32: class: unknown 'x'",
    ]
    group = next(e for e in olid if e.id == "g0")
    assert (group.offensive, group.targeted, group.identity_attack) == (True, True, True)
    hate = next(e for e in davidson if e.id == "200")
    assert (hate.offensive, hate.targeted, hate.identity_attack) == (True, None, True)


def test_split_is_seeded_stratified_and_disjoint(tmp_path: Path) -> None:
    data = _write_data(tmp_path / "data")
    examples = read_olid(data / "olid_training_v1.0.tsv")
    train, held = split(examples, heldout=0.2, seed=13)
    again_train, again_held = split(list(reversed(examples)), heldout=0.2, seed=13)
    assert [e.id for e in held] == [e.id for e in again_held]  # input order does not matter
    assert {e.id for e in train}.isdisjoint({e.id for e in held})
    assert len(train) + len(held) == len(examples)
    # Each label combination keeps its share (10 each; 20% held out = 2 each).
    assert sorted(e.id[0] for e in held) == ["g", "g", "k", "k", "r", "r"]
    other = split(examples, heldout=0.2, seed=14)[1]
    assert [e.id for e in other] != [e.id for e in held]


def test_fine_tuning_changes_only_the_trained_layers(tmp_path: Path) -> None:
    """Frozen layers keep the shipped weights; the trained ones and the heads move."""
    import torch

    from detectors.harassment.training.recipe import TrainSettings, fine_tune, training_split
    from detectors.harassment.training.torch_model import new_classifier

    settings = TrainSettings(epochs=1, trained_layers=1, threads=1, heldout=0.2)
    shipped = dict(new_classifier().named_parameters())
    tuned = dict(fine_tune(training_split(_write_data(tmp_path), settings).train, settings)
                 .named_parameters())
    assert torch.equal(tuned["bert.encoder.layer.0.output.dense.weight"],
                       shipped["bert.encoder.layer.0.output.dense.weight"])
    assert torch.equal(tuned["bert.embeddings.word_embeddings.weight"],
                       shipped["bert.embeddings.word_embeddings.weight"])
    assert not torch.equal(tuned["bert.encoder.layer.5.output.dense.weight"],
                           shipped["bert.encoder.layer.5.output.dense.weight"])
    assert not torch.equal(tuned["classifier.weight"], shipped["classifier.weight"])


@pytest.mark.slow
def test_train_command_writes_a_small_loadable_artefact(tmp_path: Path) -> None:
    from pipeline.cli.app import app

    data = _write_data(tmp_path / "data")
    out = tmp_path / "artefact"
    heldout = tmp_path / "heldout"
    result = CliRunner().invoke(
        app,
        [
            "train",
            "harassment",
            "--data",
            str(data),
            "--out",
            str(out),
            "--epochs",
            "3",
            "--trained-layers",
            "1",
            "--threads",
            "1",
            "--export-heldout",
            str(heldout),
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert {"int8", "float32"} == set(metrics)
    assert "olid/offensive" in metrics["float32"] and "davidson/offensive" in metrics["float32"]
    assert "unknown 'MAYBE'" in result.stderr
    meta = json.loads((out / "model.json").read_text())
    assert meta["labels"] == ["offensive", "targeted", "identity_attack"]
    assert meta["trained_layers"] == 1 and meta["recipe"]["seed"] == 13
    # One layer, pooler and heads in float16: about 3.6 MB; the word embeddings are not copied.
    assert (out / WEIGHTS_FILE).stat().st_size < 5_000_000
    assert set(meta["thresholds"]) == {"int8", "float32"}
    assert meta["calibration_examples"] > 0
    # The exported int8 model the detector runs: the whole classifier, embeddings included.
    assert meta["quantisation"] == "int8"
    assert 15_000_000 < (out / ONNX_FILE).stat().st_size < 25_000_000
    scorer = TextScorer.from_dir(out)
    assert scorer.thresholds == meta["thresholds"]["int8"]
    (scores,) = scorer.score(["you are a stupid idiot"])
    assert set(scores) == {"offensive", "targeted", "identity_attack"}
    posts = read_labelled(heldout / "olid_heldout.jsonl")
    assert len(posts) == 3 and any("offensive" in p.labels for p in posts)

    # --recalibrate chooses the thresholds again from the artefact's own recipe, no training.
    weights = (out / WEIGHTS_FILE).read_bytes()
    again = CliRunner().invoke(
        app, ["train", "harassment", "--data", str(data), "--out", str(out), "--recalibrate"]
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == metrics
    assert (out / WEIGHTS_FILE).read_bytes() == weights
    assert json.loads((out / "model.json").read_text())["thresholds"] == meta["thresholds"]


def test_cli_reports_missing_data_clearly(tmp_path: Path) -> None:
    from pipeline.cli.app import app

    result = CliRunner().invoke(
        app, ["train", "harassment", "--data", str(tmp_path), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "olid_training_v1.0.tsv: missing" in result.stderr


def test_frozen_baseline_reports_in_and_cross_data_set_figures(tmp_path: Path) -> None:
    from detectors.harassment.training.baseline import frozen_baseline
    from detectors.harassment.training.recipe import TrainSettings

    figures = frozen_baseline(_write_data(tmp_path / "data"), TrainSettings(heldout=0.2))
    assert set(figures) == {"olid->olid", "olid->davidson", "davidson->olid", "davidson->davidson"}
    for entry in figures.values():
        assert entry["heldout_examples"] == 6
        assert 0.0 <= entry["macro_f1"] <= 1.0 and 0.0 <= entry["roc_auc"] <= 1.0
    # Rude and kind templates are far apart even for a frozen encoder.
    assert figures["olid->olid"]["roc_auc"] >= 0.9
