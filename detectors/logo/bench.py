"""A labelled benchmark for the logo detector, made from the configured logos and real photos.

Reference logos are composited into the photographs that scikit-image bundles (astronaut,
coffee, chelsea, rocket, ...) under one condition each: scale (large, small: 40-70 px wide in a
1920x1080 image), rotation, perspective, blur, JPEG compression, colour change (recoloured,
monochrome, inverted) and partial occlusion. Negatives are the same photos with no logo, and with
fictional logos of other organisations drawn here in code.

Each sample is a Post line in `bench.jsonl` (media paths relative to it). Positives carry the
labels "logo_misuse" and "condition:<name>"; every line carries `condition`, so recall can be
read per condition (`crestwatch logo-eval`).

    crestwatch logo-bench OUT_DIR [--per-condition 20] [--seed 7]
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

POSITIVE_CONDITIONS = (
    "clean", "large", "small", "rotation", "perspective", "blur", "jpeg", "colour", "occlusion",
)
NEGATIVE_CONDITIONS = ("no_logo", "other_logo")
PHOTOS = (
    "astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry",
    "retina", "camera", "brick", "grass", "gravel", "coins",
)


def photos() -> list[np.ndarray]:
    """The photographs scikit-image ships inside its package, as RGB uint8."""
    from skimage import data

    loaded = []
    for name in PHOTOS:
        try:
            image = getattr(data, name)()
        except Exception as exc:  # noqa: BLE001 - a photo missing from this version is skipped
            log.info("photo %s unavailable: %s", name, exc)
            continue
        if image.ndim == 2:
            image = np.dstack([image] * 3)
        loaded.append(np.ascontiguousarray(image[:, :, :3]).astype(np.uint8))
    if not loaded:
        raise RuntimeError("no scikit-image sample photographs are available")
    return loaded


def draw_fictional_logos(size: int = 400) -> list[np.ndarray]:
    """Distinct logos of made-up organisations (RGBA). Each has its own layout, shapes and
    lettering, as real organisations' logos do; look-alike templates would test nothing."""
    import cv2

    aa = cv2.LINE_AA
    logos = []

    # Northbridge: a green disc with a white N over a boxed name.
    rgba = np.zeros((size, size, 4), np.uint8)
    green = (30, 110, 40, 255)
    cv2.circle(rgba, (200, 160), 140, green, -1, aa)
    cv2.putText(rgba, "N", (135, 215), cv2.FONT_HERSHEY_TRIPLEX, 4.5, (255, 255, 255, 255), 9, aa)
    cv2.rectangle(rgba, (20, 310), (380, 380), (250, 250, 250, 255), -1)
    cv2.rectangle(rgba, (20, 310), (380, 380), green, 3)
    cv2.putText(rgba, "NORTHBRIDGE", (34, 360), cv2.FONT_HERSHEY_DUPLEX, 1.25, green, 2, aa)
    logos.append(rgba)

    # Acme Labs: a red diamond with stripes, italic name above it.
    rgba = np.zeros((size, size, 4), np.uint8)
    red = (170, 30, 30, 255)
    diamond = np.asarray([[200, 90], [340, 230], [200, 370], [60, 230]], dtype=np.int32)
    cv2.fillPoly(rgba, [diamond], red, aa)
    for offset in range(-100, 120, 40):
        cv2.line(rgba, (120 + offset, 150), (280 + offset, 310), (255, 220, 200, 255), 8, aa)
    cv2.polylines(rgba, [diamond], True, (60, 10, 10, 255), 6, aa)
    cv2.putText(rgba, "acme labs", (40, 60), cv2.FONT_HERSHEY_SCRIPT_COMPLEX, 2.0, red, 3, aa)
    logos.append(rgba)

    # Riverside: blue waves under an orange sun, the name in a serif face below.
    rgba = np.zeros((size, size, 4), np.uint8)
    blue = (20, 60, 150, 255)
    cv2.circle(rgba, (200, 130), 80, (240, 140, 20, 255), -1, aa)
    for row in range(3):
        xs = np.arange(30, 371, 10)
        ys = 230 + 28 * row + 12 * np.sin(xs / 22.0 + row)
        cv2.polylines(rgba, [np.asarray(np.c_[xs, ys], dtype=np.int32)], False, blue, 9, aa)
    cv2.putText(rgba, "Riverside", (60, 370), cv2.FONT_HERSHEY_COMPLEX, 1.6, blue, 3, aa)
    logos.append(rgba)

    # Kestrel: a purple hexagon outline around a stylised bird, name on a slant.
    rgba = np.zeros((size, size, 4), np.uint8)
    purple = (110, 50, 140, 255)
    hexagon = np.asarray([[200 + 150 * np.cos(a), 190 + 150 * np.sin(a)]
                        for a in np.linspace(0, 2 * np.pi, 7)[:-1]], dtype=np.int32)
    cv2.polylines(rgba, [hexagon], True, purple, 14, aa)
    bird = np.asarray(
        [[110, 200], [200, 120], [290, 200], [200, 170], [215, 260], [185, 260]], dtype=np.int32
    )
    cv2.fillPoly(rgba, [bird], purple, aa)
    cv2.putText(rgba, "KESTREL", (95, 385), cv2.FONT_HERSHEY_PLAIN, 3.2, purple, 4, aa)
    logos.append(rgba)
    return logos


@dataclass
class Sample:
    image: np.ndarray  # RGB
    condition: str
    logo: str | None  # the reference's brand/variant, None for negatives
    jpeg_quality: int = 92


def _background(photo: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    import cv2

    w, h = size
    ph, pw = photo.shape[:2]
    # A random crop with the target's aspect ratio, resized: every background differs.
    crop_w = int(min(pw, ph * w / h) * rng.uniform(0.7, 1.0))
    crop_h = int(crop_w * h / w)
    x = int(rng.integers(0, pw - crop_w + 1))
    y = int(rng.integers(0, ph - crop_h + 1))
    return cv2.resize(photo[y : y + crop_h, x : x + crop_w], (w, h), interpolation=cv2.INTER_CUBIC)


def _recolour(rgba: np.ndarray, mode: str, rng: np.random.Generator) -> np.ndarray:
    import cv2

    out = rgba.copy()
    rgb = out[:, :, :3]
    if mode == "mono":
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        out[:, :, :3] = np.dstack([grey] * 3)
    elif mode == "inverted":
        out[:, :, :3] = 255 - rgb
    else:
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
        hsv[:, :, 0] = (hsv[:, :, 0].astype(int) + int(rng.integers(30, 150))) % 180
        out[:, :, :3] = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return out


def _paste(
    canvas: np.ndarray,
    rgba: np.ndarray,
    *,
    width: float,
    angle: float,
    jitter: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Warp the logo to `width` px, rotated by `angle` degrees with corner jitter, and blend it
    in at a random place that keeps it inside the canvas."""
    import cv2

    h, w = rgba.shape[:2]
    target_h = width * h / w
    corners = np.asarray([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    box = np.asarray([[0, 0], [width, 0], [width, target_h], [0, target_h]], dtype=np.float32)
    shake = rng.uniform(-jitter, jitter, box.shape).astype(np.float32)
    box += shake * np.asarray([width, target_h], dtype=np.float32)
    centre = box.mean(axis=0)
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    rot = np.asarray([[cos, -sin], [sin, cos]], dtype=np.float32)
    box = (box - centre) @ rot.T
    ch, cw = canvas.shape[:2]
    low, high = box.min(axis=0), box.max(axis=0)
    span = high - low
    ox = rng.uniform(-low[0], max(-low[0] + 1, cw - high[0]))
    oy = rng.uniform(-low[1], max(-low[1] + 1, ch - high[1]))
    box += np.asarray([ox, oy], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners, box.astype(np.float32))
    warped = cv2.warpPerspective(rgba, matrix, (cw, ch), flags=cv2.INTER_AREA
                                 if span.max() < max(w, h) else cv2.INTER_LINEAR)
    alpha = warped[:, :, 3:4].astype(np.float32) / 255.0
    blended = canvas.astype(np.float32) * (1 - alpha) + warped[:, :, :3].astype(np.float32) * alpha
    return blended.astype(np.uint8), box


def make_sample(
    condition: str,
    photo: np.ndarray,
    logo: np.ndarray | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int, list[list[float]] | None]:
    """One RGB image for `condition`, the JPEG quality to save it with, and where the logo is."""
    import cv2

    small = condition == "small"
    size = (1920, 1080) if small else (
        int(rng.choice([1024, 960, 800])), int(rng.choice([768, 720, 640]))
    )
    canvas = _background(photo, size, rng)
    quality = 92
    if logo is None:
        return canvas, quality, None
    width_fraction = {"large": (0.55, 0.8), "occlusion": (0.3, 0.45)}.get(condition, (0.22, 0.38))
    width = (rng.uniform(40, 70) if small else rng.uniform(*width_fraction) * size[0])
    angle = float(rng.uniform(-180, 180)) if condition == "rotation" else float(rng.uniform(-4, 4))
    jitter = 0.12 if condition == "perspective" else 0.0
    if condition == "colour":
        logo = _recolour(logo, str(rng.choice(["hue", "mono", "inverted"])), rng)
    canvas, box = _paste(canvas, logo, width=width, angle=angle, jitter=jitter, rng=rng)
    if condition == "occlusion":
        # Cover about a third of the logo with a patch of another part of the photo.
        low, high = box.min(axis=0), box.max(axis=0)
        cover_w = (high[0] - low[0]) * rng.uniform(0.3, 0.4)
        x0 = int(low[0] if rng.random() < 0.5 else high[0] - cover_w)
        patch = _background(photo, (max(1, int(cover_w)), max(1, int(high[1] - low[1]))), rng)
        y0 = int(low[1])
        ph, pw = patch.shape[:2]
        y1, x1 = min(canvas.shape[0], y0 + ph), min(canvas.shape[1], x0 + pw)
        x0, y0 = max(0, x0), max(0, y0)
        canvas[y0:y1, x0:x1] = patch[: y1 - y0, : x1 - x0]
    if condition == "blur":
        sigma = float(rng.uniform(1.2, 2.2))
        canvas = cv2.GaussianBlur(canvas, (0, 0), sigma)
    if condition == "jpeg":
        quality = int(rng.integers(15, 35))
    return canvas, quality, [[round(float(x), 1), round(float(y), 1)] for x, y in box]


def generate(
    out_dir: Path | str,
    references: list[tuple[str, np.ndarray]],
    *,
    per_condition: int = 20,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Write images and `bench.jsonl` under out_dir; return the JSONL path.

    `references` are (brand/variant label, RGBA array) pairs: the logos the detector should find.
    """
    import cv2

    out = Path(out_dir)
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    backgrounds = photos()
    others = draw_fictional_logos()
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    lines = []
    number = 0
    for condition in (*POSITIVE_CONDITIONS, *NEGATIVE_CONDITIONS):
        count = per_condition * (2 if condition in NEGATIVE_CONDITIONS else 1)
        for k in range(count):
            photo = backgrounds[int(rng.integers(len(backgrounds)))]
            label = None
            logo: np.ndarray | None = None
            if condition in POSITIVE_CONDITIONS:
                label, logo = references[k % len(references)]
            elif condition == "other_logo":
                logo = others[k % len(others)]
            shown = "clean" if condition == "other_logo" else condition
            picture, quality, box = make_sample(shown, photo, logo, rng)
            number += 1
            name = f"{number:04d}-{condition}.jpg"
            cv2.imwrite(str(images / name), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, quality])
            labels = ["logo_misuse", f"condition:{condition}"] if label else []
            lines.append({
                "platform": "x", "id": f"logo-bench-{number}",
                "url": f"https://x.com/bench/status/{number}",
                "created_at": (start + timedelta(minutes=number)).isoformat(),
                "text": "photo", "author": {"id": f"9{number:05d}", "handle": f"viewer{number}",
                                            "display_name": "A viewer"},
                "media": [{"url": f"https://example.org/{name}", "type": "image",
                           "path": f"images/{name}"}],
                "labels": labels, "condition": condition, "logo": label, "box": box,
            })
            if progress:
                progress(number)
    target = out / "bench.jsonl"
    target.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return target


def configured_references(config: object, *, side: int = 600) -> list[tuple[str, np.ndarray]]:
    """The config's reference logos, rasterised (SVG too) for compositing."""
    from detectors.logo.references import rasterise

    refs = []
    for logo in config.logos:  # type: ignore[attr-defined]
        refs.append((f"{logo.brand}/{logo.variant}",
                     rasterise(config.resolve(logo.path), side=side)))  # type: ignore[attr-defined]
    if not refs:
        raise ValueError("the config lists no logos (config.logos) to build a benchmark from")
    return refs
