"""Every labelled case through its detector, and the targets on the whole labelled set."""

from __future__ import annotations

import pytest

from pipeline.evaluation.labelled import LabelledPost, evaluate, read_labelled
from pipeline.policy.engine import Policy
from tests.unit.leaks.conftest import LEAK_DATA
from tests.unit.leaks.leak_cases import ALL_CASES, TABLES, Case, as_post, labelled_lines

DETECTORS = list(TABLES)


def _post(case: Case, detector: str) -> LabelledPost:
    return LabelledPost.model_validate(as_post(case, ALL_CASES.index(case), detector))


@pytest.mark.parametrize("detector", DETECTORS)
@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_case(case: Case, detector: str, leak_detectors: dict[str, object]) -> None:
    """A case is alerted on by a detector exactly when the table gives it that detector's
    labels, and then with every expected sub-label above the threshold."""
    det = leak_detectors[detector]
    post = _post(case, detector)
    findings = det.detect([post])  # type: ignore[attr-defined]
    # Admitted as the run admits them: threshold, then the policy's allow-list.
    policy = Policy(det.config)  # type: ignore[attr-defined]
    admitted = [f for f in findings if policy.decide(f, post).admitted]
    expected = case.labels.get(detector, [])
    assert bool(admitted) == bool(expected), (case.source, [f.explanation for f in findings])
    for f in findings:
        # Elasticsearch maps evidence.labels as a keyword list.
        assert all(isinstance(label, str) for label in f.evidence["labels"])
    if expected:
        found = {f.category.value for f in admitted}
        for f in admitted:
            found |= set(f.evidence["labels"])
        assert found == set(expected), (case.source, found)
        assert all(f.explanation.endswith(".") and f.evidence.get("spans") for f in admitted)


def test_labelled_files_match_the_tables() -> None:
    """tests/data/leaks/*.jsonl are generated from the tables; regenerate after editing them."""
    for detector in DETECTORS:
        committed = (LEAK_DATA / f"{detector}.jsonl").read_text(encoding="utf-8").splitlines()
        assert committed == labelled_lines(detector), f"regenerate {detector}.jsonl"


def test_labelled_set_size_and_balance() -> None:
    assert len(ALL_CASES) >= 150
    assert len({c.id for c in ALL_CASES}) == len(ALL_CASES)
    for detector, table in TABLES.items():
        positives = [c for c in table if c.labels.get(detector)]
        negatives = [c for c in table if not c.labels.get(detector)]
        assert len(positives) >= 10 and len(negatives) >= 8, detector


@pytest.mark.parametrize(
    ("detector", "category"),
    [
        ("confidential", "confidential"),
        ("secrets", "secret"),
        ("personal_data", "personal_data"),
        ("complaints", "complaints_legal"),
        ("documents", "document_match"),
    ],
)
def test_targets_on_the_labelled_set(
    detector: str, category: str, leak_detectors: dict[str, object]
) -> None:
    """Precision >= 0.95 and recall >= 0.9 per detector, through the evaluation the CLI uses."""
    posts = read_labelled(LEAK_DATA / f"{detector}.jsonl")
    report = evaluate(leak_detectors[detector], posts)  # type: ignore[arg-type]
    metrics = {m.label: m for m in report.labels}[category]
    assert metrics.support >= 10
    assert metrics.precision >= 0.95, metrics
    assert metrics.recall >= 0.9, metrics
    assert report.skipped == []
