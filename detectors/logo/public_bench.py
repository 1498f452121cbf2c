"""A logo benchmark built from public material the project did not draw.

Photographs come from Debian's wallpaper packages (gnome-backgrounds, mate-backgrounds,
ukui-wallpapers, desktop-base) and scikit-image's bundled images. Stand-in organisations come
from the `@iconify-json/logos` npm package, which ships real organisations' logos both as the
full logo (symbol and wordmark) and as the symbol alone (`name` and `name-icon`). Each stand-in
gets six reference files, as a brand team would hand over: symbol and full logo, each in colour,
black and white. Decoys are other organisations' marks from the same package and from
`simple-icons`.

The split is fixed by the seed before anything is measured: organisations, photos and decoys
are each divided between a development part (`dev.jsonl`, for tuning) and a held-back part
(`held.jsonl`, looked at once, at the end). Nothing is fetched here: the npm tarballs must be in
`marks_dir` (scripts/fetch-logo-marks.sh puts them there) and the Debian packages installed
(scripts/install-system-deps.sh).

    crestwatch logo-bench OUT_DIR --public [--marks DIR] [--seed 15]
    crestwatch logo-eval OUT_DIR/dev.jsonl
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import re
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# Exact versions: the same seed and the same packages give the same benchmark.
ICON_PACKAGES = {"@iconify-json/logos": "1.2.19", "simple-icons": "16.37.0"}
PHOTO_PACKAGES = ("gnome-backgrounds", "mate-backgrounds", "ukui-wallpapers", "desktop-base")
# Raster wallpapers, relative to /usr/share; SVG wallpapers of desktop-base are rasterised.
PHOTO_GLOBS = (
    "backgrounds/gnome/*.webp", "backgrounds/mate/nature/*.jpg", "backgrounds/mate/abstract/*.*",
    "backgrounds/mate/desktop/*.*", "backgrounds/*.jpg", "backgrounds/*.png",
    "desktop-base/*-theme/wallpaper/contents/images/1920x1080.svg",
)
# Wallpapers that show a logo of their own, duplicates of another at a different size, and
# placeholders: a logo in the background would be an unlabelled positive or decoy.
PHOTO_EXCLUDE = re.compile(
    r"(ubuntukylin|vnc-|Float-into-MATE|Elephants_\d|/active-theme/|withlogo|2004default)", re.I)
SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "coins", "brick",
                  "grass", "gravel", "hubble_deep_field", "immunohistochemistry", "retina")
DEFAULT_MARKS_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / (
    "crestwatch/marks")

VERSIONS = ("symbol", "full")
COLOURS = ("colour", "black", "white")
CONDITIONS = ("clean", "small", "large", "rotation", "perspective", "blur", "jpeg",
              "recoloured", "occlusion")
# Grey levels between a logo's mean tone and the photo around it; below this the logo is barely
# visible and a reviewer would not see it either.
MIN_CONTRAST = 50.0
# Wallpapers flatter than this (grey-level standard deviation) are plain colour, not photos.
MIN_PHOTO_STD = 15.0
SIZE_BUCKETS = ((0, 70, "40-70"), (70, 150, "70-150"), (150, 300, "150-300"),
                (300, 10**6, "300+"))


class BenchSourceError(RuntimeError):
    """Public material the benchmark needs is not on this machine; says how to get it."""


@dataclass(frozen=True)
class Mark:
    name: str
    svg: str  # a complete SVG document


@dataclass(frozen=True)
class Organisation:
    name: str
    symbol: Mark
    full: Mark


# ---- reading the packages ---------------------------------------------------------------------

def tarball_name(package: str, version: str) -> str:
    """The file `npm pack` writes for a package: scope folded into the name."""
    return f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"


def _tarball(marks_dir: Path, package: str) -> Path:
    path = marks_dir / tarball_name(package, ICON_PACKAGES[package])
    if not path.is_file():
        raise BenchSourceError(
            f"{path} is missing: run scripts/fetch-logo-marks.sh {marks_dir} "
            f"(npm pack {package}@{ICON_PACKAGES[package]})")
    return path


def _iconify_svg(icon: dict[str, object], default: int) -> str:
    left, top = icon.get("left", 0), icon.get("top", 0)
    width, height = icon.get("width", default), icon.get("height", default)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'viewBox="{left} {top} {width} {height}" width="{width}" height="{height}">'
            f'{icon["body"]}</svg>')


def iconify_marks(tarball: Path) -> dict[str, Mark]:
    """Every visible icon of an Iconify JSON package, by name."""
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/icons.json")
        if member is None:
            raise BenchSourceError(f"{tarball}: no package/icons.json")
        data = json.load(member)
    default = int(data.get("width", 256))
    return {name: Mark(name, _iconify_svg(icon, default))
            for name, icon in data["icons"].items() if not icon.get("hidden")}


def simple_icon_marks(tarball: Path) -> dict[str, Mark]:
    """simple-icons' single-colour SVGs, each filled with its brand colour."""
    marks = {}
    with tarfile.open(tarball) as archive:
        meta = archive.extractfile("package/data/simple-icons.json")
        colours = {i["slug"]: i["hex"] for i in json.load(meta)} if meta else {}
        for member in archive.getmembers():
            match = re.fullmatch(r"package/icons/([a-z0-9_-]+)\.svg", member.name)
            handle = archive.extractfile(member) if match else None
            if match is None or handle is None:
                continue
            slug = match.group(1)
            svg = handle.read().decode("utf-8")
            svg = svg.replace("<path ", f'<path fill="#{colours.get(slug, "333333")}" ', 1)
            svg = svg.replace('viewBox="0 0 24 24"', 'viewBox="0 0 24 24" width="24" height="24"')
            marks[f"si-{slug}"] = Mark(f"si-{slug}", svg)
    return marks


def organisations(marks: dict[str, Mark]) -> list[Organisation]:
    """Brands that ship both a full logo and its symbol alone, in name order."""
    return [Organisation(name, marks[f"{name}-icon"], marks[name])
            for name in sorted(marks) if f"{name}-icon" in marks]


def _stem(name: str) -> str:
    return re.split(r"[-_]", name.removeprefix("si-"))[0]


def photo_files(root: Path = Path("/usr/share")) -> list[Path]:
    files = sorted({p for pattern in PHOTO_GLOBS for p in root.glob(pattern)
                    if p.is_file() and not PHOTO_EXCLUDE.search(str(p))})
    if not files:
        raise BenchSourceError(
            f"no wallpapers under {root}: install the Debian packages "
            f"{' '.join(PHOTO_PACKAGES)} (scripts/install-system-deps.sh)")
    return files


# ---- rendering --------------------------------------------------------------------------------

def render(mark: Mark, side: int) -> np.ndarray:
    """The mark as RGBA uint8, transparent margins cropped, longer side `side` px."""
    import cairosvg
    import cv2
    from PIL import Image

    png = cairosvg.svg2png(bytestring=mark.svg.encode("utf-8"), output_width=side)
    with Image.open(io.BytesIO(png)) as image:
        rgba = np.asarray(image.convert("RGBA"))
    ys, xs = np.nonzero(rgba[:, :, 3] > 8)
    if not len(xs):
        raise ValueError(f"{mark.name}: renders empty")
    rgba = rgba[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    h, w = rgba.shape[:2]
    factor = side / max(h, w)
    size = (max(4, round(w * factor)), max(4, round(h * factor)))
    return np.ascontiguousarray(cv2.resize(rgba, size, interpolation=cv2.INTER_AREA
                                           if factor < 1 else cv2.INTER_CUBIC))


def single_colour(rgba: np.ndarray, value: int) -> np.ndarray:
    """The black (value 0) or white (255) version of a logo, as a brand team draws one: what is
    drawn takes the one colour, and near-white parts (a white letter on a coloured plate) are
    knocked out so the design keeps its inner shapes."""
    import cv2

    alpha = rgba[:, :, 3].astype(np.float32)
    grey = cv2.cvtColor(np.ascontiguousarray(rgba[:, :, :3]), cv2.COLOR_RGB2GRAY)
    drawn = alpha > 8
    light = drawn & (grey > 215)
    kept = alpha * ~light
    # A design that is mostly near-white keeps its silhouette instead.
    if (kept > 8).sum() < 0.25 * drawn.sum():
        kept = alpha
    out = np.zeros_like(rgba)
    out[:, :, :3] = value
    out[:, :, 3] = kept.astype(np.uint8)
    return out


def version_rgba(org: Organisation, version: str, colour: str, side: int) -> np.ndarray:
    rgba = render(org.symbol if version == "symbol" else org.full, side)
    if colour == "colour":
        return rgba
    return single_colour(rgba, 0 if colour == "black" else 255)


def _load_photo(path: Path, longest: int = 1920) -> np.ndarray:
    from PIL import Image

    if path.suffix.lower() == ".svg":
        import cairosvg

        png = cairosvg.svg2png(url=str(path), output_width=longest)
        image = Image.open(io.BytesIO(png))
    else:
        image = Image.open(path)
    with image:
        image.draft("RGB", (longest, longest))
        rgb = image.convert("RGB")
        rgb.thumbnail((longest, longest))
        return np.asarray(rgb).copy()


def skimage_photos() -> list[tuple[str, np.ndarray]]:
    from skimage import data

    out = []
    for name in SKIMAGE_PHOTOS:
        try:
            image = getattr(data, name)()
        except Exception as exc:  # noqa: BLE001 - a photo missing from this version is skipped
            log.info("scikit-image photo %s unavailable: %s", name, exc)
            continue
        if image.ndim == 2:
            image = np.dstack([image] * 3)
        out.append((f"skimage:{name}", np.ascontiguousarray(image[:, :, :3]).astype(np.uint8)))
    return out


# ---- the split --------------------------------------------------------------------------------

def _part(name: str, seed: int, held_fraction: float) -> str:
    """dev or held, from a hash of the seed and the name alone: adding a photo or a logo to a
    package never moves another one across the split."""
    value = int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:8], "big")
    return "held" if value / 2**64 < held_fraction else "dev"


def split(names: Iterable[str], seed: int, held_fraction: float = 0.5) -> dict[str, list[str]]:
    parts: dict[str, list[str]] = {"dev": [], "held": []}
    for name in sorted(names):
        parts[_part(name, seed, held_fraction)].append(name)
    return parts


def usable_organisation(org: Organisation) -> bool:
    """A symbol of moderate shape and a full logo that adds a wordmark to it."""
    try:
        symbol, full = render(org.symbol, 128), render(org.full, 256)
    except (ValueError, OSError):
        return False
    sh, sw = symbol.shape[:2]
    fh, fw = full.shape[:2]
    symbol_aspect, full_aspect = sw / sh, fw / fh
    return 0.5 <= symbol_aspect <= 2.0 and full_aspect >= 1.4 * symbol_aspect


# ---- composing one image ----------------------------------------------------------------------

def _background(photo: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    import cv2

    w, h = size
    ph, pw = photo.shape[:2]
    crop_w = int(min(pw, ph * w / h) * rng.uniform(0.6, 1.0))
    crop_h = max(1, int(crop_w * h / w))
    x = int(rng.integers(0, pw - crop_w + 1))
    y = int(rng.integers(0, ph - crop_h + 1))
    interpolation = cv2.INTER_AREA if crop_w > w else cv2.INTER_CUBIC
    return cv2.resize(photo[y: y + crop_h, x: x + crop_w], (w, h), interpolation=interpolation)


def _quad(w: float, h: float, *, angle: float, tilt: float, rng: np.random.Generator
          ) -> np.ndarray:
    """Corners of a w x h logo rotated by `angle` degrees in the image plane and tilted by
    `tilt` degrees out of it (seen in perspective), centred on the origin."""
    corners = np.asarray([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0],
                          [-w / 2, h / 2, 0]], dtype=np.float64)
    if tilt:
        axis = float(rng.uniform(0, math.pi))
        t = math.radians(tilt)
        ux, uy = math.cos(axis), math.sin(axis)
        # Rodrigues: rotate about the in-plane axis (ux, uy, 0).
        k = np.asarray([[0, 0, uy], [0, 0, -ux], [-uy, ux, 0]])
        rot = np.eye(3) + math.sin(t) * k + (1 - math.cos(t)) * (k @ k)
        corners = corners @ rot.T
        focal = 1.6 * max(w, h)
        depth = focal + corners[:, 2]
        corners = corners[:, :2] * (focal / depth)[:, None]
    else:
        corners = corners[:, :2]
    theta = math.radians(angle)
    rot2 = np.asarray([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    return corners @ rot2.T


def _place(canvas: np.ndarray, quad: np.ndarray, logo: np.ndarray, rng: np.random.Generator
           ) -> np.ndarray | None:
    """Shift the quad into the canvas where the logo stands out from the photo (a white logo
    on a dark part, a black one on a light part), as logos are used; None when no place has
    contrast enough (the caller picks another photo)."""
    import cv2

    ch, cw = canvas.shape[:2]
    low, high = quad.min(axis=0), quad.max(axis=0)
    grey = cv2.cvtColor(canvas, cv2.COLOR_RGB2GRAY)
    alpha = logo[:, :, 3].astype(np.float32)
    tone = float((cv2.cvtColor(np.ascontiguousarray(logo[:, :, :3]), cv2.COLOR_RGB2GRAY)
                  * alpha).sum() / max(1.0, alpha.sum()))
    options = []
    for _ in range(12):
        ox = rng.uniform(-low[0], max(-low[0] + 1, cw - high[0]))
        oy = rng.uniform(-low[1], max(-low[1] + 1, ch - high[1]))
        x0, y0 = int(max(0, ox + low[0])), int(max(0, oy + low[1]))
        x1, y1 = int(min(cw, ox + high[0])) + 1, int(min(ch, oy + high[1])) + 1
        options.append((abs(float(grey[y0:y1, x0:x1].mean()) - tone), ox, oy))
    good = [o for o in options if o[0] >= MIN_CONTRAST]
    if not good:
        return None
    _, ox, oy = good[0]
    return quad + np.asarray([ox, oy])


def _paste(canvas: np.ndarray, rgba: np.ndarray, quad: np.ndarray) -> np.ndarray:
    import cv2

    h, w = rgba.shape[:2]
    corners = np.asarray([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners, quad.astype(np.float32))
    ch, cw = canvas.shape[:2]
    warped = cv2.warpPerspective(rgba, matrix, (cw, ch), flags=cv2.INTER_AREA)
    alpha = warped[:, :, 3:4].astype(np.float32) / 255.0
    out = canvas.astype(np.float32) * (1 - alpha) + warped[:, :, :3].astype(np.float32) * alpha
    return out.astype(np.uint8)


def _recolour(rgba: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A hue-shifted copy, or, for a one-colour logo, another solid colour."""
    import cv2

    out = rgba.copy()
    rgb = np.ascontiguousarray(out[:, :, :3])
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    drawn = out[:, :, 3] > 8
    if drawn.any() and hsv[:, :, 1][drawn].mean() < 40:
        colour = [int(c) for c in rng.integers(30, 230, 3)]
        out[:, :, :3][drawn] = colour
        return out
    hsv[:, :, 0] = (hsv[:, :, 0].astype(int) + int(rng.integers(30, 150))) % 180
    out[:, :, :3] = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return out


def size_bucket(longest: float) -> str:
    return next(label for low, high, label in SIZE_BUCKETS if low <= longest < high)


@dataclass
class Composed:
    image: np.ndarray  # RGB
    quality: int
    box: list[list[float]] | None
    longest: float  # the logo's longer side in the image, px


def compose(condition: str, photo: np.ndarray, logo: np.ndarray | None,
            rng: np.random.Generator) -> Composed | None:
    """One image: the photo cropped to a posted size, and the logo in it under `condition`;
    None when the logo would not stand out anywhere in this crop."""
    import cv2

    if condition == "small":
        size = (1920, 1080)
    else:
        size = [(1024, 768), (1024, 576), (960, 720), (800, 600), (768, 1024), (1024, 1024)][
            int(rng.integers(6))]
    canvas = _background(photo, size, rng)
    if logo is None:
        return Composed(canvas, 90, None, 0.0)
    h, w = logo.shape[:2]
    if condition == "small":
        longest = float(rng.uniform(40, 70))
    elif condition == "large":
        longest = float(rng.uniform(0.5, 0.8)) * min(size)
    else:
        longest = float(rng.uniform(0.15, 0.4)) * max(size)
    scale = longest / max(w, h)
    if condition == "recoloured":
        logo = _recolour(logo, rng)
    angle = float(rng.uniform(-180, 180)) if condition == "rotation" else float(
        rng.uniform(-5, 5))
    tilt = float(rng.uniform(35, 60)) if condition == "perspective" else 0.0
    quad = _place(canvas, _quad(w * scale, h * scale, angle=angle, tilt=tilt, rng=rng), logo,
                  rng)
    if quad is None:
        return None
    canvas = _paste(canvas, logo, quad)
    if condition == "occlusion":
        low, high = quad.min(axis=0), quad.max(axis=0)
        cover = (high - low) * np.asarray([rng.uniform(0.25, 0.35), 1.0])
        x0 = int(low[0] if rng.random() < 0.5 else high[0] - cover[0])
        y0 = int(low[1])
        patch = _background(photo, (max(1, int(cover[0])), max(1, int(cover[1]))), rng)
        y1 = min(canvas.shape[0], y0 + patch.shape[0])
        x1 = min(canvas.shape[1], x0 + patch.shape[1])
        x0, y0 = max(0, x0), max(0, y0)
        canvas[y0:y1, x0:x1] = patch[: y1 - y0, : x1 - x0]
    quality = 90
    if condition == "blur":
        canvas = cv2.GaussianBlur(canvas, (0, 0), float(rng.uniform(1.5, 3.0)))
    if condition == "jpeg":
        quality = int(rng.integers(15, 35))
    shown = float(max(np.ptp(quad[:, 0]), np.ptp(quad[:, 1])))
    return Composed(canvas, quality, [[round(float(x), 1), round(float(y), 1)] for x, y in quad],
                    shown)


# ---- the benchmark ----------------------------------------------------------------------------

@dataclass
class PublicSources:
    organisations: list[Organisation]
    decoys: list[Mark]
    photos: list[tuple[str, Path | None]]  # (name, file; None for scikit-image's)


def gather(marks_dir: Path, photo_root: Path = Path("/usr/share")) -> PublicSources:
    logos = iconify_marks(_tarball(marks_dir, "@iconify-json/logos"))
    simple = simple_icon_marks(_tarball(marks_dir, "simple-icons"))
    orgs = organisations(logos)
    paired = {o.name for o in orgs} | {f"{o.name}-icon" for o in orgs}
    decoys = [m for n, m in sorted(logos.items()) if n not in paired]
    decoys += [m for _, m in sorted(simple.items())]
    photos: list[tuple[str, Path | None]] = [(str(p), p) for p in photo_files(photo_root)]
    photos += [(name, None) for name in (f"skimage:{n}" for n in SKIMAGE_PHOTOS)]
    return PublicSources(orgs, decoys, photos)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(
    out_dir: Path | str,
    *,
    marks_dir: Path | str = DEFAULT_MARKS_DIR,
    photo_root: Path | str = Path("/usr/share"),
    seed: int = 15,
    organisations_per_part: int = 6,
    positives: int = 240,
    negatives: int = 120,
    decoy_fraction: float = 2 / 3,
    parts: tuple[str, ...] = ("dev", "held"),
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, Path]:
    """Write references, images, `<part>.jsonl` and `<part>.references.json` for each part,
    and `manifest.json` (sources, versions, split, seed). Returns the JSONL path of each part."""
    import cv2

    out = Path(out_dir)
    marks_dir, photo_root = Path(marks_dir), Path(photo_root)
    sources = gather(marks_dir, photo_root)
    rng_pick = np.random.default_rng(seed)
    org_split = split([o.name for o in sources.organisations], seed)
    by_name = {o.name: o for o in sources.organisations}
    chosen: dict[str, list[Organisation]] = {}
    for part in ("dev", "held"):
        names = list(org_split[part])
        rng_pick.shuffle(names)
        picked: list[Organisation] = []
        for name in names:
            if usable_organisation(by_name[name]):
                picked.append(by_name[name])
            if len(picked) == organisations_per_part:
                break
        chosen[part] = picked
    stems = {_stem(o.name) for part in chosen.values() for o in part}
    decoys = [d for d in sources.decoys if _stem(d.name) not in stems]
    decoy_split = split([d.name for d in decoys], seed)
    decoy_by_name = {d.name: d for d in decoys}
    photo_split = split([name for name, _ in sources.photos], seed)
    photo_by_name = dict(sources.photos)
    manifest: dict[str, object] = {
        "seed": seed, "icon_packages": ICON_PACKAGES, "photo_packages": list(PHOTO_PACKAGES),
        "held_back": "held.jsonl is for the final measurement only",
        "parts": {},
    }
    written: dict[str, Path] = {}
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for part in parts:
        rng = np.random.default_rng([seed, 1 if part == "held" else 0])
        folder = out / part
        (folder / "images").mkdir(parents=True, exist_ok=True)
        references = []
        for org in chosen[part]:
            for version in VERSIONS:
                for colour in COLOURS:
                    path = folder / "references" / org.name / f"{version}-{colour}.png"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    rgba = version_rgba(org, version, colour, 512)
                    cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
                    references.append({"brand": org.name, "variant": f"{version}-{colour}",
                                       "path": str(path.relative_to(out))})
        photos: list[tuple[str, np.ndarray]] = []
        wanted = set(photo_split[part])
        for name, file in sorted(photo_by_name.items()):
            if name in wanted and file is not None:
                photos.append((name, _load_photo(file)))
        photos += [(n, p) for n, p in skimage_photos() if n in wanted]
        photos = [(n, p) for n, p in photos if float(p.std()) >= MIN_PHOTO_STD]
        if not photos:
            raise BenchSourceError(f"no photographs for the {part} part")
        part_decoys = [decoy_by_name[n] for n in decoy_split[part]]
        lines = []
        plan = _plan(positives, negatives, decoy_fraction, rng)
        for number, (kind, condition, version, colour) in enumerate(plan, start=1):
            logo, brand, shown_marks = None, None, []
            if kind == "positive":
                org = chosen[part][number % len(chosen[part])]
                brand = org.name
                logo = version_rgba(org, version, colour, 600)
                shown_marks = [f"{org.name}:{version}-{colour}"]
            elif kind == "decoy":
                mark = part_decoys[int(rng.integers(len(part_decoys)))]
                try:
                    logo = render(mark, 600)
                except (ValueError, OSError):
                    logo = None
                if logo is not None and colour != "colour":
                    logo = single_colour(logo, 0 if colour == "black" else 255)
                shown_marks = [mark.name]
            composed = None
            for _ in range(50):
                photo_name, photo = photos[int(rng.integers(len(photos)))]
                composed = compose(condition, photo, logo, rng)
                if composed is not None:
                    break
            if composed is None:
                raise BenchSourceError(f"{shown_marks}: no photo gives it contrast enough")
            name = f"{number:04d}-{kind}-{condition}.jpg"
            cv2.imwrite(str(folder / "images" / name),
                        cv2.cvtColor(composed.image, cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, composed.quality])
            facets = {"condition": condition}
            if kind == "positive":
                facets |= {"version": version, "colour": colour,
                           "size": size_bucket(composed.longest)}
            lines.append({
                "platform": "x", "id": f"public-logo-{part}-{number}",
                "url": f"https://x.com/bench/status/{number}",
                "created_at": (start + timedelta(minutes=number)).isoformat(),
                "text": "photo",
                "author": {"id": f"8{number:05d}", "handle": f"viewer{number}",
                           "display_name": "A viewer"},
                "media": [{"url": f"https://example.org/{name}", "type": "image",
                           "path": f"images/{name}"}],
                "labels": ["logo_misuse"] if kind == "positive" else [],
                "condition": condition if kind == "positive" else kind,
                "brand": brand, "facets": facets, "marks": shown_marks,
                "photo": photo_name, "box": composed.box,
                "logo_px": round(composed.longest, 1),
            })
            if progress:
                progress(part, number)
        target = folder / f"{part}.jsonl"
        target.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        (folder / f"{part}.references.json").write_text(
            json.dumps([{**r, "path": str(Path("..") / r["path"])} for r in references],
                       indent=1), encoding="utf-8")
        manifest["parts"][part] = {  # type: ignore[index]
            "organisations": [o.name for o in chosen[part]],
            "photos": [{"name": n, "sha256": _sha256(f) if (f := photo_by_name[n]) else None}
                       for n, _ in photos],
            "decoys": len(part_decoys), "images": len(lines),
        }
        written[part] = target
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return written


def _plan(positives: int, negatives: int, decoy_fraction: float, rng: np.random.Generator
          ) -> list[tuple[str, str, str, str]]:
    """(kind, condition, version, colour) of every image, in a shuffled order. Conditions,
    versions and colours are balanced, each crossed with the others by the shuffle."""
    conditions = [CONDITIONS[i % len(CONDITIONS)] for i in range(positives)]
    versions = [VERSIONS[i % len(VERSIONS)] for i in range(positives)]
    colours = [COLOURS[i % len(COLOURS)] for i in range(positives)]
    rng.shuffle(versions)
    rng.shuffle(colours)
    plan = [("positive", c, v, k) for c, v, k in zip(conditions, versions, colours, strict=True)]
    decoys = round(negatives * decoy_fraction)
    for i in range(negatives):
        if i < decoys:
            plan.append(("decoy", CONDITIONS[i % len(CONDITIONS)], "symbol",
                         COLOURS[i % len(COLOURS)]))
        else:
            plan.append(("no_logo", "clean", "", "colour"))
    order = rng.permutation(len(plan))
    return [plan[i] for i in order]
