"""Logo detector: speed against the number of reference logos, and quality on the benchmark.

In one run:
  1. speed: the same images (<= 1024 px, half with a logo) searched with 1, 10 and 50 reference
     logos in the shared index; CPU milliseconds per image with one worker (what one core
     costs), wall-clock images/s with two workers (what 2 cores deliver), and the ratio of the
     per-image cost at 50 and at 1 references (near 1 means the shared index scales);
  2. features: SIFT against ORB at 10 references, and the previous defaults (1024 px, SIFT
     contrast 0.04) at 10 references;
  3. quality: recall per condition and precision on the generated benchmark
     (`pipeline/logo_bench.py`) with the config's logos, as `crestwatch logo-eval` reports it.

    .venv/bin/python bench/bench_logo.py [--images 40] [--per-condition 20] [--skip-quality]

Timings depend on what else the machine runs; the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detectors.logo import bench as logo_bench  # noqa: E402
from detectors.logo.detector import LogoDetector  # noqa: E402
from pipeline.core.config import DetectorSettings, OrgConfig, ReferenceLogo, load_config  # noqa: E402
from pipeline.core.models import Author, Media, Post  # noqa: E402

log = logging.getLogger("bench_logo")

DEFAULTS = "defaults (sift, 640 px, contrast .06)"


def random_logo(seed: int, size: int = 400) -> np.ndarray:
    """A distinct made-up logo (RGBA): random shapes in random colours and random letters."""
    rng = np.random.default_rng(1000 + seed)
    rgba = np.zeros((size, size, 4), np.uint8)
    cv2.circle(rgba, (size // 2, size // 2), size // 2 - 4, (250, 250, 250, 255), -1)
    for _ in range(int(rng.integers(4, 8))):
        colour = (*[int(c) for c in rng.integers(0, 220, 3)], 255)
        kind = int(rng.integers(3))
        centre = [int(c) for c in rng.integers(80, size - 80, 2)]
        if kind == 0:
            cv2.circle(rgba, centre, int(rng.integers(15, 70)), colour, -1, cv2.LINE_AA)
        elif kind == 1:
            points = rng.integers(40, size - 40, (int(rng.integers(3, 6)), 2)).astype(np.int32)
            cv2.fillPoly(rgba, [cv2.convexHull(points)], colour, cv2.LINE_AA)
        else:
            cv2.rectangle(rgba, centre, [c + int(rng.integers(30, 90)) for c in centre], colour, 6)
    letters = "".join(chr(int(c)) for c in rng.integers(65, 91, 3))
    cv2.putText(rgba, letters, (70, size // 2 + 40), cv2.FONT_HERSHEY_TRIPLEX, 3.0,
                (20, 20, 20, 255), 6, cv2.LINE_AA)
    return rgba


def reference_set(config: OrgConfig, count: int, folder: Path) -> list[ReferenceLogo]:
    """The config's logos first, then made-up ones, `count` in all."""
    logos = list(config.logos)[:count]
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count - len(logos)):
        path = folder / f"random-{n}.png"
        if not path.exists():
            cv2.imwrite(str(path), cv2.cvtColor(random_logo(n), cv2.COLOR_RGBA2BGRA))
        logos.append(ReferenceLogo(brand=f"other{n}", variant="primary", path=path))
    return [ReferenceLogo(brand=r.brand, variant=r.variant, path=config.resolve(r.path))
            for r in logos]


def speed_images(config: OrgConfig, count: int, folder: Path) -> list[Post]:
    rng = np.random.default_rng(11)
    photos = logo_bench.photos()
    references = logo_bench.configured_references(config)
    posts = []
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        logo = references[n % len(references)][1] if n % 2 == 0 else None
        condition = "rotation" if n % 4 == 0 else "clean"
        image, _, _ = logo_bench.make_sample(condition, photos[n % len(photos)], logo, rng)
        path = folder / f"{n:03d}.jpg"
        cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        posts.append(Post(platform="x", id=str(n), created_at="2026-11-02T09:00:00Z",
                          author=Author(id="1", handle="viewer"),
                          media=[Media(url=f"https://example.org/{n}.jpg", path=str(path))]))
    return posts


def time_detector(
    config: OrgConfig, posts: list[Post], options: dict[str, object]
) -> dict[str, float]:
    detector = LogoDetector(config, DetectorSettings(options={"evidence": False, **options}))
    started = time.perf_counter()
    detector.load()
    load_seconds = time.perf_counter() - started
    detector.detect(posts[:2])  # warm up OpenCV's allocations
    cpu = time.process_time()
    detector.workers = 1
    found = len(detector.detect(posts))
    cpu_ms = 1000 * (time.process_time() - cpu) / len(posts)
    detector.workers = 2
    wall = time.perf_counter()
    detector.detect(posts)
    per_second = len(posts) / (time.perf_counter() - wall)
    return {"load_s": load_seconds, "cpu_ms": cpu_ms, "img_s_2": per_second, "found": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--per-condition", type=int, default=20)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    base = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = base.model_copy(update={"data_dir": work / "data"})
        posts = speed_images(config, args.images, work / "speed")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
              f"{len(posts)} images <= 1024 px, half with a logo")
        print(f"{'setup':34} {'refs':>4} {'CPU ms/img':>10} {'img/s (2 thr)':>13} "
              f"{'found':>5} {'load s':>6}")
        results = {}
        runs = [(1, {}), (10, {}), (50, {}), (10, {"features": "orb"}),
                (10, {"max_side": 1024, "contrast": 0.04})]
        for count, options in runs:
            refs = reference_set(base, count, work / "refs")
            cfg = config.model_copy(update={"logos": refs})
            result = time_detector(cfg, posts, options)
            name = ", ".join(f"{k}={v}" for k, v in options.items()) or DEFAULTS
            results[(count, name)] = result
            print(f"{name:34} {count:>4} {result['cpu_ms']:>10.0f} {result['img_s_2']:>13.1f} "
                  f"{int(result['found']):>5} {result['load_s']:>6.1f}")
        one = results[(1, DEFAULTS)]["cpu_ms"]
        fifty = results[(50, DEFAULTS)]["cpu_ms"]
        print(f"per-image cost with 50 references / with 1: {fifty / one:.2f}")

        if args.skip_quality:
            return
        from pipeline.evaluation.labelled import read_labelled
        from pipeline.evaluation.logo import evaluate_logo

        bench = logo_bench.generate(work / "quality", logo_bench.configured_references(base),
                                    per_condition=args.per_condition)
        labelled = read_labelled(bench)
        detector = LogoDetector(config, DetectorSettings(threshold=0.5,
                                                         options={"evidence": False}))
        report = evaluate_logo(detector, labelled, target_precision=0.98)
        print(f"\nquality on {report.posts} images ({args.per_condition} per condition, "
              f"threshold {report.threshold}):")
        for c in report.conditions:
            kind = "recall" if c.positives else "false-positive rate"
            print(f"  {c.condition:12} {c.flagged:>3}/{c.posts:<3} {kind} {c.rate:.3f}")
        print(f"precision {report.precision:.3f} recall {report.recall:.3f} "
              f"(tp {report.tp} fp {report.fp} fn {report.fn})")
        if report.threshold_at_target is not None:
            print(f"precision >= 0.98 from threshold {report.threshold_at_target:.3f}: "
                  f"recall {report.recall_at_target:.3f}")


if __name__ == "__main__":
    main()
