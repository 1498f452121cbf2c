"""Decision thresholds: a calibration part set aside from training, a threshold per label and
scoring mode chosen on it, and scores shifted so that threshold reads as 0.5."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from detectors.harassment.model import TextScorer
from detectors.harassment.training.labelled_text import Example
from detectors.harassment.training.recipe import TrainSettings, fit_thresholds, training_split
from detectors.harassment.training.torch_model import TorchSession, base_tokenizer

from .test_harassment_training import _write_data


def test_calibration_part_is_disjoint_from_training_and_heldout(tmp_path: Path) -> None:
    data = _write_data(tmp_path / "data")
    splits = training_split(data, TrainSettings(heldout=0.2, calibration=0.25))
    again = training_split(data, TrainSettings(heldout=0.2, calibration=0.25))

    def ids(examples: list[Example]) -> set[tuple[str, str]]:
        return {(e.source, e.id) for e in examples}

    held = ids([e for part in splits.heldout.values() for e in part])
    assert splits.calibration and held
    assert ids(splits.calibration).isdisjoint(ids(splits.train))
    assert ids(splits.calibration).isdisjoint(held)
    assert ids(splits.train).isdisjoint(held)
    assert ids(splits.calibration) == ids(again.calibration)  # reproducible
    # Both data sets and both classes are represented in the calibration part.
    assert {e.source for e in splits.calibration} == {"olid", "davidson"}
    assert {e.offensive for e in splits.calibration} == {True, False}


class _FixedScorer:
    """Stands in for a TextScorer: known raw scores per text."""

    thresholds: dict[str, float] = {}

    def __init__(self, scores: dict[str, float]) -> None:
        self._scores = scores

    def score(self, texts: list[str]) -> list[dict[str, float]]:
        return [{"offensive": self._scores[t]} for t in texts]


def _example(text: str, offensive: bool) -> Example:
    return Example("olid", text, text, offensive, None, None)


def test_fit_thresholds_chooses_the_best_macro_f1_cut() -> None:
    # A model that scores everything low (as a quantised one can): the offensive texts sit at
    # 0.30-0.38 and the rest at 0.10-0.22, so 0.5 would call nothing offensive.
    positives = {f"p{i}": 0.30 + i / 100 for i in range(9)}
    negatives = {f"n{i}": 0.10 + i / 100 for i in range(13)}
    scorer = _FixedScorer({**positives, **negatives})
    examples = [_example(t, True) for t in positives] + [_example(t, False) for t in negatives]
    chosen = fit_thresholds(scorer, examples, labels=("offensive",))  # type: ignore[arg-type]
    assert 0.22 < chosen["offensive"] <= 0.30


def test_fit_thresholds_refuses_an_already_calibrated_scorer() -> None:
    scorer = SimpleNamespace(thresholds={"offensive": 0.3})
    with pytest.raises(ValueError, match="raw scores"):
        fit_thresholds(scorer, [_example("a", True)])  # type: ignore[arg-type]


LABELS = ("offensive", "targeted")


@pytest.fixture(scope="module")
def tiny_classifier() -> tuple[object, object]:
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(1)
    tokenizer = base_tokenizer()
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=64, num_labels=2,
        id2label={0: "offensive", 1: "targeted"}, label2id={"offensive": 0, "targeted": 1},
        problem_type="multi_label_classification",
    )
    return TorchSession(BertForSequenceClassification(config).eval()), tokenizer.backend_tokenizer


def test_threshold_shift_makes_the_threshold_read_as_one_half(
    tiny_classifier: tuple[object, object],
) -> None:
    model, tokenizer = tiny_classifier
    texts = ["you idiot", "a calm post about the library", "see you at the seminar"]
    raw = TextScorer(model, tokenizer, model_labels=LABELS).score(texts)
    for t in (0.2, 0.35, 0.7):
        shifted = TextScorer(
            model, tokenizer, model_labels=LABELS, thresholds={"offensive": t}
        ).score(texts)
        for before, after in zip(raw, shifted, strict=True):
            expected = 1 / (1 + math.exp(-(math.log(before["offensive"] / (1 - before["offensive"]))
                                           - math.log(t / (1 - t)))))
            assert after["offensive"] == pytest.approx(expected, abs=1e-5)
            # Above the threshold before means above 0.5 after, and the reverse.
            assert (before["offensive"] >= t) == (after["offensive"] >= 0.5)
            assert after["targeted"] == pytest.approx(before["targeted"])  # no threshold given


@pytest.mark.parametrize("bad", [0.0, 1.0, 1.5])
def test_thresholds_outside_zero_one_are_refused(
    tiny_classifier: tuple[object, object], bad: float
) -> None:
    model, tokenizer = tiny_classifier
    with pytest.raises(ValueError, match="between 0 and 1"):
        TextScorer(model, tokenizer, model_labels=LABELS, thresholds={"offensive": bad})


def test_the_bundled_artefact_carries_thresholds_for_both_modes() -> None:
    import json

    from detectors.harassment.model import ARTEFACT_DIR

    meta = json.loads((ARTEFACT_DIR / "model.json").read_text())
    assert set(meta["thresholds"]) == {"int8", "float32"}
    for mode in ("int8", "float32"):
        assert set(meta["thresholds"][mode]) == {"offensive", "targeted", "identity_attack"}
        assert all(0.0 < t < 1.0 for t in meta["thresholds"][mode].values())
    assert meta["calibration_examples"] > 1000
    assert meta["recipe"]["calibration"] > 0
