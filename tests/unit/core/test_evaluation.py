import json
from pathlib import Path

from typer.testing import CliRunner

from detectors.registry import build_detectors
from pipeline.cli.app import app
from pipeline.core.models import Category, Finding
from pipeline.evaluation.labelled import LabelledPost, evaluate, label_scores
from tests.factories import make_post

CASES = [
    # (text, expected labels): markers the confidential detector knows, and benign lookalikes
    ("STRICTLY CONFIDENTIAL: the Senate paper on restructuring", ["confidential"]),
    ("Internal only - draft budget for 2027, not for circulation", ["confidential"]),
    ("Embargoed until 09:00 Thursday: the league table results", ["confidential"]),
    ("Library opening hours change next week", []),
    ("Graduation photos are up on the website", []),
    ("Our confidential counselling service is open all week", []),
]


def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(
        LabelledPost.model_validate({**make_post(n, text=t).model_dump(), "labels": labels})
        .model_dump_json() + "\n" for n, (t, labels) in enumerate(CASES, 1)))
    return path


def test_metrics_against_hand_counted_cases(config, tmp_path):
    posts = [LabelledPost.model_validate({**make_post(n, text=t).model_dump(), "labels": lab})
             for n, (t, lab) in enumerate(CASES, 1)]
    (detector,) = build_detectors(config, ["confidential"])
    report = evaluate(detector, posts, target_precision=0.9)
    metrics = {m.label: m for m in report.labels}
    confidential = metrics["confidential"]
    # Three markers found, the counselling service left alone.
    assert confidential.confusion == [[3, 0], [0, 3]]
    assert (confidential.precision, confidential.recall, confidential.roc_auc) == (1.0, 1.0, 1.0)
    assert confidential.threshold_at_target is not None
    # Sub-labels nobody labelled are listed with support 0 and left out of macro-F1.
    assert metrics["embargo"].support == 0 and metrics["embargo"].fp == 1
    assert report.macro_f1 == 1.0


def test_label_scores_take_evidence_labels_as_list_or_scores():
    findings = [
        Finding(post_id="x:1", detector="d", category=Category.harassment,
                score=0.7, explanation="e",
                evidence={"labels": ["threat"], "label_scores": {"threat": 0.9, "offensive": 0.4}}),
        Finding(post_id="x:1", detector="d", category=Category.harassment,
                score=0.8, explanation="e",
                evidence={"labels": ["offensive"]}),
    ]
    assert label_scores(findings)["x:1"] == {"harassment": 0.8, "threat": 0.9, "offensive": 0.8}


def test_eval_command_prints_json_and_reports_bad_lines(tmp_path):
    path = labelled(tmp_path)
    with path.open("a") as handle:
        handle.write("{not json\n")
    result = CliRunner().invoke(app, ["eval", "-d", "confidential", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["posts"] == 6 and report["detector"] == "confidential"
    assert {m["label"] for m in report["labels"]} >= {"confidential"}
    assert f"{path}:7: (line): not valid JSON" in result.stderr
    missing = CliRunner().invoke(app, ["eval", "-d", "confidential", str(tmp_path / "no.jsonl")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    unknown = CliRunner().invoke(app, ["eval", "-d", "telepathy", str(path)])
    assert unknown.exit_code == 2 and "unknown detector 'telepathy'" in unknown.stderr
