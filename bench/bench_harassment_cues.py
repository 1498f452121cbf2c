"""Each false-positive cue of the harassment detector, measured on OLID held-out tweets.

A cue (one pattern of reported speech, lyrics or friendly profanity) lowers the detector's score.
For every pattern this counts, among the held-out tweets the detector would flag without cues,
those the pattern un-flags: offensive ones (true positives lost) and not-offensive ones (false
positives removed). A cue pays only where it removes more false positives than true positives;
the detector keeps those (`KEPT_CUES` in detectors/harassment/context.py is chosen from this).

    .venv/bin/python bench/bench_harassment_cues.py --data ../shared/data/text
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _families() -> dict[str, Sequence[str]]:
    from detectors.harassment import context

    return {
        "reported_speech": context.REPORTING_CUES,
        "lyrics": context.LYRIC_CUES,
        "friendly_profanity": context.FRIENDLY_CUES,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the OLID file")
    parser.add_argument("--artefact", type=Path, help="model directory (default: the bundled)")
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()

    from detectors.harassment.detector import CONTEXT_FACTORS
    from detectors.harassment.model import ARTEFACT_DIR, TextScorer
    from detectors.harassment.training.recipe import TrainSettings, training_split

    examples = training_split(args.data, TrainSettings()).heldout["olid"]
    scorer = TextScorer.from_dir(args.artefact or ARTEFACT_DIR)
    scores = [s["offensive"] for s in scorer.score([e.text for e in examples])]
    flagged = [(e, s) for e, s in zip(examples, scores, strict=True) if s >= args.threshold]
    print(f"{len(examples)} held-out OLID tweets; {len(flagged)} flagged at "
          f"{args.threshold} without cues ({sum(bool(e.offensive) for e, _ in flagged)} offensive)")
    print(f"{'cue':<20} {'TP lost':>8} {'FP removed':>11}  pattern")
    for family, patterns in _families().items():
        factor = CONTEXT_FACTORS.get(family, 1.0)
        for pattern in patterns:
            regex = re.compile(pattern, re.I)
            hit = [(e, s) for e, s in flagged
                   if regex.search(e.text) and s * factor < args.threshold]
            lost = sum(bool(e.offensive) for e, _ in hit)
            removed = len(hit) - lost
            verdict = "keep" if removed > lost else "drop"
            print(f"{family:<20} {lost:>8} {removed:>11}  {verdict}  {pattern[:70]}")


if __name__ == "__main__":
    main()
