"""Logo detector speed on the public benchmark's images, with and without the outline search.

The first `--images` images of a part built by `crestwatch logo-bench --public` that are at
most 1024 px (the "small" condition's 1080p images are left out), searched for the part's first
`--references` reference logos: CPU milliseconds per image with one worker and wall-clock
images/s with two, for each setting.

    .venv/bin/python bench/bench_logo_public_speed.py /tmp/pb/dev/dev.jsonl [--images 60]

Timings depend on what else the machine runs; the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detectors.logo.detector import LogoDetector  # noqa: E402
from pipeline.cli.commands.logo_eval import _with_references  # noqa: E402
from pipeline.core.config import DetectorSettings, load_config  # noqa: E402
from pipeline.evaluation.labelled import read_labelled  # noqa: E402

SETTINGS = {"outline search off": {"shapes": False}, "defaults": {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", type=Path, help="dev.jsonl or held.jsonl of the public benchmark")
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--references", type=int, default=10)
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args()
    config = load_config(args.config)
    config = _with_references(config, args.bench.with_suffix(".references.json"))
    config = config.model_copy(update={"logos": config.logos[: args.references]})
    posts = [p for p in read_labelled(args.bench)
             if (p.model_extra or {}).get("condition") != "small"][: args.images]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {len(posts)} "
          f"images <= 1024 px, {len(config.logos)} references")
    for name, options in SETTINGS.items():
        detector = LogoDetector(config, DetectorSettings(options={"evidence": False, **options}))
        detector.load()
        detector.detect(posts[:2])  # warm up OpenCV's allocations
        detector.workers = 1
        cpu = time.process_time()
        detector.detect(posts)
        cpu_ms = 1000 * (time.process_time() - cpu) / len(posts)
        detector.workers = 2
        wall = time.perf_counter()
        detector.detect(posts)
        per_second = len(posts) / (time.perf_counter() - wall)
        print(f"{name:20s} {cpu_ms:6.0f} ms CPU per image, {per_second:5.1f} images/s (2 threads)")


if __name__ == "__main__":
    main()
