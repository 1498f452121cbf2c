"""The targeted signal: its inputs, its threshold shift, and the bundled fit's own verdict."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from detectors.harassment.model import ARTEFACT_DIR
from detectors.harassment.targeted import (
    FEATURES,
    RELIABLE_AUC,
    TARGETED_FILE,
    TargetedSignal,
    features,
)


@pytest.mark.parametrize(
    ("text", "mentions", "reply", "second", "third"),
    [
        ("@someone you are a clown", 1.0, 1.0, 1.0, 0.0),
        ("@a @b @c this is shit", 1.0, 1.0, 0.0, 0.0),  # a run of handles is one @USER
        ("they are all liars, every one of them", 0.0, 0.0, 0.0, 1.0),
        ("what a fucking day", 0.0, 0.0, 0.0, 0.0),
        ("lol @x said u were late", 1.0, 0.0, 1.0, 0.0),
    ],
)
def test_features_read_address(
    text: str, mentions: float, reply: float, second: float, third: float
) -> None:
    row = dict(zip(FEATURES, features(text, 0.5), strict=True))
    assert row["head_logit"] == pytest.approx(0.0)
    assert (row["mentions"], row["reply"], row["second_person"], row["third_person"]) == (
        mentions, reply, second, third)


def test_score_reads_one_half_at_the_threshold() -> None:
    threshold = 0.3
    signal = TargetedSignal([0.0] * len(FEATURES), math.log(threshold / (1 - threshold)),
                            threshold)
    assert signal.score("anything", 0.9) == pytest.approx(0.5)
    leaning = TargetedSignal([1.0] + [0.0] * (len(FEATURES) - 1), 0.0, 0.5)
    assert leaning.score("x", 0.8) > 0.5 > leaning.score("x", 0.2)


def test_the_bundled_fit_says_whether_it_beats_chance() -> None:
    signal = TargetedSignal.load(ARTEFACT_DIR)
    assert signal is not None
    held = signal.measured["heldout"]
    low, high = held["combined"]["roc_auc_95"]
    assert low <= held["combined"]["roc_auc"] <= high
    # `reliable` follows the rule fixed before measuring, nothing else.
    assert signal.reliable is (low >= RELIABLE_AUC)


def test_a_file_with_other_features_is_refused(tmp_path: Path) -> None:
    data = json.loads((ARTEFACT_DIR / TARGETED_FILE).read_text())
    data["features"] = ["head_logit"]
    (tmp_path / TARGETED_FILE).write_text(json.dumps(data))
    with pytest.raises(ValueError, match="features"):
        TargetedSignal.load(tmp_path)
    assert TargetedSignal.load(tmp_path / "missing") is None
