"""Recall per condition (scale, rotation, blur, ...) and precision of the logo detector.

The generic `crestwatch eval` scores labels; a benchmark condition is not something the detector
predicts, so its "condition:*" labels would show there as never found. This reads the `condition`
field of each labelled post instead and reports, per condition, how many were flagged: recall for
conditions with a logo, the false-positive rate for those without.

A line may also name the `brand` whose logo it shows (the public benchmark does): a hit then
counts only when it names that brand, and a hit naming another brand is a false positive as
well as a miss. `facets` (a mapping such as {"version": "symbol", "colour": "black"}) give
recall per value of each facet.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.base import Detector
from pipeline.core.models import Finding
from pipeline.evaluation.labelled import LabelledPost

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
class FacetResult:
    facet: str
    value: str
    positives: int
    found: int

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 0.0


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
    facets: list[FacetResult] = field(default_factory=list)
    wrong_brand: int = 0  # positives flagged with another brand's logo
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
            "wrong_brand": self.wrong_brand,
            "facets": [
                {"facet": f.facet, "value": f.value, "positives": f.positives, "found": f.found,
                 "recall": round(f.recall, 4)}
                for f in self.facets
            ],
        }


def _at_target(
    truth: list[bool], scores: list[float], target: float,
    right: list[bool] | None = None,
) -> tuple[float | None, float | None]:
    """The lowest threshold whose precision reaches `target`, and the recall it keeps.
    `right` says whether each post's best hit names the right brand (default: all do)."""
    positives = sum(truth)
    if not positives:
        return None, None
    right = right or [True] * len(truth)
    for threshold in sorted({s for s in scores if s > 0}):
        flagged = [t and r for t, r, s in zip(truth, right, scores, strict=True)
                   if s >= threshold]
        tp = sum(flagged)
        if flagged and tp / len(flagged) >= target:
            return threshold, tp / positives
    return None, None


def _labels(finding: Finding) -> set[str]:
    labels = (finding.evidence or {}).get("labels") or []
    return {str(finding.category), *labels} if isinstance(labels, list) else {
        str(finding.category), *labels.keys()}


def evaluate_logo(
    detector: Detector,
    posts: Sequence[LabelledPost],
    *,
    threshold: float | None = None,
    target_precision: float = 0.98,
    batch_size: int = 32,
) -> LogoEvalReport:
    from pipeline.evaluation.labelled import screened_findings
    from pipeline.run.runner import RunSummary

    threshold = detector.settings.threshold if threshold is None else threshold
    detector.ensure_loaded()
    started, cpu = time.perf_counter(), time.process_time()
    summary = RunSummary()
    findings = screened_findings(detector, posts, summary, batch_size=batch_size)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    best: dict[str, tuple[float, str | None]] = {}
    for finding in findings:
        if LABEL not in _labels(finding) or finding.post_id is None:
            continue
        brand = (finding.evidence or {}).get("brand")
        if finding.score > best.get(finding.post_id, (-1.0, None))[0]:
            best[finding.post_id] = (finding.score, brand)
    truth = [LABEL in p.labels for p in posts]
    predicted = [best.get(p.doc_id, (0.0, None))[0] for p in posts]
    # A post that names its brand is found only by a hit naming that brand.
    right = [
        (p.model_extra or {}).get("brand") in (None, best.get(p.doc_id, (0.0, None))[1])
        for p in posts
    ]
    flagged = [s >= threshold for s in predicted]
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    facets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for post, is_logo, hit, ok in zip(posts, truth, flagged, right, strict=True):
        extra = post.model_extra or {}
        condition = str(extra.get("condition") or ("logo" if is_logo else "none"))
        entry = per[condition]
        entry[0] += 1
        entry[1] += int(is_logo)
        entry[2] += int(hit and (ok or not is_logo))
        if is_logo:
            for facet, value in (extra.get("facets") or {}).items():
                facets[(str(facet), str(value))][0] += 1
                facets[(str(facet), str(value))][1] += int(hit and ok)
    tp = sum(t and f and r for t, f, r in zip(truth, flagged, right, strict=True))
    fp = sum(f and not (t and r) for t, f, r in zip(truth, flagged, right, strict=True))
    fn = sum(t and not (f and r) for t, f, r in zip(truth, flagged, right, strict=True))
    report = LogoEvalReport(threshold, len(posts), tp, fp, fn, seconds, cpu_seconds,
                            target_precision=target_precision)
    report.conditions = [ConditionResult(c, *v) for c, v in per.items()]
    report.facets = [FacetResult(f, v, *counts) for (f, v), counts in sorted(facets.items())]
    report.wrong_brand = sum(t and f and not r for t, f, r in zip(truth, flagged, right,
                                                                  strict=True))
    report.threshold_at_target, report.recall_at_target = _at_target(
        truth, predicted, target_precision, right
    )
    return report
