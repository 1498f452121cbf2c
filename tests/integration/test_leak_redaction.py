"""What the leak detectors find is never stored in clear: not in hits (whichever detector's),
not in the stored post, not in text read from its images. Runs against both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detectors.registry import build_detectors
from pipeline.core.config import OrgConfig
from pipeline.core.models import Media
from pipeline.enrich.ocr import OcrEnricher
from pipeline.policy.engine import Policy
from pipeline.run.runner import RunSummary, process_page
from pipeline.sources.base import Page
from tests.factories import make_post

AWS_KEY = "AKIA" + "Q3EGRT7YH2LMN5PX"
PHONE = "07700 900123"
IMAGE_PHONE = "07700 900456"


def _screenshot(path: Path) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1280, 400), "white")
    draw = ImageDraw.Draw(image)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(
            "DejaVuSans.ttf", 28
        )
    except OSError:
        font = ImageFont.load_default(size=28)
    for i, line in enumerate(
        [
            "STRICTLY CONFIDENTIAL - staff contact list",
            f"Dr Priya Venkataraman, her mobile is {IMAGE_PHONE}",
            "Do not forward outside the School office.",
        ]
    ):
        draw.text((40, 40 + i * 60), line, fill="black", font=font)
    image.save(path)
    return path


def test_secrets_and_personal_details_are_stored_masked(
    store: object, config: OrgConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRESTWATCH_HASH_SALT", "integration-test")
    posts = [
        make_post(1, text=f"STRICTLY CONFIDENTIAL ops notes: prod key {AWS_KEY} lol"),
        make_post(2, text=f"Dr Priya Venkataraman lives nearby, her mobile is {PHONE}"),
        make_post(
            3,
            text="look at this",
            media=[
                Media(url="https://example.org/a.png", path=str(_screenshot(tmp_path / "a.png")))
            ],
        ),
    ]
    detectors = build_detectors(config, ["confidential", "secrets", "personal_data"])
    summary = RunSummary()
    assert process_page(
        Page(posts=posts),
        store=store,
        detectors=detectors,
        policy=Policy(config),  # type: ignore[arg-type]
        summary=summary,
        enrichers=[OcrEnricher()],
    )
    store.refresh()  # type: ignore[attr-defined]
    hits = store.search_hits()  # type: ignore[attr-defined]
    by_detector = {(h.post_id, h.detector) for h in hits}
    # The confidential-marker hit on post 1 also shows the post: masked there too.
    assert {
        ("x:1", "secrets"),
        ("x:1", "confidential"),
        ("x:2", "personal_data"),
        ("x:3", "personal_data"),
        ("x:3", "confidential"),
    } <= by_detector
    stored = json.dumps(
        [h.model_dump(mode="json") for h in hits]
        + [store.get_post(p.doc_id).model_dump(mode="json") for p in posts],  # type: ignore[attr-defined]
        ensure_ascii=False,
    )
    for clear in (AWS_KEY, PHONE, IMAGE_PHONE):
        assert clear not in stored
    assert "[•••• aws, 16-31 chars]" in stored and "[•••• phone_number, 8-15 chars]" in stored
    # No fragment of a value either (the key's prefix, the phone's last digits), looked for in
    # what the documents say (texts, OCR, explanations, evidence), not in the whole JSON: its
    # run-time timestamps and the test's folder (/tmp/pytest-of-root/pytest-123/...) hold
    # digits of their own.
    said = [h.post_text or "" for h in hits] + [h.explanation for h in hits]
    said += [json.dumps(h.evidence, ensure_ascii=False) for h in hits]
    for p in posts:
        kept = store.get_post(p.doc_id)  # type: ignore[attr-defined]
        said += [kept.text, *(str((m.model_extra or {}).get("ocr_text", "")) for m in kept.media)]
    for text in said:
        assert "AKIA" not in text and "900123" not in text and "123" not in text, text
    ocr = store.get_post("x:3").media[0].model_extra["ocr_text"]  # type: ignore[attr-defined]
    assert "STRICTLY CONFIDENTIAL" in ocr and "456" not in ocr and "[••••" in ocr
    # The detectors saw the values: the posts in memory are left as they were.
    assert AWS_KEY in posts[0].text


def test_rerun_overwrites_and_stays_masked(
    sqlite_store: object, config: OrgConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRESTWATCH_HASH_SALT", "integration-test")
    detectors = build_detectors(config, ["secrets"])
    for _ in range(2):
        post = make_post(1, text=f"prod key {AWS_KEY} lol")
        process_page(
            Page(posts=[post]),
            store=sqlite_store,
            detectors=detectors,  # type: ignore[arg-type]
            policy=Policy(config),
            summary=RunSummary(),
        )
    (hit,) = sqlite_store.search_hits()  # type: ignore[attr-defined]
    assert AWS_KEY not in hit.post_text and "AKIA" not in hit.post_text
    assert "[•••• aws, 16-31 chars]" in hit.post_text
