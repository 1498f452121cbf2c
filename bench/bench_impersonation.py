"""Impersonation detector: recall on lookalike names, false positives on unrelated accounts,
and throughput of the text signals (accounts per second), measured in one run.

    .venv/bin/python bench/bench_impersonation.py [--lookalikes 2000] [--unrelated 10000]

Accounts come from bench/impersonation_corpus.py (seeded, so every run judges the same ones).
Scores are compared with the configured impersonation threshold, as pipeline.policy.engine does.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.impersonation_corpus import (  # noqa: E402
    BRANDS,
    Account,
    brand_lookalikes,
    lookalikes,
    unrelated_accounts,
    word_accounts,
)
from detectors.impersonation.detector import ImpersonationDetector  # noqa: E402
from pipeline.core.config import BrandedAccount, DetectorSettings, load_config  # noqa: E402
from pipeline.core.models import Author  # noqa: E402

TARGET_RECALL = 0.95
TARGET_FP_RATE = 0.01
TARGET_RATE = 5000.0


def authors(accounts: list[Account]) -> list[Author]:
    return [
        Author(id=f"bench{i}", handle=a.handle, display_name=a.display_name or None,
               description=a.description or None)
        for i, a in enumerate(accounts)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookalikes", type=int, default=2000)
    parser.add_argument("--unrelated", type=int, default=10_000)
    parser.add_argument("--show", type=int, default=5, help="misses and false hits to print")
    parser.add_argument("--images", type=int, default=40, help="avatar images to compare")
    parser.add_argument("--brands", type=int, default=600,
                        help="lookalikes of short brand names (0: skip that part)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("CRESTWATCH_DATA_DIR", tempfile.mkdtemp(prefix="bench-imp-"))

    config = load_config()
    settings = config.detector("impersonation").model_copy(deep=True)
    settings = DetectorSettings(threshold=settings.threshold,
                                options={**settings.options, "memory": False})
    detector = ImpersonationDetector(config, settings)
    detector.ensure_loaded()
    threshold = settings.threshold

    fakes = lookalikes(config, args.lookalikes)
    others = unrelated_accounts(args.unrelated)
    fake_authors, other_authors = authors(fakes), authors(others)

    # CPU time of this process: on a shared machine wall time mostly measures the neighbours.
    start, wall = time.process_time(), time.perf_counter()
    other_scores = [detector.judge(a, "x").score for a in other_authors]
    elapsed, wall = time.process_time() - start, time.perf_counter() - wall
    fake_scores = [detector.judge(a, "x").score for a in fake_authors]

    caught = sum(s >= threshold for s in fake_scores)
    false_hits = [(s, a) for s, a in zip(other_scores, others, strict=True) if s >= threshold]
    recall = caught / len(fakes)
    fp_rate = len(false_hits) / len(others)
    rate = len(others) / elapsed

    missed = Counter(
        a.source.split(" <- ")[1] for s, a in zip(fake_scores, fakes, strict=True) if s < threshold
    )
    print(f"threshold                      {threshold}")
    print(f"lookalike recall               {recall:.4f} ({caught}/{len(fakes)}); "
          f"target >= {TARGET_RECALL} -> ratio {recall / TARGET_RECALL:.3f}")
    print(f"false-positive rate            {fp_rate:.4f} ({len(false_hits)}/{len(others)}); "
          f"target <= {TARGET_FP_RATE} -> ratio {fp_rate / TARGET_FP_RATE:.3f}")
    print(f"text signals, accounts/s       {rate:,.0f} per CPU second (1 core; wall clock "
          f"{len(others) / wall:,.0f}/s); target >= {TARGET_RATE:,.0f} -> ratio "
          f"{rate / TARGET_RATE:.2f}")
    if missed:
        print("missed lookalikes by change:   " + ", ".join(f"{k}: {v}" for k, v in
                                                          missed.most_common()))
    shown = 0
    for s, a in zip(fake_scores, fakes, strict=True):
        if s < threshold and shown < args.show:
            print(f"  missed {a.handle!r} / {a.display_name!r} ({a.source}) score {s:.2f}")
            shown += 1
    for s, a in sorted(false_hits, key=lambda x: -x[0])[: args.show]:
        print(f"  false hit {a.handle!r} / {a.display_name!r} ({a.source}) score {s:.2f}")
    ok = recall >= TARGET_RECALL and fp_rate <= TARGET_FP_RATE and rate >= TARGET_RATE
    if args.brands:
        ok = bench_brands(config, settings, args.brands, args.show) and ok
    if args.images:
        bench_images(config, args.images)
    return 0 if ok else 1


def bench_brands(config: object, settings: DetectorSettings, count: int, show: int) -> bool:
    """Short brand names as registered accounts: lookalikes of them (the same changes,
    ligatures included) against handles made of ordinary words and first names, where a
    one-letter edit of a short name is most often another word."""
    brand_config = config.model_copy(  # type: ignore[attr-defined]
        update={
            "accounts": [
                BrandedAccount(platform="x", handle=b, owner=f"brand {b}") for b in BRANDS
            ],
            "protected_people": [],
        }
    )
    detector = ImpersonationDetector(brand_config, settings)
    detector.ensure_loaded()
    threshold = settings.threshold
    fakes = brand_lookalikes(count)
    words = word_accounts(count * 10)
    fake_scores = [detector.judge(a, "x").score for a in authors(fakes)]
    word_scores = [detector.judge(a, "x").score for a in authors(words)]
    caught = sum(s >= threshold for s in fake_scores)
    false_hits = [(s, a) for s, a in zip(word_scores, words, strict=True) if s >= threshold]
    recall, fp_rate = caught / len(fakes), len(false_hits) / len(words)
    print(f"short brands: lookalike recall {recall:.4f} ({caught}/{len(fakes)}); "
          f"ratio {recall / TARGET_RECALL:.3f}")
    print(f"short brands: false-positive rate on word handles {fp_rate:.4f} "
          f"({len(false_hits)}/{len(words)}); ratio {fp_rate / TARGET_FP_RATE:.3f}")
    missed = [(s, a) for s, a in zip(fake_scores, fakes, strict=True) if s < threshold]
    for s, a in missed[:show]:
        print(f"  missed {a.handle!r} ({a.source}) score {s:.2f}")
    for s, a in sorted(false_hits, key=lambda x: -x[0])[:show]:
        print(f"  false hit {a.handle!r} score {s:.2f}")
    return recall >= TARGET_RECALL and fp_rate <= TARGET_FP_RATE


def bench_images(config: object, count: int) -> None:
    """Avatar comparison cost: half edited copies of the official avatar (re-encoded, shrunk,
    tinted), half unrelated drawings; every copy should match and no drawing should."""
    import cv2
    import numpy as np

    from detectors.impersonation.avatar import AvatarMatcher

    reference = next(config.resolve(a.avatar) for a in config.accounts if a.avatar)  # type: ignore[attr-defined]
    matcher = AvatarMatcher.from_paths({"@official": reference})
    original = cv2.imread(str(reference))
    rng = np.random.default_rng(5)
    folder = Path(tempfile.mkdtemp(prefix="bench-avatars-"))
    copies, others = [], []
    for i in range(count // 2):
        size = int(rng.integers(96, 400))
        edited = cv2.convertScaleAbs(cv2.resize(original, (size, size)),
                                     alpha=float(rng.uniform(0.85, 1.1)),
                                     beta=float(rng.uniform(-20, 20)))
        copies.append(folder / f"copy{i}.jpg")
        cv2.imwrite(str(copies[-1]), edited, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 90))])
        drawing = np.full((400, 400, 3), int(rng.integers(180, 255)), np.uint8)
        for _ in range(10):
            centre = tuple(int(v) for v in rng.integers(30, 370, 2))
            colour = tuple(int(v) for v in rng.integers(0, 255, 3))
            cv2.circle(drawing, centre, int(rng.integers(10, 90)), colour, -1)
        others.append(folder / f"other{i}.png")
        cv2.imwrite(str(others[-1]), drawing)
    start = time.process_time()
    found = [matcher.match(p) is not None for p in copies]
    wrong = [matcher.match(p) is not None for p in others]
    elapsed = time.process_time() - start
    rate = (len(copies) + len(others)) / elapsed
    print(f"avatar comparison              {rate:,.1f} images per CPU second; "
          f"edited copies matched {sum(found)}/{len(copies)}, unrelated matched "
          f"{sum(wrong)}/{len(others)}")


if __name__ == "__main__":
    sys.exit(main())
