"""The bundled demo: the leak detectors flag no post the demo labels benign (or labels with
other categories), and find most of the leaks it labels, text read from its images included."""

from __future__ import annotations

import json

import pytest

from detectors.registry import build_detectors
from pipeline.core.config import OrgConfig
from pipeline.core.jsonl import read_models
from pipeline.core.models import Post
from pipeline.core.paths import SAMPLES_DIR
from pipeline.enrich.ocr import OcrEnricher
from pipeline.policy.engine import Policy

LEAK_CATEGORIES = {"confidential", "copyright", "personal_data", "complaints_legal"}
LEAK_DETECTORS = ["confidential", "secrets", "documents", "personal_data", "complaints"]


@pytest.mark.slow
def test_demo_posts(config: OrgConfig) -> None:
    expected: dict[str, list[str]] = json.loads(
        (SAMPLES_DIR / "expected_labels.json").read_text(encoding="utf-8")
    )
    posts = list(read_models(SAMPLES_DIR / "posts.jsonl", Post))
    assert len(posts) >= 100
    OcrEnricher()(posts)
    policy = Policy(config)
    found: dict[str, set[str]] = {}
    for detector in build_detectors(config, LEAK_DETECTORS):
        detector.ensure_loaded()
        for finding in policy.apply(detector.detect(posts)):
            found.setdefault(finding.post_id, set()).add(finding.category.value)
    unexpected = {
        post_id: categories - set(expected.get(post_id, []))
        for post_id, categories in found.items()
        if categories - set(expected.get(post_id, []))
    }
    assert unexpected == {}
    wanted = [(pid, c) for pid, labels in expected.items() for c in set(labels) & LEAK_CATEGORIES]
    hit = [(pid, c) for pid, c in wanted if c in found.get(pid, set())]
    assert len(wanted) >= 20
    assert len(hit) / len(wanted) >= 0.85, sorted(set(wanted) - set(hit))
