"""Reference logos: rasterised once, turned into local features, cached on disk by file hash.

Each configured logo file (PNG with alpha, JPEG, SVG) becomes one `ReferenceLogo` with several
views in one shared coordinate frame: the logo on white, on black (for transparent logos, whose
outline gradients flip on dark backgrounds) and inverted (for white-on-colour and recoloured
copies). SIFT is not invariant to a contrast flip, so the flipped views are what lets a
monochrome or inverted copy match. Because all views share one frame, their matches feed a
single homography.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.files import atomic_write

log = logging.getLogger(__name__)

# Bump when the way features are computed changes, so stale cache entries are not reused.
CACHE_VERSION = 7
MAX_REFERENCE_PIXELS = 25_000_000
# Renderings of each reference, as fractions of reference_side: small logos in photos keep only
# their coarse structure, which a full-size rendering alone describes poorly.
SCALES = (1.0, 0.4, 0.18)


class ReferenceError(ValueError):
    """A configured reference logo that cannot be used; names the file and the problem."""


@dataclass
class ReferenceLogo:
    brand: str
    variant: str
    path: Path
    sha256: str
    size: tuple[int, int]  # (width, height) of the normalised reference
    points: np.ndarray  # (N, 4) float32: x, y, size, angle of each keypoint
    descriptors: np.ndarray  # (N, D)
    views: np.ndarray  # (N,) int8: which view each keypoint came from
    phashes: list[str]  # perceptual hashes of the views, for exact reuse
    thumbnail: np.ndarray  # BGR on white (on black if the logo is white), evidence and checks

    @property
    def label(self) -> str:
        return f"{self.brand}/{self.variant}"

    @property
    def corners(self) -> np.ndarray:
        w, h = self.size
        return np.asarray([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)


def rasterise(path: Path, *, side: int, crop: bool = True) -> np.ndarray:
    """The reference as an RGBA uint8 array, its longer side `side` pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        if path.suffix.lower() == ".svg":
            import cairosvg

            png = cairosvg.svg2png(url=str(path), output_width=side)
            image = Image.open(io.BytesIO(png))
        else:
            image = Image.open(path)
        with image:
            if image.size[0] * image.size[1] > MAX_REFERENCE_PIXELS:
                raise ReferenceError(f"{path}: {image.size[0]}x{image.size[1]} is too large")
            if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                from detectors.common.image import _to_rgb8

                rgba = Image.fromarray(_to_rgb8(image)).convert("RGBA")
            else:
                rgba = image.convert("RGBA")
    except ReferenceError:
        raise
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise ReferenceError(f"{path}: cannot read reference logo: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - cairosvg raises assorted parser errors
        raise ReferenceError(f"{path}: cannot rasterise reference logo: {exc}") from None
    array = np.asarray(rgba)
    alpha = array[:, :, 3]
    if crop and alpha.min() < 250:
        # Transparent margins carry no features; crop to what is drawn.
        ys, xs = np.nonzero(alpha > 8)
        if len(xs) == 0:
            raise ReferenceError(f"{path}: the reference logo is fully transparent")
        array = array[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return _fit(array, side)


def _fit(rgba: np.ndarray, side: int) -> np.ndarray:
    import cv2

    h, w = rgba.shape[:2]
    factor = side / max(h, w)
    if abs(factor - 1.0) < 1e-3:
        return rgba
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    size = (max(8, round(w * factor)), max(8, round(h * factor)))
    return cv2.resize(rgba, size, interpolation=interpolation)


def _on(rgba: np.ndarray, background: int) -> np.ndarray:
    alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
    rgb = rgba[:, :, :3].astype(np.float32) * alpha + background * (1.0 - alpha)
    return rgb.astype(np.uint8)


def reference_views(rgba: np.ndarray) -> list[np.ndarray]:
    """Greyscale views sharing one frame: on white, inverted, and on black when transparent."""
    import cv2

    on_white = cv2.cvtColor(_on(rgba, 255), cv2.COLOR_RGB2GRAY)
    views = [on_white, 255 - on_white]
    if rgba[:, :, 3].min() < 250:
        views.append(cv2.cvtColor(_on(rgba, 0), cv2.COLOR_RGB2GRAY))
    return views


def thumbnail_background(rgba: np.ndarray) -> int:
    """255 (white), or 0 for a logo whose drawn pixels are nearly all light."""
    import cv2

    drawn = rgba[:, :, 3] > 128
    if not drawn.any():
        return 255
    grey = cv2.cvtColor(np.ascontiguousarray(rgba[:, :, :3]), cv2.COLOR_RGB2GRAY)
    return 0 if float(np.median(grey[drawn])) > 215 else 255


def phash(grey: np.ndarray) -> str:
    import cv2
    import imagehash
    from PIL import Image

    # phash looks at a 32x32 thumbnail; making it with OpenCV's area filter is ten times
    # cheaper than letting Pillow shrink a full photo, and identical for references and posts.
    thumbnail = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA)
    return str(imagehash.phash(Image.fromarray(thumbnail)))


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ReferenceError(f"{path}: cannot read reference logo: {exc.strerror}") from None
    return digest.hexdigest()


def load_reference(
    brand: str,
    variant: str,
    path: Path,
    *,
    features: object,
    feature_key: str,
    side: int,
    cache_dir: Path | None,
) -> ReferenceLogo:
    """Features for one reference file, from the cache when its bytes were seen before."""
    import cv2

    sha = file_digest(path)
    key = hashlib.sha256(f"{sha}|{feature_key}|{side}|v{CACHE_VERSION}".encode()).hexdigest()
    cached = cache_dir / f"{key}.npz" if cache_dir else None
    if cached and cached.exists():
        try:
            with np.load(cached, allow_pickle=False) as data:
                return ReferenceLogo(
                    brand, variant, path, sha, (int(data["size"][0]), int(data["size"][1])),
                    data["points"], data["descriptors"], data["views"],
                    [str(h) for h in data["phashes"]], data["thumbnail"],
                )
        except (OSError, KeyError, ValueError) as exc:
            log.warning("ignoring unreadable logo cache %s: %s", cached, exc)

    rgba = rasterise(path, side=side)
    points, descriptors, views = [], [], []
    number = 0
    for factor in SCALES:
        # Coarse renderings give the features a small, softened copy of the logo still has.
        scaled = rgba if factor == 1.0 else _fit(rgba, max(24, round(side * factor)))
        back = rgba.shape[1] / scaled.shape[1]
        alpha = scaled[:, :, 3]
        mask = None
        if alpha.min() < 250:
            grow = max(3, round(7 * factor)) | 1
            mask = cv2.dilate((alpha > 8).astype(np.uint8) * 255, np.ones((grow, grow), np.uint8))
        for view in reference_views(scaled):
            keypoints, des = features.detectAndCompute(view, mask)  # type: ignore[attr-defined]
            if des is not None and keypoints:
                points.append(np.asarray(
                    [[k.pt[0] * back, k.pt[1] * back, k.size * back, k.angle] for k in keypoints]
                , dtype=np.float32))
                descriptors.append(des)
                views.append(np.full(len(keypoints), number, np.int8))
            number += 1
    if not descriptors:
        raise ReferenceError(f"{path}: no distinctive features found (is the logo blank?)")
    # A white logo on white would be blank: its edges are what the appearance check compares
    # and what the evidence image shows, so it is drawn on black instead.
    on_white = cv2.cvtColor(_on(rgba, thumbnail_background(rgba)), cv2.COLOR_RGB2BGR)
    # Exact reuse is judged on the whole file as drawn (margins included) and on the cropped
    # logo, since an avatar or a re-post may keep either framing.
    grey_views = reference_views(rgba)[:2]
    if rgba[:, :, 3].min() < 250:
        grey_views += reference_views(rasterise(path, side=side, crop=False))[:2]
    reference = ReferenceLogo(
        brand, variant, path, sha, (rgba.shape[1], rgba.shape[0]),
        np.concatenate(points), np.concatenate(descriptors), np.concatenate(views),
        [phash(v) for v in grey_views], on_white,
    )
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(cached, lambda handle: np.savez_compressed(
            handle, size=np.asarray(reference.size, dtype=np.int32), points=reference.points,
            descriptors=reference.descriptors, views=reference.views,
            phashes=np.array(reference.phashes), thumbnail=reference.thumbnail,
        ))
    log.info("logo %s: %d keypoints in %d views", reference.label, len(reference.points),
             len(set(reference.views.tolist())))
    return reference
