"""Draw the demo reference logos (config/logos/) and a fictional other institution's logos.

The real Queen Mary crest is a trademark, so the demo ships a crest of its own: a shield with a
crown above it, a portcullis in the chief, a chevron between two stars, an open book and the
letters "QM". It is deliberately rich in corners and strong edges so that local-feature matchers
(ORB, SIFT, AKAZE) find plenty of keypoints on it. Drawing is plain Pillow, so reruns produce
identical files.

    .venv/bin/python scripts/draw_demo_logos.py
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

from _drawing import PROJECT_ROOT, font
from PIL import Image, ImageDraw

log = logging.getLogger("draw_demo_logos")

LOGO_DIR = PROJECT_ROOT / "config" / "logos"
OTHER_DIR = PROJECT_ROOT / "samples" / "images" / "other"

# Drawn at SCALE times the output size, then reduced, for smooth edges.
SCALE = 2
Colour = tuple[int, int, int, int]


@dataclass(frozen=True)
class Palette:
    field: Colour  # the shield's main colour
    metal: Colour  # gold parts: chief, chevron, border, lettering
    ink: Colour  # details drawn on the metal (portcullis, crown jewels)
    paper: Colour  # the book's pages


NAVY = (13, 41, 99, 255)
GOLD = (214, 168, 46, 255)
WHITE = (255, 255, 255, 255)
BLACK = (0, 0, 0, 255)

COLOUR = Palette(field=NAVY, metal=GOLD, ink=NAVY, paper=WHITE)
MONO = Palette(field=BLACK, metal=WHITE, ink=BLACK, paper=WHITE)


def _shield_outline(
    left: float, top: float, right: float, bottom: float
) -> list[tuple[float, float]]:
    """A heater shield: flat top, straight sides for 55% of its height, then curves to a point."""
    mid = (left + right) / 2
    shoulder = top + 0.55 * (bottom - top)
    points = [(left, top), (right, top), (right, shoulder)]
    for i in range(1, 24):
        t = i / 24
        # Quadratic curve from the shoulder to the point at the bottom.
        x = (1 - t) ** 2 * right + 2 * (1 - t) * t * right + t**2 * mid
        y = (1 - t) ** 2 * shoulder + 2 * (1 - t) * t * bottom + t**2 * bottom
        points.append((x, y))
    points.append((mid, bottom))
    for x, y in reversed(points[3:-1]):
        points.append((2 * mid - x, y))
    points.append((left, shoulder))
    return points


def _star(cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.42
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return points


def _crown(
    draw: ImageDraw.ImageDraw, cx: float, base: float, width: float, p: Palette, s: float
) -> None:
    half = width / 2
    height = width * 0.42
    top = base - height
    # Five points, tall in the middle, with a band at the base.
    outline = [
        (cx - half, base),
        (cx - half, top + height * 0.35),
        (cx - half * 0.62, top + height * 0.62),
        (cx - half * 0.45, top + height * 0.12),
        (cx - half * 0.2, top + height * 0.55),
        (cx, top),
        (cx + half * 0.2, top + height * 0.55),
        (cx + half * 0.45, top + height * 0.12),
        (cx + half * 0.62, top + height * 0.62),
        (cx + half, top + height * 0.35),
        (cx + half, base),
    ]
    draw.polygon(outline, fill=p.metal, outline=p.ink, width=int(3 * s))
    band_top = base - height * 0.22
    draw.rectangle(
        [cx - half, band_top, cx + half, base], fill=p.metal, outline=p.ink, width=int(3 * s)
    )
    for i, fx in enumerate((-0.7, -0.35, 0.0, 0.35, 0.7)):
        x = cx + fx * half
        y = (band_top + base) / 2
        r = 6 * s
        if i % 2 == 0:
            draw.rectangle([x - r, y - r * 0.7, x + r, y + r * 0.7], fill=p.ink)
        else:
            draw.polygon([(x, y - r), (x + r, y), (x, y + r), (x - r, y)], fill=p.ink)
    for x, y in ((outline[3]), (outline[5]), (outline[7]), (outline[1]), (outline[9])):
        draw.ellipse(
            [x - 7 * s, y - 7 * s, x + 7 * s, y + 7 * s],
            fill=p.metal,
            outline=p.ink,
            width=int(2 * s),
        )


def _portcullis(
    draw: ImageDraw.ImageDraw,
    cx: float,
    top: float,
    width: float,
    height: float,
    p: Palette,
    s: float,
) -> None:
    left, right = cx - width / 2, cx + width / 2
    bottom = top + height
    line = int(5 * s)
    bars = 5
    for i in range(bars):
        x = left + (i + 0.5) * width / bars
        draw.line([(x, top), (x, bottom)], fill=p.ink, width=line)
        # Spikes below each vertical bar.
        draw.polygon([(x - 6 * s, bottom), (x + 6 * s, bottom), (x, bottom + 16 * s)], fill=p.ink)
    for j in range(4):
        y = top + (j + 0.5) * height / 4
        draw.line([(left, y), (right, y)], fill=p.ink, width=line)
    draw.rectangle([left - 4 * s, top - 6 * s, right + 4 * s, top + 4 * s], fill=p.ink)
    # Chains from the top corners, drawn as alternating links.
    for side in (-1, 1):
        x0 = cx + side * width / 2
        for k in range(4):
            x = x0 + side * (k * 9 * s + 6 * s)
            y = top - k * 7 * s - 8 * s
            draw.ellipse(
                [x - 5 * s, y - 3 * s, x + 5 * s, y + 3 * s], outline=p.ink, width=int(2 * s)
            )


def _book(
    draw: ImageDraw.ImageDraw, cx: float, cy: float, width: float, p: Palette, s: float
) -> None:
    half, h = width / 2, width * 0.36
    spine_top, spine_bottom = cy - h / 2 + 8 * s, cy + h / 2
    left_page = [
        (cx, spine_top),
        (cx - half, cy - h / 2),
        (cx - half, cy + h / 2 - 8 * s),
        (cx, spine_bottom),
    ]
    right_page = [(2 * cx - x, y) for x, y in left_page]
    for page in (left_page, right_page):
        draw.polygon(page, fill=p.paper, outline=p.ink, width=int(3 * s))
    for k in range(1, 5):
        t = k / 5.5
        for side in (-1, 1):
            x_in, x_out = cx + side * 8 * s, cx + side * (half - 10 * s)
            y_in = spine_top + t * (spine_bottom - spine_top)
            y_out = cy - h / 2 + t * (h - 8 * s)
            draw.line([(x_in, y_in), (x_out, y_out)], fill=p.ink, width=int(2 * s))
    draw.line([(cx, spine_top), (cx, spine_bottom)], fill=p.ink, width=int(4 * s))
    # A clasp on the fore-edge of each page gives the book two more sharp corners.
    for side in (-1, 1):
        x = cx + side * half
        draw.rectangle([x - 5 * s, cy - 6 * s, x + 5 * s, cy + 6 * s], fill=p.metal, outline=p.ink)


def draw_crest(size: int, palette: Palette = COLOUR) -> Image.Image:
    """The crest on a transparent square canvas of `size` pixels."""
    s = size * SCALE / 512
    canvas = Image.new("RGBA", (size * SCALE, size * SCALE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    left, right, top, bottom = 86 * s, 426 * s, 92 * s, 500 * s
    cx = (left + right) / 2

    _crown(draw, cx, top - 4 * s, 190 * s, palette, s)
    shield = _shield_outline(left, top, right, bottom)
    draw.polygon(shield, fill=palette.metal)
    inner = _shield_outline(left + 12 * s, top + 12 * s, right - 12 * s, bottom - 18 * s)
    draw.polygon(inner, fill=palette.field)

    # The chief: a metal band across the top holding the portcullis.
    chief_bottom = top + 120 * s
    draw.rectangle([left + 12 * s, top + 12 * s, right - 12 * s, chief_bottom], fill=palette.metal)
    draw.line(
        [(left + 12 * s, chief_bottom), (right - 12 * s, chief_bottom)],
        fill=palette.ink,
        width=int(4 * s),
    )
    _portcullis(draw, cx, top + 38 * s, 120 * s, 62 * s, palette, s)
    # Fleurs stand-ins: a small lozenge each side of the portcullis.
    for side in (-1, 1):
        x, y = cx + side * 118 * s, top + 66 * s
        draw.polygon(
            [(x, y - 24 * s), (x + 16 * s, y), (x, y + 24 * s), (x - 16 * s, y)], fill=palette.ink
        )
        draw.polygon(
            [(x, y - 10 * s), (x + 7 * s, y), (x, y + 10 * s), (x - 7 * s, y)], fill=palette.metal
        )

    # A chevron between two stars, with the letters QM beneath its apex.
    apex_y, foot_y, arm = chief_bottom + 30 * s, chief_bottom + 120 * s, 34 * s
    chevron = [
        (left + 14 * s, foot_y),
        (cx, apex_y),
        (right - 14 * s, foot_y),
        (right - 14 * s, foot_y + arm),
        (cx, apex_y + arm * 1.1),
        (left + 14 * s, foot_y + arm),
    ]
    draw.polygon(chevron, fill=palette.metal)
    for side in (-1, 1):
        draw.polygon(_star(cx + side * 112 * s, chief_bottom + 52 * s, 24 * s), fill=palette.metal)
    letters = font(int(58 * s), face="DejaVuSerif-Bold")
    draw.text((cx, chief_bottom + 133 * s), "QM", font=letters, fill=palette.metal, anchor="mm")

    _book(draw, cx, chief_bottom + 207 * s, 130 * s, palette, s)
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


def draw_wordmark(palette: Palette = COLOUR) -> Image.Image:
    """The crest beside "Queen Mary / University of London", on a transparent background."""
    height = 240
    crest = draw_crest(height, palette)
    width = 1100
    canvas = Image.new("RGBA", (width * SCALE, height * SCALE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    text_colour = palette.field
    draw.text(
        (270 * SCALE, 62 * SCALE),
        "Queen Mary",
        font=font(84 * SCALE, face="DejaVuSerif-Bold"),
        fill=text_colour,
    )
    draw.line(
        [(272 * SCALE, 154 * SCALE), (1060 * SCALE, 154 * SCALE)],
        fill=palette.metal if palette is COLOUR else text_colour,
        width=4 * SCALE,
    )
    draw.text(
        (272 * SCALE, 166 * SCALE),
        "University of London",
        font=font(46 * SCALE, face="DejaVuSerif"),
        fill=text_colour,
    )
    canvas = canvas.resize((width, height), Image.Resampling.LANCZOS)
    canvas.alpha_composite(crest, (10, 0))
    return canvas


def draw_avatar(size: int = 400) -> Image.Image:
    """The official accounts' avatar: the crest on a coloured square."""
    avatar = Image.new("RGBA", (size, size), (38, 110, 196, 255))
    crest = draw_crest(int(size * 0.86))
    offset = (size - crest.width) // 2
    avatar.alpha_composite(crest, (offset, offset))
    return avatar


GREEN = (22, 102, 72, 255)
CREAM = (246, 238, 214, 255)


def draw_northbridge_seal(size: int = 480) -> Image.Image:
    """A round seal of the fictional Northbridge College: a bridge under a tower, in green."""
    # Coordinates below are laid out for a 480 px seal and scaled to `size`.
    s = SCALE * size / 480
    n = size * SCALE
    canvas = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    c = n / 2
    draw.ellipse([8 * s, 8 * s, n - 8 * s, n - 8 * s], fill=GREEN)
    draw.ellipse([60 * s, 60 * s, n - 60 * s, n - 60 * s], fill=CREAM)
    # Lettering around the ring, one glyph at a time.
    ring_font = font(int(30 * s), face="DejaVuSans-Bold")
    text = "NORTHBRIDGE COLLEGE * EST. 1887 * "
    for i, ch in enumerate(text):
        angle = -math.pi / 2 + 2 * math.pi * i / len(text)
        radius = c - 34 * s
        x, y = c + radius * math.cos(angle), c + radius * math.sin(angle)
        glyph = Image.new("RGBA", (int(48 * s), int(48 * s)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((24 * s, 24 * s), ch, font=ring_font, fill=CREAM, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        canvas.alpha_composite(glyph, (int(x - 24 * s), int(y - 24 * s)))
    # A three-arched bridge with a tower.
    deck = c + 40 * s
    draw.rectangle([110 * s, deck - 18 * s, n - 110 * s, deck], fill=GREEN)
    draw.rectangle([110 * s, deck, n - 110 * s, deck + 56 * s], fill=GREEN)
    for k in range(3):
        ax = 122 * s + k * 82 * s
        draw.chord([ax, deck + 14 * s, ax + 70 * s, deck + 100 * s], 180, 360, fill=CREAM)
    draw.rectangle([c - 26 * s, deck - 130 * s, c + 26 * s, deck - 18 * s], fill=GREEN)
    draw.polygon(
        [(c - 36 * s, deck - 130 * s), (c, deck - 178 * s), (c + 36 * s, deck - 130 * s)],
        fill=GREEN,
    )
    draw.rectangle([c - 9 * s, deck - 104 * s, c + 9 * s, deck - 76 * s], fill=CREAM)
    draw.line(
        [(120 * s, deck + 60 * s), (n - 120 * s, deck + 60 * s)], fill=GREEN, width=int(6 * s)
    )
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


def draw_northbridge_wordmark() -> Image.Image:
    seal = draw_northbridge_seal(200)
    width, height = 900, 220
    canvas = Image.new("RGBA", (width * SCALE, height * SCALE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    draw.text(
        (230 * SCALE, 40 * SCALE),
        "Northbridge",
        font=font(80 * SCALE, face="DejaVuSans-Bold"),
        fill=GREEN,
    )
    draw.text(
        (234 * SCALE, 134 * SCALE),
        "COLLEGE  ·  LEEDS",
        font=font(40 * SCALE, face="DejaVuSans"),
        fill=GREEN,
    )
    canvas = canvas.resize((width, height), Image.Resampling.LANCZOS)
    canvas.alpha_composite(seal, (10, 10))
    return canvas


def _save(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    log.info("wrote %s (%dx%d)", path.relative_to(PROJECT_ROOT), image.width, image.height)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    _save(draw_crest(512), LOGO_DIR / "crest.png")
    _save(draw_crest(512, MONO), LOGO_DIR / "crest-mono.png")
    _save(draw_wordmark(), LOGO_DIR / "wordmark.png")
    _save(draw_avatar(), LOGO_DIR / "avatar-qmul.png")
    _save(draw_northbridge_seal(), OTHER_DIR / "northbridge-seal.png")
    _save(draw_northbridge_wordmark(), OTHER_DIR / "northbridge-wordmark.png")


if __name__ == "__main__":
    main()
