"""The demo posts' images: logo composites, flyers, screenshots of leaked text, plain photos.

Photographs come from scikit-image's bundled sample images (no download). The crest is the one
scripts/draw_demo_logos.py drew into config/logos/, composited at different scales, rotations,
colours and perspectives. Screenshots are rendered at 1280x720 with a plain UI around real text
from the demo documents, so OCR has something to read. Every random choice is seeded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _drawing import PROJECT_ROOT, font
from demo_document_texts import EMBARGO_RELEASE, EXAM_PAPER, MEMO, SENATE_PAPER
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps
from skimage import data as skdata

log = logging.getLogger("sample_images")

LOGOS = PROJECT_ROOT / "config" / "logos"
OTHER = PROJECT_ROOT / "samples" / "images" / "other"
JPEG_QUALITY = 85


def _photo(name: str, width: int | None = None) -> Image.Image:
    array = getattr(skdata, name)()
    image = Image.fromarray(array).convert("RGB")
    if width and image.width != width:
        image = image.resize(
            (width, round(image.height * width / image.width)), Image.Resampling.LANCZOS
        )
    return image


def _logo(name: str) -> Image.Image:
    return Image.open(LOGOS / name).convert("RGBA")


def _place(
    base: Image.Image,
    logo: Image.Image,
    *,
    width: int,
    at: tuple[int, int],
    angle: float = 0.0,
    opacity: float = 1.0,
) -> Image.Image:
    """Paste `logo` scaled to `width` px, rotated by `angle` degrees, centred at `at`."""
    scaled = logo.resize((width, round(logo.height * width / logo.width)), Image.Resampling.LANCZOS)
    if angle:
        scaled = scaled.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    if opacity < 1:
        alpha = scaled.getchannel("A").point(lambda a: round(a * opacity))
        scaled.putalpha(alpha)
    out = base.convert("RGBA")
    out.alpha_composite(scaled, (at[0] - scaled.width // 2, at[1] - scaled.height // 2))
    return out.convert("RGB")


def _recolour(
    logo: Image.Image, *, hue_shift: int = 0, grey: bool = False, invert: bool = False
) -> Image.Image:
    alpha = logo.getchannel("A")
    rgb = logo.convert("RGB")
    if grey:
        rgb = ImageOps.grayscale(rgb).convert("RGB")
    if invert:
        rgb = ImageOps.invert(rgb)
    if hue_shift:
        hsv = np.array(rgb.convert("HSV"))
        hsv[..., 0] = (hsv[..., 0].astype(int) + hue_shift) % 256
        rgb = Image.fromarray(hsv, "HSV").convert("RGB")
    rgb.putalpha(alpha)
    return rgb


def _perspective(logo: Image.Image, skew: float) -> Image.Image:
    """Tilt the logo as if painted on a wall seen from the side."""
    w, h = logo.size
    d = skew * h
    # Map output corners to input corners: the right edge shrinks vertically.
    src = [(0, 0), (w, d), (w, h - d), (0, h)]
    dst = [(0, 0), (w, 0), (w, h), (0, h)]
    coeffs = _perspective_coeffs(dst, src)
    return logo.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)


def _perspective_coeffs(
    pa: list[tuple[float, float]], pb: list[tuple[float, float]]
) -> list[float]:
    rows = []
    for (x, y), (u, v) in zip(pa, pb, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=float)
    b = np.array(pb, dtype=float).reshape(8)
    return list(np.linalg.solve(a, b))


def _text_block(
    draw: ImageDraw.ImageDraw,
    xy: tuple[int, int],
    text: str,
    *,
    size: int,
    fill: tuple[int, ...] | str = "black",
    width: int,
    face: str = "DejaVuSans",
    spacing: int = 6,
) -> int:
    """Draw `text` wrapped to `width` px; returns the y below the last line."""
    f = font(size, face=face)
    x, y = xy
    for paragraph in text.split("\n"):
        words, line = paragraph.split(), ""
        if not words:
            y += size + spacing
            continue
        for word in words:
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=f) > width and line:
                draw.text((x, y), line, font=f, fill=fill)
                y += size + spacing
                line = word
            else:
                line = trial
        draw.text((x, y), line, font=f, fill=fill)
        y += size + spacing
    return y


def _flyer(
    background: Image.Image,
    title: str,
    lines: list[str],
    *,
    crest_angle: float,
    crest_width: int,
    accent: tuple[int, int, int],
    crest: Image.Image | None = None,
    size: tuple[int, int] = (864, 1080),
) -> Image.Image:
    bg = ImageOps.fit(background, size, Image.Resampling.LANCZOS)
    bg = ImageEnhance.Brightness(bg).enhance(0.45).filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(bg)
    draw.rectangle([0, size[1] - 300, size[0], size[1]], fill=accent)
    y = _text_block(
        draw, (48, 330), title, size=72, fill="white", width=size[0] - 96, face="DejaVuSans-Bold"
    )
    y = size[1] - 260
    for line in lines:
        y = _text_block(draw, (48, y + 10), line, size=38, fill="white", width=size[0] - 96)
    return _place(
        bg,
        crest or _logo("crest.png"),
        width=crest_width,
        at=(size[0] // 2, 170),
        angle=crest_angle,
    )


def _paragraphs(text: str, indices: list[int]) -> str:
    """The chosen paragraphs with short heading lines kept apart and wrapped lines joined."""
    out = []
    for paragraph in (text.split("\n\n")[i] for i in indices):
        lines = paragraph.split("\n")
        heads = [] if len(lines[0]) > 45 else [lines.pop(0)]
        out.extend([*heads, " ".join(lines)] if lines else heads)
    return "\n".join(out)


# Screenshots ---------------------------------------------------------------------------------


def _window(title: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (1280, 720), (236, 238, 242))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 1280, 40], fill=(52, 58, 70))
    for i, colour in enumerate([(237, 106, 94), (245, 191, 79), (98, 197, 84)]):
        draw.ellipse([14 + i * 24, 13, 28 + i * 24, 27], fill=colour)
    draw.text((110, 10), title, font=font(17), fill=(230, 232, 236))
    return image, draw


def screenshot_memo_email() -> Image.Image:
    image, draw = _window("Inbox - Outlook")
    draw.rectangle([0, 40, 230, 720], fill=(245, 246, 248))
    for i, folder in enumerate(["Inbox (3)", "Drafts", "Sent Items", "Archive", "SET papers"]):
        draw.text((24, 70 + i * 38), folder, font=font(18), fill=(40, 40, 40))
    draw.rectangle([230, 40, 1280, 720], fill="white")
    draw.text(
        (260, 60),
        "FW: Estates restructuring - STRICTLY CONFIDENTIAL",
        font=font(24, face="DejaVuSans-Bold"),
        fill=(20, 20, 20),
    )
    draw.text(
        (260, 100),
        "From: Office of the COO    To: Senior Executive Team    4 Nov 2026 09:12",
        font=font(16),
        fill=(90, 90, 90),
    )
    _text_block(
        draw, (260, 145), _paragraphs(MEMO, [3, 4, 5]), size=20, width=980, fill=(25, 25, 25)
    )
    return image


def screenshot_senate_paper() -> Image.Image:
    image, draw = _window("SEN-2026-41.pdf - Preview")
    draw.rectangle([0, 40, 1280, 720], fill=(90, 92, 98))
    draw.rectangle([200, 60, 1080, 720], fill="white")
    text = _paragraphs(SENATE_PAPER, [0, 4])
    _text_block(draw, (240, 90), text, size=20, width=800, face="DejaVuSerif", spacing=8)
    return image


def screenshot_embargo_chat() -> Image.Image:
    image, draw = _window("Press Office - Teams")
    draw.rectangle([0, 40, 1280, 720], fill=(244, 244, 250))
    release = EMBARGO_RELEASE.split("\n\n")
    messages = [
        ("Comms Officer", release[0].strip()),
        ("Comms Officer", release[2].replace("\n", " ")),
        ("Research Comms", "Please nobody share this before Wednesday, the journal will pull it."),
    ]
    y = 70
    for who, text in messages:
        draw.text((60, y), who, font=font(16, face="DejaVuSans-Bold"), fill=(80, 70, 150))
        bottom = _text_block(draw, (80, y + 30), text, size=20, width=1000, fill=(20, 20, 20))
        draw.rectangle([60, y + 22, 1120, bottom + 6], outline=(200, 200, 220))
        y = bottom + 34
    return image


def screenshot_exam_paper() -> Image.Image:
    page = Image.new("RGB", (1280, 720), (250, 249, 244))
    draw = ImageDraw.Draw(page)
    question = EXAM_PAPER.split("Question 4")[1].split("END OF")[0]
    header = "ECS401U Procedural Programming - Main Examination Period, January 2027"
    _text_block(draw, (80, 50), header, size=22, width=1100, face="DejaVuSerif-Bold")
    _text_block(
        draw,
        (80, 110),
        "Question 4" + question.replace("\n", " ").replace(" (", "\n("),
        size=22,
        width=1100,
        face="DejaVuSerif",
        spacing=10,
    )
    # A phone photo of a page: slightly turned, a little soft.
    photo = page.rotate(1.5, resample=Image.Resampling.BICUBIC, fillcolor=(120, 110, 100))
    return photo.filter(ImageFilter.GaussianBlur(0.6))


STUDENT_ROWS = [
    ("Amira Khalid", "230114582", "07700 900311", "amira.k@example.com", "12 Antill Road, E3 5BP"),
    (
        "Josh Whitfield",
        "230177203",
        "07700 900482",
        "joshw04@example.com",
        "Flat 9, 88 Roman Road, E2 0RY",
    ),
    ("Chen Yu", "240012937", "07700 900157", "chen.yu@example.com", "3 Lichfield Road, E3 5AL"),
    (
        "Grace Adeyemi",
        "240031846",
        "07700 900678",
        "grace.a@example.com",
        "41 Cardigan Road, E3 5HU",
    ),
    ("Luca Romano", "230190455", "07700 900925", "lucar@example.com", "7 Ford Road, E3 5LG"),
    ("Sofia Nowak", "240066121", "07700 900244", "s.nowak@example.com", "22 Bow Road, E3 2SE"),
]


def screenshot_student_list() -> Image.Image:
    image, draw = _window("housing-group.xlsx - Excel")
    draw.rectangle([0, 40, 1280, 720], fill="white")
    columns = [
        ("Name", 40),
        ("Student no.", 260),
        ("Mobile", 420),
        ("Email", 590),
        ("Address", 860),
    ]
    header_font, cell_font = font(18, face="DejaVuSans-Bold"), font(17)
    draw.rectangle([30, 70, 1260, 110], fill=(217, 234, 211))
    for name, x in columns:
        draw.text((x, 80), name, font=header_font, fill="black")
    for r, row in enumerate(STUDENT_ROWS):
        y = 120 + r * 48
        draw.line([(30, y - 6), (1260, y - 6)], fill=(210, 210, 210))
        for (_, x), value in zip(columns, row, strict=True):
            draw.text((x, y + 6), value, font=cell_font, fill=(20, 20, 20))
    return image


def phishing_page() -> Image.Image:
    image, draw = _window("qmul-verify.example.net/graduates")
    draw.rectangle([0, 40, 1280, 720], fill="white")
    wordmark = _logo("wordmark.png")
    image = _place(image, wordmark, width=520, at=(640, 130))
    draw = ImageDraw.Draw(image)
    draw.text(
        (640, 240),
        "Verify your degree certificate",
        font=font(34, face="DejaVuSans-Bold"),
        fill=(13, 41, 99),
        anchor="mm",
    )
    for i, label in enumerate(["Student number", "QMplus password", "Bank sort code"]):
        y = 300 + i * 90
        draw.text((420, y), label, font=font(20), fill=(60, 60, 60))
        draw.rectangle([420, y + 30, 860, y + 70], outline=(150, 150, 150), width=2)
    draw.rectangle([520, 590, 760, 640], fill=(13, 41, 99))
    draw.text(
        (640, 615), "Verify now", font=font(22, face="DejaVuSans-Bold"), fill="white", anchor="mm"
    )
    return image


# Photos and composites -----------------------------------------------------------------------


def _night_sky() -> Image.Image:
    sky = _photo("hubble_deep_field", width=1000)
    draw = ImageDraw.Draw(sky)
    draw.text(
        (sky.width - 250, sky.height - 50),
        "\u00a9 Jade Okafor",
        font=font(30),
        fill=(240, 240, 240),
    )
    return sky


def _night_sky_repost() -> Image.Image:
    # Cropped above the watermark, resized and warmed: a typical uncredited repost.
    sky = _night_sky().crop((60, 40, 940, 780)).resize((800, 673), Image.Resampling.LANCZOS)
    return ImageEnhance.Color(sky).enhance(1.3)


def _night_sky_crop() -> Image.Image:
    return ImageOps.mirror(_night_sky().crop((150, 100, 850, 700)))


def _fake_avatar(tint: int = 0, angle: float = 0.0) -> Image.Image:
    avatar = Image.open(LOGOS / "avatar-qmul.png").convert("RGB")
    avatar = avatar.crop((8, 8, 392, 392)).resize((400, 400), Image.Resampling.LANCZOS)
    if angle:
        avatar = avatar.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(38, 110, 196))
    if tint:
        hsv = np.array(avatar.convert("HSV"))
        hsv[..., 0] = (hsv[..., 0].astype(int) + tint) % 256
        avatar = Image.fromarray(hsv, "HSV").convert("RGB")
    return avatar


def _official_card(photo: str, caption: str, logo: str = "wordmark.png") -> Image.Image:
    base = ImageOps.fit(_photo(photo), (1200, 675), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(base)
    draw.rectangle([0, 535, 1200, 675], fill=(13, 41, 99))
    draw.text((40, 585), caption, font=font(40, face="DejaVuSans-Bold"), fill="white")
    white_band = Image.new("RGBA", (560, 150), (255, 255, 255, 235))
    out = base.convert("RGBA")
    out.alpha_composite(white_band, (620, 20))
    return _place(out, _logo(logo), width=520, at=(900, 95))


def _mug() -> Image.Image:
    cup = _photo("coffee", width=900)
    return _place(cup, _perspective(_logo("crest.png"), 0.08), width=150, at=(470, 330), angle=-4)


def build_images() -> dict[str, Callable[[], Image.Image]]:
    """Image key (folder/name, no extension) -> a function that draws it."""
    crest = _logo("crest.png")
    mono = _logo("crest-mono.png")
    return {
        # Logo misuse.
        "logo_misuse/mug": _mug,
        "logo_misuse/foam-party-flyer": lambda: _flyer(
            _photo("colorwheel"),
            "QMUL FRESHERS FOAM PARTY 2.0",
            ["Friday 28 November, 10pm till late", "Tickets £15 - link in bio"],
            crest_angle=8,
            crest_width=230,
            accent=(190, 30, 120),
        ),
        "logo_misuse/scholarship-flyer": lambda: _flyer(
            _photo("astronaut"),
            "Hardship Scholarship 2026",
            ["£2,000 for every current student", "DM your student number to apply"],
            crest_angle=0,
            crest_width=260,
            accent=(13, 41, 99),
        ),
        "logo_misuse/clearing-flyer": lambda: _flyer(
            _photo("coins"),
            "CLEARING - JANUARY START",
            ["Places still available", "£300 deposit secures your place today"],
            crest_angle=-12,
            crest_width=200,
            accent=(200, 120, 20),
        ),
        "logo_misuse/crypto-flyer": lambda: _flyer(
            _photo("hubble_deep_field"),
            "Queen Mary x CoinBridge",
            ["Bursaries paid in crypto", "Sign up and earn 50 QMC tokens"],
            crest=_recolour(crest, hue_shift=60),
            crest_angle=20,
            crest_width=210,
            accent=(20, 130, 110),
        ),
        "logo_misuse/cat-meme": lambda: _place(
            _photo("chelsea", width=900), crest, width=150, at=(790, 120), angle=15
        ),
        "logo_misuse/rocket-sponsor": lambda: _place(
            _photo("rocket", width=960), mono, width=120, at=(380, 420), angle=-6
        ),
        "logo_misuse/cafe-ad": lambda: _place(
            _photo("coffee", width=900), crest, width=90, at=(820, 520), opacity=0.9
        ),
        "logo_misuse/wall-mural": lambda: _place(
            _photo("brick", width=900),
            _perspective(_recolour(crest, grey=True), 0.15),
            width=420,
            at=(450, 450),
            opacity=0.85,
        ),
        "logo_misuse/astronaut-patch": lambda: _place(
            _photo("astronaut", width=800), crest, width=110, at=(560, 600), angle=-25
        ),
        "logo_misuse/gig-poster-inverted": lambda: _flyer(
            _photo("camera"),
            "THE MILE END RAIN + support",
            ["Live at the SU, Friday", "Doors 8pm, £6 on the door"],
            crest=_recolour(crest, invert=True),
            crest_angle=-3,
            crest_width=240,
            accent=(30, 30, 30),
        ),
        "logo_misuse/su-election-poster": lambda: _flyer(
            _photo("immunohistochemistry"),
            "SU ELECTIONS: VOTE NOW",
            ["Voting closes Friday 5pm", "qmsu.example.org/vote"],
            crest_angle=0,
            crest_width=240,
            accent=(110, 30, 140),
        ),
        "logo_misuse/phishing-page": phishing_page,
        "logo_misuse/fake-avatar-qmul_official": _fake_avatar,
        "logo_misuse/fake-avatar-tinted": lambda: _fake_avatar(tint=30, angle=4),
        # Official accounts' own images (authorised logo use).
        "official/graduation-banner": lambda: _official_card(
            "astronaut", "Congratulations, Class of 2026"
        ),
        "official/research-card": lambda: _official_card("immunohistochemistry", "Research news"),
        "official/lecture-poster": lambda: _official_card(
            "hubble_deep_field", "What the Thames remembers"
        ),
        "official/eecs-seminar": lambda: _official_card("camera", "EECS research seminar"),
        # Another institution's logos (negatives for the logo detector).
        "other/northbridge-open-day": lambda: _place(
            _photo("astronaut", width=800),
            Image.open(OTHER / "northbridge-seal.png").convert("RGBA"),
            width=160,
            at=(640, 140),
        ),
        "other/northbridge-merch": lambda: _place(
            _photo("coffee", width=900),
            Image.open(OTHER / "northbridge-wordmark.png").convert("RGBA"),
            width=420,
            at=(450, 520),
            angle=3,
        ),
        # Screenshots of leaked text and personal data.
        "screenshots/memo-email": screenshot_memo_email,
        "screenshots/senate-paper": screenshot_senate_paper,
        "screenshots/embargo-chat": screenshot_embargo_chat,
        "screenshots/exam-paper": screenshot_exam_paper,
        "screenshots/student-list": screenshot_student_list,
        # Photos without logos, and reposted work.
        "photos/jade-night-sky": _night_sky,
        "photos/jade-night-sky-repost": _night_sky_repost,
        "photos/jade-night-sky-crop": _night_sky_crop,
        "photos/coffee": lambda: _photo("coffee", width=900),
        "photos/cat": lambda: _photo("chelsea", width=900),
        "photos/rocket": lambda: _photo("rocket", width=960),
        "photos/brick": lambda: _photo("brick", width=900),
    }


# Screenshots, avatars and flat graphics stay lossless for OCR and hashing; photos are JPEG.
_PNG_PREFIXES = ("screenshots/", "logo_misuse/fake-avatar", "logo_misuse/phishing")


def extension(key: str) -> str:
    return ".png" if key.startswith(_PNG_PREFIXES) else ".jpg"


def write_images(out_dir: Path, keys: set[str]) -> dict[str, str]:
    """Draw the images `keys` under out_dir; returns key -> path relative to out_dir's parent."""
    makers = build_images()
    missing = keys - makers.keys()
    if missing:
        raise KeyError(f"no image is defined for {sorted(missing)}")
    paths = {}
    for key in sorted(keys):
        image = makers[key]()
        path = out_dir / f"{key}{extension(key)}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".png":
            image.save(path, optimize=True)
        else:
            image.convert("RGB").save(path, quality=JPEG_QUALITY, optimize=True)
        paths[key] = str(path.relative_to(out_dir.parent))
        log.debug("wrote %s", path)
    return paths
