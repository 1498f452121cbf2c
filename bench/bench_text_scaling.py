"""CPU time of every text detector on realistic mixed text at two sizes, and the ratio.

    .venv/bin/python bench/bench_text_scaling.py                    # 100 KB and 1 MB
    .venv/bin/python bench/bench_text_scaling.py --sizes 20000 200000 --detectors secrets

A detector linear in the text's length reads 10x the text in about 10x the time; the target is
at most about 12x. Times are this process's CPU seconds (`time.process_time`, all threads), so
another process on the machine does not inflate them; the ratio, both sizes measured in one
run, is the figure to compare, not the absolute times; each is the fastest of --repeat rounds
taken in turn with the other size. The text is tests/scaling.py's mixed
text: prose with addresses, numbers, links, markers and key-like strings.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.core.config import load_config  # noqa: E402
from tests.scaling import TEXT_DETECTORS, scaling, text_detector  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[100_000, 1_000_000])
    parser.add_argument("--detectors", nargs="+", default=list(TEXT_DETECTORS))
    parser.add_argument("--repeat", type=int, default=2, help="rounds; the fastest is kept")
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "example.yaml")
    args = parser.parse_args()
    config = load_config(args.config)
    small, large = args.sizes
    print(f"| detector | CPU s at {small:,} chars | CPU s at {large:,} chars | ratio |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as data:
        for name in args.detectors:
            detector = text_detector(config, name, Path(data) / name)
            low, high = scaling(detector, [small, large], repeat=args.repeat)
            ratio = high / low if low > 0 else float("inf")
            print(f"| {name} | {low:.3f} | {high:.3f} | {ratio:.1f}x |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
