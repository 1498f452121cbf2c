"""Fit and measure the targeted signal (detectors/harassment/targeted.py) for an artefact.

The artefact's own split is rebuilt from its recipe (`recipe_of`). The combination is fitted on
the offensive OLID tweets of the calibration part, which the classifier never trained on (so
its head's scores there are honest), and its decision threshold is the one with the best
macro-F1 over 5-fold cross-validated predictions on that part. The held-out part's offensive
tweets (OLID subtask B) are then scored once: macro-F1, ROC-AUC with a 95% bootstrap interval,
and beside them the head alone and "everything targeted". `reliable` is set from the interval
by the rule fixed in `RELIABLE_AUC` before any held-out figure was seen.

    .venv/bin/python -m detectors.harassment.training.targeted --data DATA
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detectors.harassment.model import ARTEFACT_DIR, TextScorer
from detectors.harassment.targeted import (
    RELIABLE_AUC,
    TARGETED_FILE,
    TargetedSignal,
    features,
)
from detectors.harassment.training.labelled_text import Example
from detectors.harassment.training.recipe import recipe_of, training_split

log = logging.getLogger(__name__)


def _best_threshold(truth: Sequence[bool], probs: Sequence[float]) -> float:
    from sklearn.metrics import f1_score

    candidates = [i / 100 for i in range(5, 96)]
    return max(
        candidates,
        key=lambda t: (
            round(float(f1_score(truth, [p >= t for p in probs], average="macro")), 4),
            -abs(t - 0.5),
        ),
    )


def bootstrap_auc(
    truth: Sequence[bool], scores: Sequence[float], *, rounds: int = 2000, seed: int = 13
) -> tuple[float, float]:
    """The 2.5% and 97.5% points of ROC-AUC over resamples of the tweets."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    y, s = np.asarray(truth, bool), np.asarray(scores, float)
    values = []
    for _ in range(rounds):
        pick = rng.integers(0, len(y), len(y))
        if y[pick].all() or not y[pick].any():
            continue
        values.append(roc_auc_score(y[pick], s[pick]))
    low, high = np.percentile(values, [2.5, 97.5])
    return round(float(low), 4), round(float(high), 4)


def _figures(truth: Sequence[bool], scores: Sequence[float], threshold: float) -> dict[str, Any]:
    from sklearn.metrics import f1_score, roc_auc_score

    low, high = bootstrap_auc(truth, scores)
    return {
        "macro_f1": round(float(f1_score(truth, [s >= threshold for s in scores],
                                         average="macro")), 4),
        "roc_auc": round(float(roc_auc_score(truth, scores)), 4),
        "roc_auc_95": [low, high],
    }


def fit_targeted(
    data_dir: Path, artefact_dir: Path = ARTEFACT_DIR, *, regularisation: float = 0.1
) -> TargetedSignal:
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    splits = training_split(data_dir, recipe_of(artefact_dir))
    scorer = TextScorer.from_dir(artefact_dir)

    def rows(examples: Sequence[Example]) -> tuple[Any, list[bool], list[float]]:
        chosen = [e for e in examples if e.source == "olid" and e.offensive]
        heads = [s["targeted"] for s in scorer.score([e.text for e in chosen])]
        x = np.array([features(e.text, h) for e, h in zip(chosen, heads, strict=True)])
        return x, [bool(e.targeted) for e in chosen], heads

    x_cal, y_cal, _ = rows(splits.calibration)
    model = LogisticRegression(C=regularisation, class_weight="balanced", max_iter=2000)
    folds = StratifiedKFold(5, shuffle=True, random_state=13)
    cv = cross_val_predict(model, x_cal, y_cal, cv=folds, method="predict_proba")[:, 1]
    threshold = _best_threshold(y_cal, cv)
    model.fit(x_cal, y_cal)
    signal = TargetedSignal(
        [float(w) for w in model.coef_[0]], float(model.intercept_[0]), threshold
    )

    x_held, y_held, heads_held = rows(splits.heldout["olid"])
    probs = model.predict_proba(x_held)[:, 1]
    combined = _figures(y_held, list(probs), threshold)
    head = _figures(y_held, heads_held, 0.5)
    signal.reliable = combined["roc_auc_95"][0] >= RELIABLE_AUC
    signal.measured = {
        "calibration": {
            "tweets": len(y_cal),
            "untargeted": len(y_cal) - sum(y_cal),
            "cv_macro_f1": round(float(f1_score(y_cal, cv >= threshold, average="macro")), 4),
        },
        "heldout": {
            "tweets": len(y_held),
            "untargeted": len(y_held) - sum(y_held),
            "combined": combined,
            "head_alone": head,
            "all_targeted_macro_f1": round(
                float(f1_score(y_held, [True] * len(y_held), average="macro")), 4
            ),
        },
    }
    return signal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with the OLID file")
    parser.add_argument("--artefact", type=Path, default=ARTEFACT_DIR)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    signal = fit_targeted(args.data, args.artefact)
    path = args.artefact / TARGETED_FILE
    path.write_text(json.dumps(signal.to_json(), indent=2) + "\n", encoding="utf-8")
    log.info("%s: %s", path, json.dumps(signal.measured))
    log.info("reliable (ROC-AUC 95%% lower bound >= %s): %s", RELIABLE_AUC, signal.reliable)


if __name__ == "__main__":
    main()
