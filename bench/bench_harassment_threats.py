"""The threat frames (detectors/harassment/threats.py) on tweets the project did not write.

Neither data set labels threats, so the set is built from their own labels:
  * tweets from the parts of OLID's training file no model here learnt from (held-out and
    calibration) that contain a word of violence (`VIOLENT_WORDS` below, a wider list than the
    frames' verbs: "die", "dead", "gun", "bomb", "attack" too);
  * positive: OLID says offensive and targeted ("targeted insult or threat", subtask B TIN), the
    only label a threat can have; negative: not offensive (a threat is offensive by OLID's
    guidelines) or offensive but untargeted.
Most targeted offences with a violent word are insults, not threats ("gun control kills"), so
recall here is the share of such offences the frames read as a threat, not a threat recall; the
count that matters is the false alarms: threats flagged on tweets OLID calls not offensive.
Davidson's two parts are counted the same way (positive: hate speech or offensive language).

For each way of scoring it prints flagged positives and negatives, precision and that share:
  * the frames that were the old phrase table, without the negation check;
  * every frame without the negation check;
  * every frame with it (what the detector runs);
  * the classifier's offensive head alone, for comparison.

    .venv/bin/python bench/bench_harassment_threats.py --data ../shared/data/text [--show]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

VIOLENT_WORDS = re.compile(
    r"\b(?:kill(?:s|ed|ing)?|murder\w*|shoot(?:s|ing)?|shot|stab\w*|chok\w+|strangl\w+|"
    r"hang(?:s|ed|ing)?|hung|lynch\w*|punch\w*|slap\w*|hurt\w*|burn\w*|rape\w*|bur(?:y|ied)|"
    r"beat(?:s|en|ing)?|die[sd]?|dead|death|bomb\w*|guns?|knife|knives|smack\w*|"
    r"destroy\w*|execut\w*|tortur\w*|behead\w*|slit|attack\w*|drown\w*)\b",
    re.I,
)
# The frames the phrase table had before threats.py (its patterns, a little widened since).
OLD_TABLE = frozenset(
    {
        "intent", "find_you", "know_where", "watching", "know_routine", "not_safe", "or_else",
        "be_scared", "lesson", "hope_harm", "burn_down", "watch_back", "you_will_suffer",
        "wish", "deserves", "kill_yourself", "attack_on_campus", "you_are_dead",
        "call_to_violence",
    }
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the data sets")
    parser.add_argument("--show", action="store_true", help="print the flagged tweets")
    args = parser.parse_args()

    from detectors.harassment.model import ARTEFACT_DIR, TextScorer
    from detectors.harassment.threats import threat_spans
    from detectors.harassment.training.labelled_text import read_datasets
    from detectors.harassment.training.recipe import TrainSettings, training_split

    settings = TrainSettings()
    splits = training_split(args.data, settings)
    everything = read_datasets(args.data, settings.datasets)
    sets = {}
    for name in settings.datasets:
        parts = splits.heldout[name] + [e for e in splits.calibration if e.source == name]
        unseen = {e.id for e in parts}
        # The frames are rules that learnt from no tweet: the whole file measures them; the
        # classifier is compared on the parts it was not trained on only.
        for label, pool in ((f"{name} (all)", everything[name]), (f"{name} (not trained on)",
                                                                 parts)):
            violent = [e for e in pool if VIOLENT_WORDS.search(e.text)]
            truth = [
                bool(e.offensive and e.targeted) if name == "olid" else bool(e.offensive)
                for e in violent
            ]
            sets[label] = (violent, truth, all(e.id in unseen for e in violent))
            print(f"{label}: {len(pool)} tweets, {len(violent)} with a violent word, "
                  f"{sum(truth)} positive")

    def frames(allowed: frozenset[str] | None, negation: bool) -> Callable[[str], bool]:
        def flag(text: str) -> bool:
            return any(
                (allowed is None or s.frame in allowed) and (not negation or not s.negated)
                and s.strength >= 0.5
                for s in threat_spans(text)
            )
        return flag

    scorer = TextScorer.from_dir(ARTEFACT_DIR)
    offensive: dict[str, float] = {}
    for violent, _, unseen_only in sets.values():
        if not unseen_only:
            continue
        texts = [e.text for e in violent]
        offensive.update(zip(texts, (s["offensive"] for s in scorer.score(texts)), strict=True))
    ways: dict[str, Callable[[str], bool]] = {
        "old table frames, no negation check": frames(OLD_TABLE, negation=False),
        "every frame, no negation check": frames(None, negation=False),
        "every frame with the negation check (detector)": frames(None, negation=True),
        "offensive head >= 0.5 (for comparison)": lambda t: offensive[t] >= 0.5,
    }
    for name, (violent, truth, unseen_only) in sets.items():
        print(f"\n{name}: {'way':<48} {'flag +':>7} {'flag -':>7} {'precision':>10} "
              f"{'share of +':>11}")
        for label, flag in ways.items():
            if "head" in label and not unseen_only:
                continue
            flags = [flag(e.text) for e in violent]
            tp = sum(f and t for f, t in zip(flags, truth, strict=True))
            fp = sum(f and not t for f, t in zip(flags, truth, strict=True))
            precision = tp / (tp + fp) if tp + fp else float("nan")
            print(f"{'':<{len(name) + 2}}{label:<48} {tp:>7} {fp:>7} {precision:>10.3f} "
                  f"{tp / max(1, sum(truth)):>11.3f}")
            if args.show and "detector" in label:
                for e, f, t in zip(violent, flags, truth, strict=True):
                    if f:
                        print(f"      {'+' if t else '-'} {e.text[:120]!r}")


if __name__ == "__main__":
    main()
