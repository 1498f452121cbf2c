"""Text inside images: Tesseract over the images that look like they hold text.

Running Tesseract on every photo would be slow and mostly useless, so a cheap OpenCV test comes
first: text lines are short, wide, dense strips of strong horizontal gradients. Only images with
enough of them (screenshots, photographed documents) are read, with a time cap per image. What
Tesseract reads lands in ``media.ocr_text`` (Post.all_text() joins it, so every text detector sees
it); an image that cannot be read gets ``media.ocr_error`` and the batch goes on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.models import Media, Post

log = logging.getLogger(__name__)


@contextmanager
def _one_tesseract_thread() -> Iterator[None]:
    """Tesseract's own threads fight the pipeline for the same cores; one per image is faster
    overall. Set only around the call (the subprocess inherits it), so torch in this process
    keeps its threads."""
    before = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = before


@dataclass(frozen=True)
class TextLikelihood:
    lines: int  # strips shaped like lines of text
    density: float  # share of the (downscaled) image those strips cover

    @property
    def likely(self) -> bool:
        return self.lines >= 3 and self.density >= 0.01


def text_likelihood(image: np.ndarray, *, work_width: int = 960) -> TextLikelihood:
    """Count text-line-like strips: gradient -> binarise -> join characters horizontally."""
    import cv2

    gray = image if len(image.shape) == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    height, width = gray.shape
    if width > work_width:
        scale = work_width / width
        gray = cv2.resize(
            gray, (work_width, max(1, int(height * scale))), interpolation=cv2.INTER_AREA
        )
    gradient = cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    _, binary = cv2.threshold(gradient, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    joined = cv2.morphologyEx(
        binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1))
    )
    contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    h_img, w_img = joined.shape
    lines, area = 0, 0
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if not (6 <= h <= 0.08 * h_img + 6 and w >= 2.5 * h and w >= 20):
            continue
        fill = cv2.countNonZero(binary[y : y + h, x : x + w]) / float(w * h)
        if fill >= 0.3:  # strokes of letters, not one thin rule or a solid bar
            lines += 1
            area += w * h
    return TextLikelihood(lines=lines, density=area / float(h_img * w_img))


class OcrEnricher:
    """Reads text in a page's local images. Safe to rerun: images already read are skipped."""

    def __init__(
        self,
        *,
        languages: str = "eng",
        seconds_per_image: float = 10.0,
        max_pixels: int = 40_000_000,
    ) -> None:
        self.languages = languages
        self.seconds_per_image = seconds_per_image
        self.max_pixels = max_pixels

    def __call__(self, posts: list[Post]) -> None:
        for post in posts:
            for media in post.media:
                if self._wanted(media):
                    self.read(media)

    @staticmethod
    def _wanted(media: Media) -> bool:
        extra = media.model_extra or {}
        return (
            bool(media.path)
            and media.type in ("image", "photo", "screenshot", "gif")
            and "ocr_text" not in extra
            and "ocr_error" not in extra
        )

    def read(self, media: Media) -> None:
        """Set `ocr_text` (possibly empty), or `ocr_error` when the image cannot be read."""
        try:
            text = self.read_path(Path(str(media.path)))
        except OcrError as exc:
            log.warning("OCR skipped %s: %s", media.path, exc)
            _set_extra(media, "ocr_error", str(exc))
            return
        _set_extra(media, "ocr_text", text)

    def read_path(self, path: Path) -> str:
        import cv2
        import pytesseract

        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise OcrError(f"{path.name}: not an image OpenCV can decode")
        height, width = image.shape[:2]
        if height * width > self.max_pixels:
            raise OcrError(
                f"{path.name}: {width}x{height} is over the {self.max_pixels} pixel limit"
            )
        if not text_likelihood(image).likely:
            return ""
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        if gray.mean() < 110:  # dark-mode screenshots: Tesseract reads dark text on light best
            gray = cv2.bitwise_not(gray)
        try:
            with _one_tesseract_thread():
                text = pytesseract.image_to_string(
                    gray, lang=self.languages, timeout=self.seconds_per_image, config="--psm 4"
                )
        except RuntimeError as exc:  # pytesseract's timeout
            raise OcrError(
                f"{path.name}: OCR took longer than {self.seconds_per_image:g} s"
            ) from exc
        except pytesseract.TesseractError as exc:
            raise OcrError(f"{path.name}: Tesseract failed: {exc.message.strip()[:200]}") from exc
        return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _set_extra(media: Media, key: str, value: str) -> None:
    """ocr_text and ocr_error are extra fields of Media (Post.all_text reads ocr_text)."""
    setattr(media, key, value)


class OcrError(Exception):
    """An image whose text cannot be read; recorded on the media, never fatal to a batch."""
