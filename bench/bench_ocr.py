"""OCR of a 1080p screenshot against its 2 s cap, and what the cheap text test saves on photos,
measured in one run.

    .venv/bin/python bench/bench_ocr.py [--repeats 5] [--lines 24]

Draws a 1920x1080 screenshot (dark text on white, `--lines` lines of post-sized text) and a
1920x1080 photo-like image (smooth noise and shapes, no text), then times the OCR enricher's
`read_path` on each. Prints the median seconds, the ratio to the 2 s cap (below 1.0 meets it),
and the share of words of the drawn text that Tesseract read back.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from pipeline.enrich.ocr import OcrEnricher, text_likelihood  # noqa: E402

CAP_SECONDS = 2.0
SENTENCES = [
    "STRICTLY CONFIDENTIAL - draft minutes of the Finance Committee, not for circulation.",
    "Contact Dr Priya Venkataraman on 07700 900123 about the revised budget lines.",
    "Item 4: the proposal to close the Astrophysics programme from September 2027.",
    "Replies: this is outrageous, who approved this, share it with the union now.",
]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def screenshot(path: Path, lines: int) -> list[str]:
    image = Image.new("RGB", (1920, 1080), "white")
    draw = ImageDraw.Draw(image)
    font = _font(26)
    written = []
    for i in range(lines):
        text = f"{SENTENCES[i % len(SENTENCES)]} ({i + 1})"
        draw.text((90, 50 + i * 42), text, fill=(20, 20, 20), font=font)
        written.append(text)
    image.save(path)
    return written


def photo(path: Path) -> None:
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(
        rng.normal(120, 45, (1080, 1920, 3)).clip(0, 255).astype("uint8"), (51, 51), 0
    )
    cv2.circle(image, (700, 500), 220, (30, 120, 200), -1)
    cv2.rectangle(image, (1200, 300), (1700, 800), (200, 160, 40), -1)
    cv2.imwrite(str(path), image)


def timed(fn, repeats: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """Median wall seconds and median CPU seconds (this process plus Tesseract's), and the
    result. CPU time is what the image costs; wall time also counts waiting for a busy core."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        before = _cpu()
        start = time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - before)
    return statistics.median(walls), statistics.median(cpus), result


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lines", type=int, default=24)
    args = parser.parse_args()
    enricher = OcrEnricher(seconds_per_image=30)
    with tempfile.TemporaryDirectory() as folder:
        shot, pic = Path(folder) / "shot.png", Path(folder) / "photo.png"
        written = screenshot(shot, args.lines)
        photo(pic)
        shot_s, shot_cpu, text = timed(lambda: enricher.read_path(shot), args.repeats)
        photo_s, photo_cpu, photo_text = timed(lambda: enricher.read_path(pic), args.repeats)
        test_s, _, _ = timed(lambda: text_likelihood(cv2.imread(str(pic))), args.repeats)
    expected = " ".join(written).split()
    read = set(str(text).split())
    recall = sum(word in read for word in expected) / len(expected)
    load = os.getloadavg()[0]
    sys.stdout.write(
        f"load average {load:.1f} on {os.cpu_count()} cores\n"
        f"screenshot 1920x1080, {args.lines} lines, median of {args.repeats}: "
        f"wall {shot_s:.2f} s (ratio to the {CAP_SECONDS:g} s cap {shot_s / CAP_SECONDS:.2f}), "
        f"CPU {shot_cpu:.2f} s (ratio {shot_cpu / CAP_SECONDS:.2f}); "
        f"words read back {recall:.1%}\n"
        f"photo 1920x1080, no text: wall {photo_s:.3f} s, read nothing: {photo_text == ''}; "
        f"text test alone {test_s:.3f} s; "
        f"screenshot costs {shot_s / photo_s:.0f}x a skipped photo\n"
    )


if __name__ == "__main__":
    main()
