"""Fixtures for the leak detectors: their labelled-set config, with data in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.config import OrgConfig, load_config
from pipeline.core.paths import PROJECT_ROOT

LEAK_DATA = PROJECT_ROOT / "tests" / "data" / "leaks"


@pytest.fixture(scope="session")
def leak_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("leak-data")


@pytest.fixture(scope="session")
def leak_config(leak_data_dir: Path) -> OrgConfig:
    config = load_config(LEAK_DATA / "config.yaml")
    return config.model_copy(update={"data_dir": leak_data_dir}, deep=True)


@pytest.fixture(scope="session", autouse=True)
def _hash_salt() -> None:
    # A fixed key, so hashes in one session compare equal; never the production key.
    import os

    os.environ.setdefault("CRESTWATCH_HASH_SALT", "test-only-salt")


@pytest.fixture(scope="session")
def leak_detectors(leak_config: OrgConfig) -> dict[str, object]:
    from detectors.registry import build_detectors

    names = ["confidential", "secrets", "personal_data", "complaints", "documents"]
    built = build_detectors(leak_config, names)
    for detector in built:
        detector.ensure_loaded()
    return dict(zip(names, built, strict=True))


def render_text_image(
    path: Path,
    lines: list[str],
    *,
    size: tuple[int, int] = (1920, 1080),
    dark: bool = False,
    font_size: int = 28,
) -> Path:
    """A screenshot-like PNG: lines of text on a plain background."""
    from PIL import Image, ImageDraw, ImageFont

    background, ink = ("#15202b", "#e7e9ea") if dark else ("white", "black")
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(
            "DejaVuSans.ttf", font_size
        )
    except OSError:  # no DejaVu on this machine: Pillow's bundled font scales too
        font = ImageFont.load_default(size=font_size)
    for i, line in enumerate(lines):
        draw.text((80, 60 + i * int(font_size * 1.5)), line, fill=ink, font=font)
    image.save(path)
    return path
