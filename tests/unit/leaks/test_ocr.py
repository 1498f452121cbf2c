"""Text inside images: which images are read, what lands on the media, and bad images."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.core.models import Media
from pipeline.enrich.base import build_enrichers
from pipeline.enrich.ocr import OcrEnricher, text_likelihood
from pipeline.run.runner import RunSummary, process_page
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
    from pipeline.core.masking import redact_post

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


# -- machines without Tesseract, and a Tesseract that misbehaves ---------------------------------

OCR_OFF = "OCR off: tesseract not found; make system-deps installs it"


def _pages_through_runner(posts_per_page: list[list[object]], store: object, config: object,
                          enricher: OcrEnricher) -> RunSummary:
    """Pages through the real runner with the confidential detector, into the given store."""
    from detectors.registry import build_detectors
    from pipeline.policy.engine import Policy
    from pipeline.sources.base import Page

    detectors = build_detectors(config, ["confidential"])  # type: ignore[arg-type]
    summary = RunSummary()
    for posts in posts_per_page:
        assert process_page(
            Page(posts=posts),  # type: ignore[arg-type]
            store=store,  # type: ignore[arg-type]
            detectors=detectors,
            policy=Policy(config),  # type: ignore[arg-type]
            summary=summary,
            enrichers=[enricher],
        )
    store.refresh()  # type: ignore[attr-defined]
    return summary


def test_without_tesseract_ocr_turns_off_once_and_the_posts_are_still_stored(
    screenshot: Path, no_system_deps: Path, sqlite_store: object, config: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pytesseract

    assert shutil.which("tesseract") is None  # really hidden, not mocked
    monkeypatch.setattr(pytesseract, "image_to_string", lambda *a, **k: pytest.fail("OCR tried"))
    image = Media(url="https://x/s.png", path=str(screenshot))
    pages = [
        [make_post(1, text="look at this", media=[image])],
        [make_post(2, text="Strictly confidential: the Senate paper on closures",
                   media=[Media(url="https://x/t.png", path=str(screenshot))])],
    ]
    summary = _pages_through_runner(pages, sqlite_store, config, OcrEnricher())
    assert summary.off == [OCR_OFF]  # told once for the run, not once per page or image
    assert summary.ok and summary.skipped == [] and summary.as_dict()["off"] == [OCR_OFF]
    # The media are left unread, not marked failed, so a run with Tesseract still reads them.
    assert "ocr_text" not in (image.model_extra or {}) and "ocr_error" not in (
        image.model_extra or {})
    assert summary.posts_stored == 2 and summary.hits_written == 1
    assert sqlite_store.get_post("x:1") is not None  # type: ignore[attr-defined]
    (hit,) = sqlite_store.search_hits()  # type: ignore[attr-defined]
    assert hit.post_id == "x:2" and hit.detector == "confidential"


# Call by call: a failure, a hang, non-UTF-8 output, a crash, no output file, then good text.
FAKE_TESSERACT = """#!/bin/sh
n=$(cat "{state}" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "{state}"
case "$n" in
  1) echo "simulated failure" >&2; exit 1 ;;
  2) exec sleep 30 ;;
  3) printf '\\377\\376\\375' > "$2.txt" ;;
  4) kill -SEGV $$ ;;
  5) exit 0 ;;
  *) printf 'STRICTLY CONFIDENTIAL board paper\\n' > "$2.txt" ;;
esac
"""


def test_a_tesseract_that_fails_on_an_image_costs_only_that_image(
    screenshot: Path, no_system_deps: Path, sqlite_store: object, config: object, tmp_path: Path,
) -> None:
    fake = no_system_deps / "tesseract"
    fake.write_text(FAKE_TESSERACT.format(state=tmp_path / "calls"))
    fake.chmod(0o755)
    posts = [make_post(n, media=[Media(url=f"https://x/{n}.png", path=str(screenshot))])
             for n in range(1, 7)]
    # One worker: the fake answers by call number, so the images must be read in turn.
    summary = _pages_through_runner([posts], sqlite_store, config,
                                    OcrEnricher(seconds_per_image=1, workers=1))
    errors = [post.media[0].model_extra.get("ocr_error") for post in posts]
    assert "Tesseract failed (exit 1): simulated failure" in str(errors[0])
    assert "took longer than 1 s" in str(errors[1])
    assert "not UTF-8" in str(errors[2])
    assert "Tesseract failed (exit -11)" in str(errors[3])
    assert "wrote no text" in str(errors[4])
    assert errors[5] is None
    assert posts[5].media[0].model_extra["ocr_text"] == "STRICTLY CONFIDENTIAL board paper"
    # Each bad image is a skipped item of its post; the run itself has no error and nothing off.
    assert summary.ok and summary.off == []
    assert [s.split(": ")[0] for s in summary.skipped] == [f"OCR on x:{n}" for n in range(1, 6)]
    assert summary.posts_stored == 6
    (hit,) = sqlite_store.search_hits()  # type: ignore[attr-defined]
    assert hit.post_id == "x:6"  # found in the text the fake read from the image
    stored = sqlite_store.get_post("x:2")  # type: ignore[attr-defined]
    assert "longer than" in stored.media[0].model_extra["ocr_error"]


@pytest.mark.parametrize("workers", [1, 2])
def test_images_past_the_page_budget_are_left_unread_for_the_retry(
    screenshot: Path, workers: int
) -> None:
    """The budget runs out while the first images are read: those started finish (one per
    worker), the other posts' images are neither read nor marked (so a retry reads them), and
    those posts are named as deferred, once."""
    ocr = OcrEnricher(page_budget=0.05, workers=workers)
    posts = [make_post(n, media=[Media(url=f"https://x/{n}.png", path=str(screenshot))])
             for n in range(1, 5)]
    ocr(posts)
    for post in posts[:workers]:
        assert "Finance Committee" in post.media[0].model_extra["ocr_text"]
    for post in posts[workers:]:
        assert not {"ocr_text", "ocr_error"} & set(post.media[0].model_extra or {})
    assert ocr.take_deferred() == {
        f"x:{n}": "deferred: the page's OCR budget (0.05 s) was spent: 1 of its 1 images not read"
        for n in range(workers + 1, 5)}
    assert ocr.take_deferred() == {}
    OcrEnricher()(posts[workers:])  # the retry, with a budget that holds
    assert all("Finance Committee" in p.media[0].model_extra["ocr_text"] for p in posts)


# -- several images at once -----------------------------------------------------------------

# Counts the Tesseract processes alive when each starts, and the thread limit each was given.
COUNTING_TESSERACT = """#!/bin/sh
touch "{dir}/running.$$"
ls "{dir}" | grep -c '^running' >> "{dir}/alive"
echo "${{OMP_THREAD_LIMIT:-unset}}" >> "{dir}/limits"
sleep 0.4
rm "{dir}/running.$$"
printf 'read by the fake\\n' > "$2.txt"
"""


@pytest.mark.parametrize("workers", [1, 3])
def test_images_are_read_workers_at_a_time_each_tesseract_on_one_thread(
    screenshot: Path, no_system_deps: Path, tmp_path: Path, workers: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    seen = tmp_path / "seen"
    seen.mkdir()
    fake = no_system_deps / "tesseract"
    fake.write_text(COUNTING_TESSERACT.format(dir=seen))
    fake.chmod(0o755)
    posts = [make_post(n, media=[Media(url=f"https://x/{n}.png", path=str(screenshot))])
             for n in range(1, 7)]
    OcrEnricher(workers=workers)(posts)
    assert all(p.media[0].model_extra["ocr_text"] == "read by the fake" for p in posts)
    alive = [int(n) for n in (seen / "alive").read_text().split()]
    assert len(alive) == 6 and max(alive) == workers  # never more, and really that many
    # Every process got the limit, though the first to finish would have unset it without
    # the count of holders; the process itself is left as it was.
    assert (seen / "limits").read_text().split() == ["1"] * 6
    assert "OMP_THREAD_LIMIT" not in os.environ


def test_reading_images_at_once_gives_each_image_its_own_text_in_order(tmp_path: Path) -> None:
    """Real Tesseract, three workers: each post gets the text of its own images, errors land
    on the image they belong to, and skipped items come in the posts' order."""
    shots = [render_text_image(tmp_path / f"s{n}.png", [f"Committee paper number {n}",
                                                        "STRICTLY CONFIDENTIAL DRAFT",
                                                        f"Item {n}: the budget for room {n}0"])
             for n in range(1, 6)]
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    posts = [make_post(1, media=[Media(url="https://x/1.png", path=str(shots[0])),
                                 Media(url="https://x/c.png", path=str(corrupt)),
                                 Media(url="https://x/2.png", path=str(shots[1]))]),
             make_post(2, media=[Media(url="https://x/m.png", path=str(tmp_path / "none.png"))]),
             *[make_post(n + 1, media=[Media(url=f"https://x/{n}.png", path=str(shots[n - 1]))])
               for n in (3, 4, 5)]]
    ocr = OcrEnricher(workers=3)
    ocr(posts)
    texts = [m.model_extra.get("ocr_text") for p in posts for m in p.media]
    for text, n in zip([texts[0], texts[2], *texts[4:]], [1, 2, 3, 4, 5], strict=True):
        assert f"number {n}" in text and f"Item {n}" in text, (n, text)
    assert "corrupt.png" in posts[0].media[1].model_extra["ocr_error"]
    assert "none.png" in posts[1].media[0].model_extra["ocr_error"]
    summary = RunSummary()
    ocr.report(summary)
    assert [s.split(": ")[0] for s in summary.skipped] == ["OCR on x:1", "OCR on x:2"]


def test_ocr_workers_come_from_the_config(example_config: object) -> None:
    config = example_config.model_copy(deep=True)  # type: ignore[attr-defined]
    config.media.ocr_workers = 3
    (ocr,) = [e for e in build_enrichers(config, offline=True) if isinstance(e, OcrEnricher)]
    assert ocr.workers == 3
    with pytest.raises(ValueError, match="workers"):
        OcrEnricher(workers=0)
