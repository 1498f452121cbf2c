"""An operator's own Hugging Face classifier, exported with `crestwatch export harassment` and
configured with options.model_dir and label_map.

A tiny randomly initialised BERT, built here and saved to tmp_path, stands in for a downloaded
toxicity model: the point is the plumbing (export, loading, label mapping, activation, windows),
so the detector's scores must equal the model's own outputs on the same normalised text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from detectors.harassment.detector import HarassmentDetector
from detectors.harassment.model import TextScorer, normalise
from detectors.harassment.training.torch_model import base_tokenizer
from pipeline.core.config import ConfigError, OrgConfig
from tests.factories import make_post

TEXTS = ["you absolute idiot", "a calm post about the library", "", "x" * 3000]


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = base_tokenizer()
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        num_labels=3,
        id2label={0: "toxic", 1: "insult", 2: "neutral"},
        label2id={"toxic": 0, "insult": 1, "neutral": 2},
    )
    model = BertForSequenceClassification(config).eval()
    path = tmp_path_factory.mktemp("tiny-toxicity")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _export(model_dir: Path, out: Path, *flags: str) -> Path:
    from pipeline.cli.app import app

    result = CliRunner().invoke(
        app, ["export", "harassment", "--model-dir", str(model_dir), "--out", str(out), *flags]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def exported(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """float32, so scores can be compared with the torch model's to 1e-5."""
    return _export(tiny_model_dir, tmp_path_factory.mktemp("exported"), "--float32")


def _direct(model_dir: Path, text: str) -> torch.Tensor:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    with torch.no_grad():
        batch = tokenizer(normalise(text), return_tensors="pt", truncation=True, max_length=128)
        return model(**batch).logits[0]


def _configured(config: OrgConfig, **options: object) -> OrgConfig:
    copy = config.model_copy(deep=True)
    copy.detectors["harassment"].options.update(options)
    return copy


def test_configured_model_scores_match_the_model_itself(
    config: OrgConfig, tiny_model_dir: Path, exported: Path
) -> None:
    cfg = _configured(
        config, model_dir=str(exported), label_map={"toxic": "offensive", "insult": "threat"}
    )
    detector = HarassmentDetector(cfg)
    detector.ensure_loaded()
    assert detector._scorer is not None
    assert detector._scorer.labels == ["offensive", "threat"]
    assert detector._scorer.activation == "softmax"  # single-label model: softmax over labels
    scores = detector._scorer.score(TEXTS[:2])
    for text, got in zip(TEXTS[:2], scores, strict=True):
        probs = torch.softmax(_direct(tiny_model_dir, text), dim=-1)
        assert got["offensive"] == pytest.approx(float(probs[0]), abs=1e-5)
        assert got["threat"] == pytest.approx(float(probs[1]), abs=1e-5)
    assert detector._scorer.score([""]) == [{"offensive": 0.0, "threat": 0.0}]
    findings = detector.detect([make_post(i, text=t) for i, t in enumerate(TEXTS)])
    assert all(set(f.evidence["label_scores"]) >= {"offensive", "threat"} for f in findings)
    assert all(f.evidence["model"] == exported.name for f in findings)


def test_int8_export_stays_close_to_the_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    scorer = TextScorer.from_dir(_export(tiny_model_dir, tmp_path / "int8"))
    (score,) = scorer.score([TEXTS[0]])
    probs = torch.softmax(_direct(tiny_model_dir, TEXTS[0]), dim=-1)
    assert score["toxic"] == pytest.approx(float(probs[0]), abs=0.05)


def test_activation_override_and_windows(tiny_model_dir: Path, exported: Path) -> None:
    scorer = TextScorer.from_dir(
        exported, label_map={"toxic": "offensive"}, activation="sigmoid", max_windows=3
    )
    (score,) = scorer.score([TEXTS[0]])
    assert score["offensive"] == pytest.approx(
        float(torch.sigmoid(_direct(tiny_model_dir, TEXTS[0])[0])), abs=1e-5
    )
    # A long text is read in several windows (capped), and scores at least its first window.
    windows, owners = scorer._windows([" ".join(["word"] * 1000)])
    assert len(windows) == 3 and owners == [0, 0, 0]


def test_bad_label_map_names_what_is_wrong(config: OrgConfig, exported: Path) -> None:
    with pytest.raises(ValueError, match="does not have.*'rude'"):
        TextScorer.from_dir(exported, label_map={"rude": "offensive"})
    with pytest.raises(ConfigError, match="options.label_map.toxic: Input should be 'offensive'"):
        HarassmentDetector(
            _configured(config, model_dir=str(exported), label_map={"toxic": "nasty"})
        )


def test_missing_model_dir_is_a_clear_error(config: OrgConfig, tmp_path: Path) -> None:
    detector = HarassmentDetector(_configured(config, model_dir=str(tmp_path / "nowhere")))
    with pytest.raises(FileNotFoundError, match="not a harassment model directory"):
        detector.ensure_loaded()


def test_an_unexported_model_dir_says_how_to_export_it(
    config: OrgConfig, tiny_model_dir: Path
) -> None:
    detector = HarassmentDetector(_configured(config, model_dir=str(tiny_model_dir)))
    with pytest.raises(FileNotFoundError, match="crestwatch export harassment --model-dir"):
        detector.ensure_loaded()


def test_export_of_a_folder_that_is_not_a_model_is_one_line(tmp_path: Path) -> None:
    from pipeline.cli.app import app

    result = CliRunner().invoke(
        app, ["export", "harassment", "--model-dir", str(tmp_path), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "not a Hugging Face model directory" in result.stderr
