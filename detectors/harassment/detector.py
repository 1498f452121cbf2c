"""Harassment, threats and discrimination: offensive, targeted, identity-attack and threat scores.

A fine-tuned MiniLM (the bundled encoder plus the project's trained top layers and heads, see
`crestwatch train harassment`) scores how offensive the language is, whether it targets someone,
and whether it attacks a group. Any local Hugging Face classifier can replace it
(options.model_dir + options.label_map). A cheap cue layer reads threats (threats.py), lowers the
score of classic false positives (reported speech, lyrics, friendly or self-directed profanity,
names that look like slurs) and finds the target: a University account or protected person
mentioned, named or replied to is the `targets_protected` signal, which the policy reads for
severity. The score (scoring.py) counts offence whether or not it is aimed at anyone; `targeted`
is a signal only while the bundled targeted fit beats chance on held-out tweets (targeted.py).

Options (config ``detectors.harassment.options``):
  model_dir     a model directory exported by `crestwatch export harassment` from any Hugging
                Face sequence classifier (default: the bundled model)
  label_map     {model label: offensive|targeted|identity_attack|threat}
  activation    sigmoid or softmax (default: the exported model's)
  threads       windows scored at once, one ONNX Runtime thread each (default: CPUs, at most 4)
  max_windows   128-token windows read per post (default 4)
  allow_names   extra names that look like slurs but are not (places, surnames)
  min_score     below this nothing is reported, not even to `eval` (default 0.05)
  context       false turns off the false-positive cues and name masking, to measure them
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from detectors.base import Detector, DetectorOptions
from detectors.harassment.context import (
    NAMES_THAT_LOOK_RUDE,
    Cues,
    Target,
    TargetFinder,
    read_cues,
    threat_matches,
)
from detectors.harassment.model import ARTEFACT_DIR, MAX_CHARS, TextScorer
from detectors.harassment.scoring import harassment_score
from detectors.harassment.targeted import TargetedSignal
from pipeline.core.models import Category, Finding, Post

log = logging.getLogger(__name__)

LABELS = ("offensive", "targeted", "identity_attack", "threat")

Label = Literal["offensive", "targeted", "identity_attack", "threat"]


class HarassmentOptions(DetectorOptions):
    # A model directory exported by `crestwatch export harassment` (default: the bundled one).
    model_dir: Path | None = None
    # The bundled model's folder, for a retrained copy (ignored with model_dir).
    artefact_dir: Path | None = None
    label_map: dict[str, Label] | None = None  # model label -> ours, with model_dir
    activation: Literal["sigmoid", "softmax"] | None = None
    threads: int | None = Field(default=None, ge=1, le=64)
    max_windows: int = Field(default=4, ge=1, le=64)
    allow_names: list[str] = []
    # Below this nothing is reported, not even to `eval`.
    min_score: float = Field(default=0.05, ge=0.0, le=1.0)
    # False turns off the false-positive cues and name masking, to measure them.
    context: bool = True


class HarassmentDetector(Detector):
    name = "harassment"
    categories = (Category.harassment,)
    Options = HarassmentOptions
    options: HarassmentOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = self.options
        self._min_score = options.min_score
        self._use_context = options.context
        self._allow_names = [*NAMES_THAT_LOOK_RUDE, *options.allow_names] if options.context else []
        self._targets = TargetFinder(self.config)
        self._scorer: TextScorer | None = None
        # The bundled model's targeted signal (detectors/harassment/targeted.py), if it has one.
        self._targeted: TargetedSignal | None = None
        self.model_name = "bundled"

    def load(self) -> None:
        options = self.options
        common: dict[str, Any] = {"max_windows": options.max_windows}
        if options.threads is not None:
            common["threads"] = options.threads
        if options.model_dir:
            path = self.config.resolve(options.model_dir)
            self._scorer = TextScorer.from_dir(
                path, label_map=options.label_map, activation=options.activation, **common
            )
            self.model_name = path.name
        else:
            artefact = options.artefact_dir
            path = self.config.resolve(artefact) if artefact else ARTEFACT_DIR
            self._scorer = TextScorer.from_dir(path, **common)
            self._targeted = TargetedSignal.load(path)
            self.model_name = "bundled MiniLM, fine-tuned"
        self._loaded = True

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        self.ensure_loaded()
        assert self._scorer is not None
        texts = [post.all_text() for post in posts]
        cues = [read_cues(text[: MAX_CHARS * 2], self._allow_names) for text in texts]
        if not self._use_context:
            for cue, text in zip(cues, texts, strict=True):
                cue.context, cue.unquoted_text = [], None
                cue.threat, cue.threat_spans = threat_matches(text[: MAX_CHARS * 2])
        scores = self._scorer.score([c.model_text for c in cues])
        reported = [i for i, c in enumerate(cues) if c.unquoted_text is not None]
        if reported:
            rescored = self._scorer.score([cues[i].unquoted_text or "" for i in reported])
            for i, unquoted in zip(reported, rescored, strict=True):
                scores[i] = unquoted
        findings = []
        for post, text, cue, score in zip(posts, texts, cues, scores, strict=True):
            finding = self._judge(post, text, cue, score)
            if finding is not None:
                findings.append(finding)
        return findings

    def _judge(self, post: Post, text: str, cue: Cues, model: dict[str, float]) -> Finding | None:
        labels = {label: float(model.get(label, 0.0)) for label in LABELS}
        if "targeted" not in model:
            # A model without a targeting head: second person or a mention stands in for it.
            labels["targeted"] = labels["offensive"] * (0.8 if cue.second_person else 0.3)
        elif self._targeted is not None:
            labels["targeted"] = self._targeted.score(cue.model_text, labels["targeted"])
        # Whether "targeted" beat chance on held-out OLID B; only then is it a signal.
        reliable = self._targeted is not None and self._targeted.reliable
        labels["threat"] = max(labels["threat"], cue.threat)
        targets = self._targets.find(text, _reply_ids(post))
        score, applied = harassment_score(labels, cue.context)
        if max(score, *labels.values()) < self._min_score:
            return None
        return Finding(
            post_id=post.doc_id,
            detector=self.name,
            category=Category.harassment,
            score=round(score, 4),
            explanation=_explain(labels, targets, applied, cue, reliable),
            evidence=_evidence(labels, targets, cue, applied, text, self.model_name, reliable),
            signals=_signals(labels, targets, reliable),
        )


def _reply_ids(post: Post) -> list[str]:
    extra = post.model_extra or {}
    keys = ("in_reply_to_user_id", "in_reply_to_account_id", "in_reply_to_author_id")
    return [str(extra[k]) for k in keys if extra.get(k)]


def _signals(labels: dict[str, float], targets: list[Target], targeted: bool) -> list[str]:
    """What the policy's severity rules read (pipeline/policy/defaults.py); `targeted` says
    whether the targeted label is reliable enough to be one of them."""
    names = ("identity_attack", "threat", "targeted") if targeted else ("identity_attack", "threat")
    signals = [name for name in names if labels[name] >= 0.5]
    if any(t.kind in ("protected_person", "university_account") for t in targets):
        signals.append("targets_protected")
    return signals


def _explain(
    labels: dict[str, float], targets: list[Target], applied: list[str], cue: Cues, targeted: bool
) -> str:
    if labels["threat"] >= 0.5 and cue.threat_spans:
        what = f"threatening language ({cue.threat_spans[0]['text']!r})"
    elif labels["identity_attack"] >= 0.5:
        what = f"an attack on a group identity (score {labels['identity_attack']:.2f})"
    elif targeted and labels["offensive"] >= 0.5 and labels["targeted"] >= 0.5:
        what = f"a targeted insult (offensive {labels['offensive']:.2f})"
    elif targeted and labels["offensive"] >= 0.5:
        what = f"untargeted offensive language (offensive {labels['offensive']:.2f})"
    elif labels["offensive"] >= 0.5:
        what = f"offensive language (offensive {labels['offensive']:.2f})"
    else:
        what = f"mildly offensive language (offensive {labels['offensive']:.2f})"
    sentence = f"Post contains {what}"
    people = [t for t in targets if t.kind != "organisation"]
    if people:
        t = people[0]
        who = f"{t.name} (@{t.handle})" if t.handle else t.name
        sentence += f", aimed at {t.kind.replace('_', ' ')} {who} ({t.how.replace('_', ' ')})"
    if applied:
        sentence += f"; lowered for {', '.join(a.replace('_', ' ') for a in applied)}"
    return sentence + "."


def _evidence(
    labels: dict[str, float],
    targets: list[Target],
    cue: Cues,
    applied: list[str],
    text: str,
    model_name: str,
    targeted: bool,
) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "labels": sorted(k for k, v in labels.items() if v >= 0.5),
        "label_scores": {k: round(v, 4) for k, v in labels.items()},
        "targets": [t.as_dict() for t in targets],
        "context": list(cue.context),
        "model": model_name,
    }
    if targeted:
        evidence["targeted"] = labels["targeted"] >= 0.5
    accounts = [t for t in targets if t.handle]
    if accounts:
        evidence["matched_account"] = accounts[0].handle
    if cue.threat_spans:
        evidence["spans"] = cue.threat_spans[:5]
        evidence["terms"] = sorted({str(s["text"]).lower() for s in cue.threat_spans})[:5]
    if applied:
        evidence["lowered_for"] = applied
    if len(text) > MAX_CHARS:
        evidence["truncated_at"] = MAX_CHARS
    return evidence
