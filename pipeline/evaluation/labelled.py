"""Precision, recall and calibration of one detector on labelled posts.

Labelled JSONL is one Post per line plus `labels`: the labels a reviewer expects (empty: benign).
A finding scores its category (e.g. "harassment") with the finding's score, and each label in
`evidence["labels"]` (a list, scored like the finding, or a dict label -> score). A post with no
finding for a label scores 0 for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from detectors.base import Detector

if TYPE_CHECKING:
    from pipeline.run.runner import RunSummary
from pipeline.core.jsonl import ReadReport, read_models
from pipeline.core.models import Finding, Post
from pipeline.core.paths import SAMPLES_DIR


class LabelledPost(Post):
    labels: list[str] = Field(default_factory=list)


@dataclass
class LabelMetrics:
    label: str
    support: int
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float
    roc_auc: float | None
    # The lowest threshold whose precision reaches the target, and the recall it keeps.
    threshold_at_target: float | None
    recall_at_target: float | None

    @property
    def confusion(self) -> list[list[int]]:
        """[[tn, fp], [fn, tp]]: rows are the truth, columns the prediction."""
        return [[self.tn, self.fp], [self.fn, self.tp]]


@dataclass
class EvalReport:
    detector: str
    posts: int
    threshold: float
    target_precision: float
    labels: list[LabelMetrics] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        scored = [m.f1 for m in self.labels if m.support > 0]
        return sum(scored) / len(scored) if scored else 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["macro_f1"] = self.macro_f1
        for metrics, entry in zip(self.labels, data["labels"], strict=True):
            entry["confusion"] = metrics.confusion
        return data


def read_labelled(path: Path | str, report: ReadReport | None = None) -> list[LabelledPost]:
    # Labelled sets are built on the bundled sample images, wherever the set itself lies.
    return list(read_models(path, LabelledPost, report, media_roots=(SAMPLES_DIR,)))


def label_scores(findings: Iterable[Finding]) -> dict[str, dict[str, float]]:
    """post_id -> label -> the highest score any finding gave that label."""
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    for finding in findings:
        per_post = scores[finding.post_id]
        found: dict[str, float] = {finding.category.value: finding.score}
        found.update({str(k): finding.score for k in finding.evidence.get("labels") or []})
        scores_by_label = finding.evidence.get("label_scores") or {}
        found.update({str(k): float(v) for k, v in scores_by_label.items()})
        for label, score in found.items():
            per_post[label] = max(score, per_post.get(label, 0.0))
    return scores


def screened_findings(
    detector: Detector, posts: Sequence[Post], summary: RunSummary, *, batch_size: int
) -> list[Finding]:
    """The detector's findings that the policy does not suppress for a reason other than the
    threshold (an allow-list, say): what a run would alert on at some threshold, so the
    precision/recall curves measure what reviewers would see."""
    from pipeline.policy.engine import BELOW_THRESHOLD, Policy
    from pipeline.run.runner import run_detectors

    policy = Policy(detector.config)
    by_id = {p.doc_id: p for p in posts}
    kept: list[Finding] = []
    for start in range(0, len(posts), batch_size):
        found = run_detectors(posts[start : start + batch_size], [detector], summary)
        for finding in found:
            decision = policy.decide(finding, by_id.get(finding.post_id))
            if decision.suppressed_by in (None, BELOW_THRESHOLD):
                kept.append(finding)
    return kept


def _metrics(
    label: str, truth: Sequence[bool], scores: Sequence[float], threshold: float, target: float
) -> LabelMetrics:
    from sklearn.metrics import precision_recall_curve, roc_auc_score

    predicted = [s >= threshold for s in scores]
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    tn = len(truth) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auc = at_target = recall_at = None
    if 0 < sum(truth) < len(truth):
        auc = float(roc_auc_score(truth, scores))
        p_curve, r_curve, thresholds = precision_recall_curve(truth, scores)
        # Thresholds ascend; the first one reaching the target keeps the most recall.
        for p, r, t in zip(p_curve[:-1], r_curve[:-1], thresholds, strict=True):
            if p >= target and t > 0:
                at_target, recall_at = float(t), float(r)
                break
    return LabelMetrics(
        label, sum(truth), tp, fp, fn, tn, precision, recall, f1, auc, at_target, recall_at
    )


def evaluate(
    detector: Detector,
    posts: Sequence[LabelledPost],
    *,
    threshold: float | None = None,
    target_precision: float = 0.95,
    batch_size: int = 64,
    labels: Sequence[str] | None = None,
) -> EvalReport:
    """Run `detector` over `posts` through the policy and score every label that the truth or
    the detector uses."""
    from pipeline.run.runner import RunSummary

    threshold = detector.settings.threshold if threshold is None else threshold
    summary = RunSummary()
    findings = screened_findings(detector, posts, summary, batch_size=batch_size)
    scores = label_scores(findings)
    names = list(labels) if labels else sorted(
        {label for p in posts for label in p.labels}
        | {label for per_post in scores.values() for label in per_post}
    )
    report = EvalReport(detector.name, len(posts), threshold, target_precision)
    report.skipped = summary.skipped
    for label in names:
        truth = [label in p.labels for p in posts]
        predicted = [scores.get(p.doc_id, {}).get(label, 0.0) for p in posts]
        report.labels.append(_metrics(label, truth, predicted, threshold, target_precision))
    return report
