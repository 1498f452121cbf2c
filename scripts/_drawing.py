"""Fonts and small drawing functions shared by the scripts that make the demo material.

The fonts are the DejaVu faces that matplotlib bundles, so the output is the same on every machine
with the project's dependencies installed, without relying on system fonts.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib
from PIL import ImageFont

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@lru_cache(maxsize=64)
def font(size: int, *, face: str = "DejaVuSans") -> ImageFont.FreeTypeFont:
    """A TrueType font at `size` px; `face` names a DejaVu file, e.g. "DejaVuSerif-Bold"."""
    return ImageFont.truetype(str(FONT_DIR / f"{face}.ttf"), size)
