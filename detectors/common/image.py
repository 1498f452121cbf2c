"""Decoding fetched images for the image detectors, treating every file as hostile input.

Dimensions are read from the header before anything is decoded, so a 100-megapixel image (or a
decompression bomb) is refused without allocating it. Whatever the mode (CMYK, 16-bit, palette,
greyscale with alpha) or the number of frames, the caller gets one 8-bit BGR array no larger than
`max_side`, or an `ImageError` whose message says which file and what is wrong with it.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.limits import MAX_PIXELS

log = logging.getLogger(__name__)



class ImageError(ValueError):
    """An image that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class DecodedImage:
    bgr: np.ndarray  # 8-bit, 3 channels, at most max_side on its longer side
    original_size: tuple[int, int]  # (width, height) as stored in the file
    scale: float  # bgr size / original size
    frames: int  # > 1 for animations; only the first frame is used


def _to_rgb8(image: object) -> np.ndarray:
    from PIL import Image

    assert isinstance(image, Image.Image)
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit and 32-bit greyscale: stretch the used range to 8 bits rather than clip it.
        data = np.asarray(image, dtype=np.float64)
        low, high = float(data.min()), float(data.max())
        span = high - low or 1.0
        grey = ((data - low) * (255.0 / span)).astype(np.uint8)
        return np.dstack([grey, grey, grey])
    if mode == "F":
        data = np.nan_to_num(np.asarray(image, dtype=np.float64))
        low, high = float(data.min()), float(data.max())
        grey = ((data - low) * (255.0 / ((high - low) or 1.0))).astype(np.uint8)
        return np.dstack([grey, grey, grey])
    if mode == "P":
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # Transparent areas become white, as a viewer would show them on a light page.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("RGB"))


def load_image(
    path: Path | str,
    *,
    max_side: int = 1024,
    max_pixels: int = MAX_PIXELS,
) -> DecodedImage:
    """Decode `path` into a BGR array no larger than `max_side`, or raise ImageError."""
    import cv2
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImageError(f"{path}: cannot read: {exc.strerror}") from None
    if size == 0:
        raise ImageError(f"{path}: empty file (0 bytes)")
    with warnings.catch_warnings():
        # The pixel limit below is stricter than Pillow's warning and names the file; Pillow's
        # hard error (twice its warning size) still stops anything larger.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                width, height = image.size
                if width <= 0 or height <= 0:
                    raise ImageError(f"{path}: header gives an empty size {width}x{height}")
                if width * height > max_pixels:
                    raise ImageError(
                        f"{path}: {width}x{height} is {width * height / 1e6:.0f} megapixels, "
                        f"over the limit of {max_pixels / 1e6:.0f}; not decoded"
                    )
                frames = int(getattr(image, "n_frames", 1) or 1)
                if frames > 1:
                    image.seek(0)
                # JPEG can decode straight at 1/2, 1/4 or 1/8 size: far less memory and time.
                if image.format == "JPEG" and max(width, height) > 2 * max_side:
                    image.draft(image.mode, (max_side, max_side))
                image.load()
                rgb = _to_rgb8(image)
        except ImageError:
            raise
        except Image.DecompressionBombError as exc:
            raise ImageError(f"{path}: too many pixels to decode safely: {exc}") from None
        except UnidentifiedImageError as exc:
            raise ImageError(f"{path}: not a readable image: {exc}") from None
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            # Truncated and corrupt data surface here from the decoders.
            raise ImageError(f"{path}: corrupt or truncated image: {exc}") from None
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    longest = max(bgr.shape[:2])
    if longest > max_side:
        factor = max_side / longest
        bgr = cv2.resize(
            bgr,
            (max(1, round(bgr.shape[1] * factor)), max(1, round(bgr.shape[0] * factor))),
            interpolation=cv2.INTER_AREA,
        )
    return DecodedImage(bgr, (width, height), bgr.shape[1] / width, frames)
