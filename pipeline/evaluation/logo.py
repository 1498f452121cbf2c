"""Recall per condition (scale, rotation, blur, ...) and precision of the logo detector.

The generic `crestwatch eval` scores labels; a benchmark condition is not something the detector
predicts, so its "condition:*" labels would show there as never found. This reads the `condition`
field of each labelled post instead and reports, per condition, how many were flagged: recall for
conditions with a logo, the false-positive rate for those without.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.base import Detector
from pipeline.evaluation.labelled import LabelledPost, label_scores

LABEL = "logo_misuse"


@dataclass
class ConditionResult:
    condition: str
    posts: int
    positives: int
    flagged: int

    @property
    def rate(self) -> float:
        """Recall when the condition has logos, the false-positive rate when it has none."""
        return self.flagged / self.posts if self.posts else 0.0


@dataclass
class LogoEvalReport:
    threshold: float
    posts: int
    tp: int
    fp: int
    fn: int
    seconds: float
    cpu_seconds: float
    conditions: list[ConditionResult] = field(default_factory=list)
    threshold_at_target: float | None = None
    recall_at_target: float | None = None
    target_precision: float = 0.98

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold, "posts": self.posts, "precision": self.precision,
            "recall": self.recall, "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "seconds": round(self.seconds, 2), "cpu_seconds": round(self.cpu_seconds, 2),
            "target_precision": self.target_precision,
            "threshold_at_target": self.threshold_at_target,
            "recall_at_target": self.recall_at_target,
            "conditions": [
                {"condition": c.condition, "posts": c.posts, "positives": c.positives,
                 "flagged": c.flagged, "rate": round(c.rate, 4)}
                for c in self.conditions
            ],
        }


def _at_target(
    truth: list[bool], scores: list[float], target: float
) -> tuple[float | None, float | None]:
    """The lowest threshold whose precision reaches `target`, and the recall it keeps."""
    positives = sum(truth)
    if not positives:
        return None, None
    for threshold in sorted({s for s in scores if s > 0}):
        flagged = [t for t, s in zip(truth, scores, strict=True) if s >= threshold]
        tp = sum(flagged)
        if flagged and tp / len(flagged) >= target:
            return threshold, tp / positives
    return None, None


def evaluate_logo(
    detector: Detector,
    posts: Sequence[LabelledPost],
    *,
    threshold: float | None = None,
    target_precision: float = 0.98,
    batch_size: int = 32,
) -> LogoEvalReport:
    from pipeline.run.runner import RunSummary, run_detectors

    threshold = detector.settings.threshold if threshold is None else threshold
    detector.ensure_loaded()
    started, cpu = time.perf_counter(), time.process_time()
    findings = []
    summary = RunSummary()
    for start in range(0, len(posts), batch_size):
        findings.extend(run_detectors(posts[start : start + batch_size], [detector], summary))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    scores = label_scores(findings)
    truth = [LABEL in p.labels for p in posts]
    predicted = [scores.get(p.doc_id, {}).get(LABEL, 0.0) for p in posts]
    flagged = [s >= threshold for s in predicted]
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for post, is_logo, hit in zip(posts, truth, flagged, strict=True):
        extra = post.model_extra or {}
        condition = str(extra.get("condition") or ("logo" if is_logo else "none"))
        entry = per[condition]
        entry[0] += 1
        entry[1] += int(is_logo)
        entry[2] += int(hit)
    tp = sum(t and f for t, f in zip(truth, flagged, strict=True))
    fp = sum(f and not t for t, f in zip(truth, flagged, strict=True))
    fn = sum(t and not f for t, f in zip(truth, flagged, strict=True))
    report = LogoEvalReport(threshold, len(posts), tp, fp, fn, seconds, cpu_seconds,
                            target_precision=target_precision)
    report.conditions = [ConditionResult(c, *v) for c, v in per.items()]
    report.threshold_at_target, report.recall_at_target = _at_target(
        truth, predicted, target_precision
    )
    return report
