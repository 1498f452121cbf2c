"""Is an offensive post aimed at someone? The classifier's targeted head with the cues of
address that OLID's annotators read: mentions, replies, second and third person.

OLID subtask B labels an offensive tweet targeted (an insult or threat at a person, a group or
something else) or untargeted (swearing at no one). The classifier's head learnt it from about
3,100 targeted and 430 untargeted tweets and is weak on its own (held-out ROC-AUC 0.59). A
logistic regression over the head's logit and a few features of address, fitted on the
calibration part (offensive tweets the classifier never trained on), combines them; training
writes its weights, its decision threshold and its held-out figures to
``artefact/targeted.json`` (`python -m detectors.harassment.training.targeted`).

`reliable` in that file says whether the held-out figures beat chance by the margin fixed
before measuring (the lower end of the 95% bootstrap interval of ROC-AUC at least
`RELIABLE_AUC`); only then does the detector emit the `targeted` signal, which the policy may
read for severity. The score itself never depends on it: offence aimed at no one is still shown.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detectors.harassment.model import ARTEFACT_DIR, normalise

TARGETED_FILE = "targeted.json"
# The margin over chance (0.5) that the held-out ROC-AUC's 95% interval must clear.
RELIABLE_AUC = 0.6

FEATURES = ("head_logit", "mentions", "reply", "second_person", "third_person", "log_length")

_SECOND = re.compile(r"\b(?:you|u|ur|your|yours|you're|youre|yourself|ya|yall|y'all)\b", re.I)
_THIRD = re.compile(r"\b(?:he|she|him|her|his|hers|they|them|their|these|those)\b", re.I)


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def features(text: str, head: float) -> list[float]:
    """The signal's inputs for one post: `head` is the classifier's targeted score."""
    t = normalise(text)
    return [
        _logit(head),
        float(t.count("@USER")),
        float(t.startswith("@USER")),
        float(bool(_SECOND.search(t))),
        float(bool(_THIRD.search(t))),
        math.log(len(t) + 1),
    ]


@dataclass
class TargetedSignal:
    """The fitted combination; `score` is shifted so that 0.5 is the decision threshold."""

    weights: list[float]
    intercept: float
    threshold: float = 0.5
    reliable: bool = False
    measured: dict[str, Any] = field(default_factory=dict)

    def score(self, text: str, head: float) -> float:
        z = self.intercept + sum(
            w * x for w, x in zip(self.weights, features(text, head), strict=True)
        )
        z -= _logit(self.threshold)
        return 1.0 / (1.0 + math.exp(-z))

    def scores(self, texts: Sequence[str], heads: Sequence[float]) -> list[float]:
        return [self.score(t, h) for t, h in zip(texts, heads, strict=True)]

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "weights": [round(w, 6) for w in self.weights],
            "intercept": round(self.intercept, 6),
            "threshold": self.threshold,
            "reliable": self.reliable,
            "reliable_rule": f"held-out ROC-AUC 95% bootstrap lower bound >= {RELIABLE_AUC}",
            "measured": self.measured,
        }

    @classmethod
    def load(cls, model_dir: Path = ARTEFACT_DIR) -> TargetedSignal | None:
        """The fitted signal beside a model, or None where it has none (another model)."""
        path = model_dir / TARGETED_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError(f"{path}: features: expected {list(FEATURES)}")
        return cls(
            [float(w) for w in data["weights"]],
            float(data["intercept"]),
            float(data.get("threshold", 0.5)),
            bool(data.get("reliable", False)),
            dict(data.get("measured", {})),
        )
