"""Text inside images: which images are read, what lands on the media, and bad images."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.enrichment import build_enrichers
from pipeline.models import Media
from pipeline.ocr import OcrEnricher, text_likelihood
from tests.factories import make_post
from tests.unit.leaks.conftest import render_text_image

SCREENSHOT_LINES = [
    "STRICTLY CONFIDENTIAL - NOT FOR CIRCULATION",
    "Draft minutes of the Finance Committee, 2 November 2026",
    "Contact Dr Priya Venkataraman on 07700 900123 about the budget.",
    "The wifi password is Qm!Library2026 for the Graduate Centre.",
]


@pytest.fixture(scope="module")
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_text_image(tmp_path_factory.mktemp("ocr") / "shot.png", SCREENSHOT_LINES)


def _photo(path: Path) -> Path:
    """Smooth natural-image-like noise: gradients everywhere, no lines of text."""
    rng = np.random.default_rng(7)
    image = cv2.GaussianBlur(
        rng.normal(128, 50, (720, 1280, 3)).clip(0, 255).astype("uint8"), (41, 41), 0
    )
    cv2.rectangle(image, (300, 200), (700, 500), (40, 90, 200), -1)
    cv2.imwrite(str(path), image)
    return path


def test_screenshot_is_likely_text_and_a_photo_is_not(screenshot: Path, tmp_path: Path) -> None:
    assert text_likelihood(cv2.imread(str(screenshot))).likely
    assert not text_likelihood(cv2.imread(str(_photo(tmp_path / "photo.png")))).likely


def test_ocr_text_feeds_every_text_detector(
    screenshot: Path, leak_detectors: dict[str, object]
) -> None:
    post = make_post(
        1, text="look what I found", media=[Media(url="https://x/1.png", path=str(screenshot))]
    )
    OcrEnricher()([post])
    ocr = post.media[0].model_extra["ocr_text"]
    assert "STRICTLY CONFIDENTIAL" in ocr and "07700 900123" in ocr
    assert "look what I found" in post.all_text() and "Finance Committee" in post.all_text()
    for name in ("confidential", "personal_data", "secrets"):
        (finding,) = leak_detectors[name].detect([post])  # type: ignore[attr-defined]
        assert finding.score >= 0.5, name
        assert any(span.get("in") == "image" for span in finding.evidence["spans"]), name
    # What is stored is masked in the image text too; the post's own text is untouched.
    from pipeline.redaction import redact_post

    findings = [f for d in leak_detectors.values() for f in d.detect([post])]  # type: ignore[attr-defined]
    stored = redact_post(post, findings)
    stored_ocr = stored.media[0].model_extra["ocr_text"]
    assert "07700 900123" not in stored_ocr and "Qm!Library2026" not in stored_ocr
    assert "Finance Committee" in stored_ocr and stored.text == post.text
    assert "07700 900123" in post.media[0].model_extra["ocr_text"]


def test_dark_mode_screenshot_is_read(tmp_path: Path) -> None:
    path = render_text_image(tmp_path / "dark.png", SCREENSHOT_LINES[:2], dark=True)
    assert "CONFIDENTIAL" in OcrEnricher().read_path(path)


def test_photo_is_not_sent_to_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pytesseract

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("photos must not be read")

    monkeypatch.setattr(pytesseract, "image_to_string", refuse)
    post = make_post(1, media=[Media(url="https://x/p.png", path=str(_photo(tmp_path / "p.png")))])
    OcrEnricher()([post])
    assert post.media[0].model_extra["ocr_text"] == ""


def test_unreadable_images_are_recorded_and_the_batch_goes_on(
    screenshot: Path, tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    posts = [
        make_post(1, media=[Media(url="https://x/c.png", path=str(corrupt))]),
        make_post(2, media=[Media(url="https://x/m.png", path=str(tmp_path / "missing.png"))]),
        make_post(3, media=[Media(url="https://x/s.png", path=str(screenshot))]),
    ]
    OcrEnricher()(posts)
    assert "corrupt.png" in posts[0].media[0].model_extra["ocr_error"]
    assert "missing.png" in posts[1].media[0].model_extra["ocr_error"]
    assert "Finance Committee" in posts[2].media[0].model_extra["ocr_text"]


def test_time_cap_per_image_is_an_error_on_that_image(screenshot: Path) -> None:
    post = make_post(1, media=[Media(url="https://x/s.png", path=str(screenshot))])
    OcrEnricher(seconds_per_image=0.01)([post])
    assert "longer than" in post.media[0].model_extra["ocr_error"]
    assert "ocr_text" not in post.media[0].model_extra


def test_oversized_images_are_refused_before_decoding_text(screenshot: Path) -> None:
    post = make_post(1, media=[Media(url="https://x/s.png", path=str(screenshot))])
    OcrEnricher(max_pixels=1000)([post])
    assert "pixel limit" in post.media[0].model_extra["ocr_error"]


def test_images_already_read_and_remote_only_media_are_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pytesseract

    monkeypatch.setattr(pytesseract, "image_to_string", lambda *a, **k: pytest.fail("re-read"))
    done = Media(url="https://x/a.png", path="/nonexistent/a.png", ocr_text="already read")
    remote = Media(url="https://x/b.png")
    video = Media(url="https://x/c.mp4", type="video", path="/nonexistent/c.mp4")
    post = make_post(1, media=[done, remote, video])
    OcrEnricher()([post])
    assert done.model_extra["ocr_text"] == "already read"
    assert "ocr_text" not in (remote.model_extra or {}) and "ocr_error" not in (
        video.model_extra or {}
    )


def test_ocr_is_wired_into_the_enrichers_offline(example_config: object) -> None:
    enrichers = build_enrichers(example_config, offline=True)  # type: ignore[arg-type]
    assert any(isinstance(e, OcrEnricher) for e in enrichers)
    assert isinstance(enrichers[-1], OcrEnricher)


def test_tesseract_thread_limit_does_not_leak_into_the_process(
    screenshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    OcrEnricher()([make_post(1, media=[Media(url="https://x/s.png", path=str(screenshot))])])
    assert "OMP_THREAD_LIMIT" not in os.environ
