"""Hostile image files: each gets a clear per-image error or decodes to one 8-bit BGR array."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detectors.common.image import ImageError, load_image


def _png_header_only(width: int, height: int) -> bytes:
    """A small PNG whose header claims width x height: decoding it would allocate them all."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def _encoded(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def _gradient(mode: str = "RGB", size: tuple[int, int] = (64, 48)) -> Image.Image:
    x = np.linspace(0, 255, size[0], dtype=np.uint8)
    rgb = np.dstack([np.tile(x, (size[1], 1))] * 3)
    return Image.fromarray(rgb).convert(mode)


# (case, file bytes, the words the error must contain). Each mirrors a failure seen in the
# wild: empty downloads, HTML error pages saved as .jpg, cut-off transfers, pixel bombs.
BAD = [
    ("zero-size", b"", "empty file"),
    ("not an image", b"<html><body>403 Forbidden</body></html>", "not a readable image"),
    ("truncated JPEG", _encoded(_gradient(size=(300, 200)), "JPEG")[:400], "truncated"),
    ("truncated PNG", _encoded(_gradient(size=(300, 200)), "PNG")[:150], "truncated"),
    ("100 megapixels", _png_header_only(10_000, 10_000), "over the limit"),
    ("400 megapixels", _png_header_only(20_000, 20_000), "pixels"),
]


@pytest.mark.parametrize(("case", "payload", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_images_get_a_clear_error_naming_the_file(
    tmp_path: Path, case: str, payload: bytes, words: str
) -> None:
    path = tmp_path / "upload.jpg"
    path.write_bytes(payload)
    with pytest.raises(ImageError) as caught:
        load_image(path)
    assert str(path) in str(caught.value)
    assert words in str(caught.value)


def test_missing_file_is_an_image_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="cannot read"):
        load_image(tmp_path / "gone.png")


def _animated_gif() -> bytes:
    frames = [_gradient("P"), Image.fromarray(np.zeros((48, 64, 3), np.uint8)).convert("P")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def _sixteen_bit() -> bytes:
    data = np.tile(np.linspace(0, 65535, 64, dtype=np.uint16), (48, 1))
    return _encoded(Image.fromarray(data), "PNG")


GOOD = [
    ("CMYK JPEG", _encoded(_gradient("CMYK"), "JPEG"), 1),
    ("16-bit greyscale PNG", _sixteen_bit(), 1),
    ("palette PNG", _encoded(_gradient("P"), "PNG"), 1),
    ("greyscale with alpha", _encoded(_gradient("LA"), "PNG"), 1),
    ("RGBA PNG", _encoded(_gradient("RGBA"), "PNG"), 1),
    ("animated GIF", _animated_gif(), 2),
]


@pytest.mark.parametrize(("case", "payload", "frames"), GOOD, ids=[g[0] for g in GOOD])
def test_unusual_modes_decode_to_8_bit_bgr(
    tmp_path: Path, case: str, payload: bytes, frames: int
) -> None:
    path = tmp_path / "image"
    path.write_bytes(payload)
    decoded = load_image(path)
    assert decoded.bgr.dtype == np.uint8
    assert decoded.bgr.shape == (48, 64, 3)
    assert decoded.frames == frames
    # The left-to-right gradient survives every conversion (first frame of the animation).
    row = decoded.bgr[24, :, 1].astype(int)
    assert row[-1] - row[0] > 150


def test_large_images_are_decoded_small(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(_encoded(_gradient(size=(4000, 3000)), "JPEG"))
    decoded = load_image(path, max_side=1024)
    assert max(decoded.bgr.shape[:2]) == 1024
    assert decoded.original_size == (4000, 3000)
    assert decoded.scale == pytest.approx(1024 / 4000, rel=0.01)


def test_pixel_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "medium.png"
    path.write_bytes(_encoded(_gradient(size=(400, 300)), "PNG"))
    with pytest.raises(ImageError, match="over the limit"):
        load_image(path, max_pixels=100_000)
