"""Text inside images: Tesseract over the images that look like they hold text.

Running Tesseract on every photo would be slow and mostly useless, so a cheap OpenCV test comes
first: text lines are short, wide, dense strips of strong horizontal gradients. Only images with
enough of them (screenshots, photographed documents) are read, with a time cap per image. What
Tesseract reads lands in ``media.ocr_text`` (Post.all_text() joins it, so every text detector sees
it); an image that cannot be read gets ``media.ocr_error`` and the batch goes on. Without a
Tesseract binary the enricher turns itself off for the run and says so in the run summary.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.core.limits import MAX_PIXELS
from pipeline.core.models import Media, Post
from pipeline.core.paths import SYSTEM_DEPS_HINT

if TYPE_CHECKING:
    from pipeline.run.runner import RunSummary

log = logging.getLogger(__name__)


def tesseract_command() -> str:
    """The command pytesseract runs (a name looked up on PATH, or a configured path)."""
    import pytesseract

    return str(pytesseract.pytesseract.tesseract_cmd)


def find_tesseract() -> str | None:
    """Where the Tesseract binary is, or None. A PATH lookup only: asking Tesseract its version
    would start a process just to learn what the first image would tell us anyway."""
    return shutil.which(tesseract_command())


class _OneTesseractThread:
    """Tesseract's own threads fight the pipeline for the same cores; one per image is faster
    overall. OMP_THREAD_LIMIT is set only while some thread is running Tesseract (the
    subprocess inherits it), so torch in this process keeps its threads. Counted under a lock:
    the enricher reads several images at once, and the first to finish must not take the
    limit away from the others."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._before: str | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                self._before = os.environ.get("OMP_THREAD_LIMIT")
                os.environ["OMP_THREAD_LIMIT"] = "1"
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    if self._before is None:
                        os.environ.pop("OMP_THREAD_LIMIT", None)
                    else:
                        os.environ["OMP_THREAD_LIMIT"] = self._before


_one_tesseract_thread = _OneTesseractThread()


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
    """Reads text in a page's local images. Safe to rerun: images already read are skipped.

    Looks for Tesseract once, on first use; without it OCR is off for the run. The cheap checks
    still judge each image (undecodable, too large, a photo with no text: facts that hold with
    Tesseract too), but an image that would be read is left untouched, so a later run with
    Tesseract installed still reads it."""

    def __init__(
        self,
        *,
        languages: str = "eng",
        seconds_per_image: float = 10.0,
        max_pixels: int = MAX_PIXELS,
        page_budget: float = 120.0,
        workers: int = 2,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers  # images read at once (Tesseract processes)
        self.languages = languages
        self.seconds_per_image = seconds_per_image
        self.max_pixels = max_pixels
        self.page_budget = page_budget  # seconds for one page's images (DefersWork)
        self.stage = "ocr"
        self._deferred: dict[str, str] = {}
        self.off_note: str | None = None  # why OCR is off for this run, and how to turn it on
        self._looked_for_tesseract = False
        self._skipped: list[str] = []  # images that could not be read, not yet reported

    def __call__(self, posts: list[Post]) -> None:
        self._look_for_tesseract()
        until = time.monotonic() + self.page_budget
        wanted = [(post, media) for post in posts for media in post.media if self._wanted(media)]
        if not wanted:
            return
        # Tesseract runs as a process of its own, one thread each, and OpenCV's checks release
        # the GIL, so `workers` images at once keep that many cores busy where one image at a
        # time left them idle. Results are applied here, in the posts' order, as before.
        with ThreadPoolExecutor(self.workers, thread_name_prefix="ocr") as pool:
            attempts = list(pool.map(lambda pair: self._attempt(pair[1], until), wanted))
        images = Counter(post.doc_id for post, _ in wanted)
        unread: Counter[str] = Counter()
        for (post, media), attempt in zip(wanted, attempts, strict=True):
            if attempt is None:
                unread[post.doc_id] += 1  # not marked: the retry (or the next run) reads it
            elif error := self._apply(media, attempt):
                self._skipped.append(f"OCR on {post.doc_id}: {error}")
        for doc_id, left in unread.items():
            self._deferred[doc_id] = (
                f"deferred: the page's OCR budget ({self.page_budget:g} s) was spent: "
                f"{left} of its {images[doc_id]} images not read")

    def take_deferred(self) -> dict[str, str]:
        """Posts with images the page's budget left unread (doc id -> why), since last asked."""
        deferred, self._deferred = self._deferred, {}
        return deferred

    def report(self, summary: RunSummary) -> None:
        """Hand what this enricher turned off and skipped to the run summary (once each)."""
        if self.off_note is not None:
            summary.turned_off(self.off_note)
        summary.skipped.extend(self._skipped)
        self._skipped.clear()

    def _look_for_tesseract(self) -> None:
        if self._looked_for_tesseract:
            return
        self._looked_for_tesseract = True
        if find_tesseract() is None:
            self._turn_off(f"{tesseract_command()} not found")

    def _turn_off(self, reason: str) -> None:
        if self.off_note is None:
            self.off_note = f"OCR off: {reason}; {SYSTEM_DEPS_HINT}"
            log.info("%s", self.off_note)

    @staticmethod
    def _wanted(media: Media) -> bool:
        extra = media.model_extra or {}
        return (
            bool(media.path)
            and media.type in ("image", "photo", "screenshot", "gif")
            and "ocr_text" not in extra
            and "ocr_error" not in extra
        )

    def _attempt(self, media: Media, until: float) -> _Attempt:
        """Read one image without touching it or this enricher (it runs in the pool's threads):
        its text, an OcrError, an OcrUnavailable, or None when the page's budget was spent
        before it started."""
        if time.monotonic() >= until and self.off_note is None:
            return None
        try:
            return self.read_path(Path(str(media.path)))
        except (OcrError, OcrUnavailable) as exc:
            return exc

    def _apply(self, media: Media, attempt: str | OcrError | OcrUnavailable) -> str | None:
        """What `_attempt` found, onto the media; the error to report, if any."""
        if isinstance(attempt, OcrUnavailable):
            self._turn_off(str(attempt))
            return None
        if isinstance(attempt, OcrError):
            log.warning("OCR skipped %s: %s", media.path, attempt)
            _set_extra(media, "ocr_error", str(attempt))
            return str(attempt)
        _set_extra(media, "ocr_text", attempt)
        return None

    def read_path(self, path: Path) -> str:
        import cv2

        # The size comes from the header before anything is decoded: a 109 KB 1-bit PNG can
        # say 30000x30000, which decoded to BGR is 2.7 GB.
        width, height = _header_size(path)
        if height * width > self.max_pixels:
            raise OcrError(
                f"{path.name}: {width}x{height} is over the {self.max_pixels} pixel limit"
            )
        try:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        except cv2.error as exc:
            raise OcrError(f"{path.name}: OpenCV could not decode it: "
                           f"{str(exc).strip().splitlines()[-1]}") from None
        if image is None:
            raise OcrError(f"{path.name}: not an image OpenCV can decode")
        height, width = image.shape[:2]
        if height * width > self.max_pixels:  # a header that understated the size
            raise OcrError(
                f"{path.name}: {width}x{height} is over the {self.max_pixels} pixel limit"
            )
        if not text_likelihood(image).likely:
            return ""
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        if gray.mean() < 110:  # dark-mode screenshots: Tesseract reads dark text on light best
            gray = cv2.bitwise_not(gray)
        text = self._tesseract(gray, path.name)
        return "\n".join(line.strip() for line in text.splitlines() if line.strip())

    def _tesseract(self, gray: np.ndarray, name: str) -> str:
        """Tesseract over one image. Whatever goes wrong with this image is an OcrError; only a
        missing binary (OcrUnavailable) concerns the whole run."""
        import pytesseract

        if self.off_note is not None:  # known missing: no process started per image
            raise OcrUnavailable(self.off_note)
        try:
            with _one_tesseract_thread():
                return str(pytesseract.image_to_string(
                    gray, lang=self.languages, timeout=self.seconds_per_image, config="--psm 4"
                ))
        except pytesseract.TesseractNotFoundError as exc:
            raise OcrUnavailable(f"{tesseract_command()} not found") from exc
        # TesseractError is a RuntimeError too, so it is caught before the timeout.
        except pytesseract.TesseractError as exc:
            detail = str(exc.message).strip()[:200] or "no message"
            raise OcrError(f"{name}: Tesseract failed (exit {exc.status}): {detail}") from exc
        except RuntimeError as exc:  # pytesseract's timeout
            raise OcrError(f"{name}: OCR took longer than {self.seconds_per_image:g} s") from exc
        except UnicodeDecodeError as exc:
            raise OcrError(f"{name}: Tesseract wrote text that is not UTF-8") from exc
        except OSError as exc:  # exited 0 but wrote no output file, or the temp file failed
            raise OcrError(f"{name}: Tesseract wrote no text: {exc.strerror or exc}") from exc


def _header_size(path: Path) -> tuple[int, int]:
    """(width, height) as the file's header states them; Pillow reads only the header here."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                return image.size
        except Image.DecompressionBombError as exc:
            raise OcrError(f"{path.name}: over the pixel limit, not decoded: {exc}") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise OcrError(f"{path.name}: not a readable image: {exc}") from None


def _set_extra(media: Media, key: str, value: str) -> None:
    """ocr_text and ocr_error are extra fields of Media (Post.all_text reads ocr_text)."""
    setattr(media, key, value)


class OcrError(Exception):
    """An image whose text cannot be read; recorded on the media, never fatal to a batch."""


class OcrUnavailable(Exception):
    """No Tesseract to run: OCR is off for the run, and no image is blamed for it."""


# What reading one image gave: its text, why it could not be read, or None (no time was left).
_Attempt = str | OcrError | OcrUnavailable | None
