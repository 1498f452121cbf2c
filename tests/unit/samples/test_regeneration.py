"""The committed demo files are what the scripts make today: nobody edited one without the other.

Text outputs are compared byte for byte. Images are only checked for presence: JPEG and PNG
encoders differ slightly between library builds, so their bytes are not a stable contract.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

from pipeline.core.config import OrgConfig
from pipeline.core.paths import CONFIG_DIR, PROJECT_ROOT, SAMPLES_DIR

SCRIPTS = PROJECT_ROOT / "scripts"


def _script(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(SCRIPTS))
    return importlib.import_module(name)


def test_committed_samples_match_the_generator(
    example_config: OrgConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_samples = _script("make_samples", monkeypatch)
    files, media_keys = make_samples.render(example_config)
    assert set(files) == {"posts.jsonl", "expected_labels.json", "eval/posts-labelled.jsonl"}
    for name, text in files.items():
        committed = (SAMPLES_DIR / name).read_text(encoding="utf-8")
        assert committed == text, f"samples/{name} is stale: run scripts/make_samples.py"
    images = SAMPLES_DIR / "images"
    on_disk = {str(p.relative_to(images).with_suffix("")) for p in images.rglob("*") if p.is_file()}
    assert media_keys and media_keys <= on_disk


@pytest.mark.parametrize(
    ("file_name", "attribute"),
    [
        ("ECS401U-exam-paper-2027.txt", "EXAM_PAPER"),
        ("Senate-SEN-2026-41-degree-classification.txt", "SENATE_PAPER"),
        ("press-release-embargoed-pancreatic-test.txt", "EMBARGO_RELEASE"),
    ],
)
def test_committed_text_documents_match_their_source(
    file_name: str, attribute: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _script("demo_document_texts", monkeypatch)
    committed = (CONFIG_DIR / "documents" / file_name).read_text(encoding="utf-8")
    assert committed == getattr(texts, attribute)
