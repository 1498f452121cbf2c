"""Each false-positive cue of the harassment detector, measured on OLID tweets the model was not
trained on.

A cue (one named pattern of reported speech, lyrics or friendly profanity,
`detectors.harassment.context.CUES`) lowers the detector's score. For every cue this runs the
cue layer with that cue alone, exactly as the detector does (quoted speech removed and the rest
scored again, the score formula of `detectors.harassment.scoring`), and counts, among the
tweets the detector flags with no cue at all, those the cue un-flags: offensive ones (true
positives lost) and not-offensive ones (false positives removed), by OLID's subtask A labels. A
cue pays only where it removes more false positives than true positives; `KEPT_CUES` in
detectors/harassment/context.py lists the cues kept.

Counts come from two parts of OLID's training file that no model here learnt from: the
held-out part and the calibration part (which only chose decision thresholds), 2,515 tweets in
all. Davidson's two parts are counted too (offensive = hate speech or offensive language).

    .venv/bin/python bench/bench_harassment_cues.py --data ../shared/data/text
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the OLID file")
    parser.add_argument("--artefact", type=Path, help="model directory (default: the bundled)")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--olid-only", action="store_true", help="skip Davidson")
    parser.add_argument("--show", action="store_true", help="print every tweet a cue changes")
    parser.add_argument("--cache", type=Path,
                        help="JSON file keeping the model's scores between runs (same artefact)")
    args = parser.parse_args()

    from detectors.harassment.context import CUES, KEPT_CUES, NAMES_THAT_LOOK_RUDE, read_cues
    from detectors.harassment.model import ARTEFACT_DIR, TextScorer
    from detectors.harassment.scoring import harassment_score
    from detectors.harassment.training.recipe import TrainSettings, training_split

    settings = TrainSettings()
    if args.olid_only:
        settings.datasets = ("olid",)
    splits = training_split(args.data, settings)
    parts = {}
    for name in settings.datasets:
        parts[f"{name} held-out"] = splits.heldout[name]
        parts[f"{name} calibration"] = [e for e in splits.calibration if e.source == name]
    scorer = TextScorer.from_dir(args.artefact or ARTEFACT_DIR)
    cache: dict[str, dict[str, float]] = {}
    if args.cache and args.cache.is_file():
        cache = json.loads(args.cache.read_text(encoding="utf-8"))

    def model(texts: list[str]) -> list[dict[str, float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in cache))
        cache.update(zip(missing, scorer.score(missing), strict=True))
        return [cache[t] for t in texts]

    def flags(texts: list[str], cue_names: tuple[str, ...]) -> list[bool]:
        cues = [read_cues(t, NAMES_THAT_LOOK_RUDE, cues=cue_names) for t in texts]
        read = [c.unquoted_text if c.unquoted_text is not None else c.model_text for c in cues]
        scores = []
        for cue, labels in zip(cues, model(read), strict=True):
            score, _ = harassment_score({**labels, "threat": cue.threat}, cue.context)
            scores.append(score >= args.threshold)
        return scores

    print(f"threshold {args.threshold}; counts are 'TP lost / FP removed' per part")
    header = f"{'cue':<34}" + "".join(f"{p:>20}" for p in parts) + "  OLID verdict"
    print(header)
    baseline = {}
    for part, examples in parts.items():
        texts = [e.text for e in examples]
        baseline[part] = flags(texts, ())
        flagged = sum(baseline[part])
        pairs = zip(baseline[part], examples, strict=True)
        offensive = sum(f and bool(e.offensive) for f, e in pairs)
        print(f"  {part}: {len(examples)} tweets, {flagged} flagged with no cue "
              f"({offensive} offensive)")
    if args.cache:
        args.cache.write_text(json.dumps(cache), encoding="utf-8")
    rows = [(f"{c.family}:{c.name}", (c.name,)) for c in CUES]
    rows.append(("all kept cues together", tuple(KEPT_CUES)))
    rows.append(("every cue together", tuple(c.name for c in CUES)))
    for label, names in rows:
        cells, lost_olid, removed_olid, changed = [], 0, 0, []
        for part, examples in parts.items():
            texts = [e.text for e in examples]
            now = flags(texts, names)
            hit = [e for e, before, after in zip(examples, baseline[part], now, strict=True)
                   if before and not after]
            lost = sum(bool(e.offensive) for e in hit)
            cells.append(f"{lost:>3} / {len(hit) - lost:<3}")
            if part.startswith("olid"):
                lost_olid += lost
                removed_olid += len(hit) - lost
            changed.extend((part, e) for e in hit)
        verdict = "keep" if removed_olid > lost_olid else (
            "no effect" if removed_olid == lost_olid == 0 else "drop")
        kept = "*" if set(names) <= set(KEPT_CUES) and len(names) == 1 else " "
        print(f"{kept}{label:<33}" + "".join(f"{c:>20}" for c in cells) + f"  {verdict}")
        if args.show:
            for part, e in changed:
                mark = "TP lost" if e.offensive else "FP removed"
                print(f"      {mark:<10} {part:<20} {e.text[:110]!r}")
    print("* = in KEPT_CUES")
    if args.cache:
        args.cache.write_text(json.dumps(cache), encoding="utf-8")


if __name__ == "__main__":
    main()
