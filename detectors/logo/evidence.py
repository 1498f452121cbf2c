"""Evidence images for logo hits: the post's image with the match outlined, beside the reference.

Images are content-addressed (the file name is the SHA-256 of the PNG), so a rerun writes the same
file once and two hits on the same picture share it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote

import numpy as np

OUTLINE = (0, 0, 255)  # red in BGR: visible on most photographs
PANEL_HEIGHT = 360


def render(
    image: np.ndarray, polygon: list[list[float]], reference: np.ndarray, caption: str
) -> bytes:
    """PNG bytes: the image (outline drawn, polygon in its pixels) | the reference logo."""
    import cv2

    scale = PANEL_HEIGHT / image.shape[0]
    left = cv2.resize(image, (max(1, round(image.shape[1] * scale)), PANEL_HEIGHT),
                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    corners = np.asarray(polygon, dtype=np.float32) * scale
    outline = np.round(corners).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(left, [outline], True, (255, 255, 255), 5, cv2.LINE_AA)
    cv2.polylines(left, [outline], True, OUTLINE, 3, cv2.LINE_AA)

    ref_h, ref_w = reference.shape[:2]
    fit = min((PANEL_HEIGHT - 40) / ref_h, 300 / ref_w)
    logo = cv2.resize(reference, (max(1, round(ref_w * fit)), max(1, round(ref_h * fit))),
                      interpolation=cv2.INTER_AREA)
    right = np.full((PANEL_HEIGHT, logo.shape[1] + 20, 3), 255, np.uint8)
    right[10 : 10 + logo.shape[0], 10 : 10 + logo.shape[1]] = logo

    canvas = np.full((PANEL_HEIGHT + 34, left.shape[1] + 8 + right.shape[1], 3), 255, np.uint8)
    canvas[:PANEL_HEIGHT, : left.shape[1]] = left
    canvas[:PANEL_HEIGHT, left.shape[1] + 8 :] = right
    cv2.putText(canvas, caption[:110], (6, PANEL_HEIGHT + 23), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                (0, 0, 0), 1, cv2.LINE_AA)
    ok, encoded = cv2.imencode(".png", canvas)
    if not ok:
        raise ValueError("could not encode the evidence image")
    return encoded.tobytes()


def store(png: bytes, evidence_dir: Path) -> Path:
    """Write `png` under evidence_dir/logo/<2 hex>/<sha256>.png once; return its path."""
    digest = hashlib.sha256(png).hexdigest()
    path = evidence_dir / "logo" / digest[:2] / f"{digest}.png"
    if not path.exists():
        from pipeline.core.files import atomic_write

        # Owner-only, like every file the project writes: the picture shows a person's post.
        atomic_write(path, lambda handle: handle.write(png), keep_existing=True)
    return path


def url_for(path: Path, evidence_dir: Path, base_url: str | None) -> str:
    """Where Kibana can open the image: the configured base URL, else a file:// URL."""
    if base_url:
        relative = path.relative_to(evidence_dir).as_posix()
        return f"{base_url.rstrip('/')}/{quote(relative)}"
    return path.resolve().as_uri()
