"""Reposted pictures among many remembered ones: does the visual-word shortlist keep finding the
copies, what does it cost per image, and what did comparing with every image cost.

Public photographs on the machine (Debian's wallpaper packages, scikit-image's sample images)
are split once, by a fixed seed, into three groups: originals (remembered), decoys (never
remembered, queried: nothing may match them) and fillers (remembered, cut into tiles so the
index holds many real, unrelated pictures). Each original is queried as four copies: half size
and recompressed, colours shifted, cropped to 70 %, mirrored. The index then grows with
synthetic images (random descriptors, which is what an unrelated picture's descriptors look
like to a Hamming matcher) to 500 and 5,000 images, and at each size the same queries run:

- recall: copies whose original comes first with coverage >= 0.5 (the detector's default);
- false matches: decoys with any match of coverage >= 0.5;
- ms per query image, with the shortlist and, at 500 images, comparing with every image (what
  the detector did before; at 5,000 OpenCV's matcher refuses that matrix).

    .venv/bin/python bench/bench_reposts_images.py [--sizes 500 5000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detectors.reposts import images  # noqa: E402
from detectors.reposts.images import ImageFeatures, ImageIndex, features  # noqa: E402

PHOTO_DIRS = [Path("/usr/share/backgrounds"), Path("/usr/share/desktop-base"),
              Path("/usr/share/wallpapers")]
SEED = 20261203


def public_photos() -> list[Path]:
    import skimage

    found = [p for d in PHOTO_DIRS if d.is_dir() for p in d.rglob("*")
             if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
    found += sorted((Path(skimage.__file__).parent / "data").glob("*.png"))
    kept = []
    for path in sorted(set(found)):
        image = cv2.imread(str(path))
        if image is not None and min(image.shape[:2]) >= 256:
            kept.append(path)
    return kept


def copies(image: np.ndarray, out: Path, stem: str) -> list[Path]:
    h, w = image.shape[:2]
    made = {
        "small": cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA),
        "colour": cv2.convertScaleAbs(image[:, :, ::-1], alpha=0.8, beta=25),
        "crop": image[int(h * 0.1):int(h * 0.8), int(w * 0.2):int(w * 0.9)],
        "mirror": cv2.flip(image, 1),
    }
    paths = []
    for kind, picture in made.items():
        path = out / f"{stem}-{kind}.jpg"
        cv2.imwrite(str(path), picture, [cv2.IMWRITE_JPEG_QUALITY, 40 if kind == "small" else 80])
        paths.append(path)
    return paths


def synthetic(rng: np.random.Generator) -> ImageFeatures:
    return ImageFeatures(rng.uniform(0, 640, (500, 2)).astype(np.float32),
                         rng.integers(0, 256, (500, 32), dtype=np.uint8), (640, 480))


def run(index: ImageIndex, originals: dict[int, str],
        queries: list[tuple[str, tuple[ImageFeatures, ImageFeatures]]],
        decoys: list[tuple[ImageFeatures, ImageFeatures]]) -> tuple[float, int, float]:
    found = 0
    started = time.perf_counter()
    for name, query in queries:
        best = [m for m in index.match(query) if m.coverage >= 0.5]
        found += bool(best) and originals.get(best[0].key) == name
    false = sum(any(m.coverage >= 0.5 for m in index.match(q)) for q in decoys)
    per = (time.perf_counter() - started) / (len(queries) + len(decoys)) * 1000
    return found / max(1, len(queries)), false, per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    args = parser.parse_args()
    photos = public_photos()
    random.Random(SEED).shuffle(photos)
    third = len(photos) // 3
    original_paths, decoy_paths, filler_paths = (photos[:third], photos[third:2 * third],
                                                 photos[2 * third:])
    rng = np.random.default_rng(SEED)
    index, originals = ImageIndex(), {}
    queries: list[tuple[str, tuple[ImageFeatures, ImageFeatures]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in original_paths:
            found = features(path)
            if found is None:
                continue
            originals[index.add(found[0])] = path.name
            image = cv2.imread(str(path))
            for copy in copies(image, Path(tmp), path.stem):
                if (query := features(copy)) is not None:
                    queries.append((path.name, query))
        decoys = [q for p in decoy_paths if (q := features(p)) is not None]
        decoy_names = [p.name for p in decoy_paths if features(p) is not None]
        for path in filler_paths:
            image = cv2.imread(str(path))
            h, w = image.shape[:2]
            for y in range(0, h - h // 3 + 1, h // 3):
                for x in range(0, w - w // 3 + 1, w // 3):
                    tile = Path(tmp) / "tile.png"
                    cv2.imwrite(str(tile), image[y:y + h // 3, x:x + w // 3])
                    if (item := features(tile)) is not None:
                        index.add(item[0])
    print(f"{len(photos)} public photos: {len(originals)} originals ({len(queries)} copies "
          f"queried), {len(decoys)} decoys, {len(index) - len(originals)} filler tiles")
    # The wallpaper packages ship some pictures twice (sizes, light and dark variants): a decoy
    # matching an original may be the same picture, which the names show.
    for name, query in zip(decoy_names, decoys, strict=True):
        for match in index.match(query):
            if match.coverage >= 0.5:
                print(f"decoy {name} matches {originals.get(match.key, 'a filler tile')} "
                      f"(coverage {match.coverage:.2f}, {match.inliers} inliers)")
    print("| images remembered | way | recall | false matches | ms per query image |")
    print("|---|---|---|---|---|")
    for size in sorted(args.sizes):
        while len(index) < size:
            index.add(synthetic(rng))
        recall, false, per = run(index, originals, queries, decoys)
        print(f"| {len(index)} | shortlist of {images.SHORTLIST} | {recall:.3f} | "
              f"{false} of {len(decoys)} | {per:.1f} |", flush=True)
        if len(index) * 500 < 1 << 18:
            kept, images.SHORTLIST = images.SHORTLIST, len(index)
            try:
                recall, false, every = run(index, originals, queries, decoys)
            finally:
                images.SHORTLIST = kept
            print(f"| {len(index)} | every image | {recall:.3f} | {false} of {len(decoys)} | "
                  f"{every:.1f} (x{every / per:.1f} the shortlist's) |", flush=True)


if __name__ == "__main__":
    main()
