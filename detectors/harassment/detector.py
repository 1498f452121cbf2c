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
  max_windows   128-token windows read per text window of 6,000 characters (default 16: a
                window of English prose is about 12); long posts are read window by window
                (pipeline.core.limits.text_windows) and score as their worst window
  allow_names   extra names that look like slurs but are not (places, surnames)
  min_score     below this nothing is reported, not even to `eval` (default 0.05)
  context       false turns off the false-positive cues and name masking, to measure them
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
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
from detectors.harassment.model import ARTEFACT_DIR, TextScorer
from detectors.harassment.scoring import harassment_score
from detectors.harassment.targeted import TargetedSignal
from pipeline.core.limits import MAX_TEXT_CHARS, text_windows
from pipeline.core.models import Category, Finding, Post

log = logging.getLogger(__name__)

LABELS = ("offensive", "targeted", "identity_attack", "threat")

Label = Literal["offensive", "targeted", "identity_attack", "threat"]

# Text windows scored in one call to the model: a batch of tweets is one call, and a batch of
# megabyte posts (182 windows each) is scored a few hundred windows at a time, which bounds the
# token lists held at once.
WINDOWS_PER_CALL = 256


@dataclass
class _Window:
    """One text window of a post: where it starts, what the cue layer saw, the model's labels."""

    post: int
    offset: int
    text: str
    cue: Cues
    model: dict[str, float] | None = None


class HarassmentOptions(DetectorOptions):
    # A model directory exported by `crestwatch export harassment` (default: the bundled one).
    model_dir: Path | None = None
    # The bundled model's folder, for a retrained copy (ignored with model_dir).
    artefact_dir: Path | None = None
    label_map: dict[str, Label] | None = None  # model label -> ours, with model_dir
    activation: Literal["sigmoid", "softmax"] | None = None
    threads: int | None = Field(default=None, ge=1, le=64)
    max_windows: int = Field(default=16, ge=1, le=64)
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
        texts = [post.all_text() for post in posts]
        windows = [
            _Window(i, offset, chunk, self._read_cues(chunk))
            for i, text in enumerate(texts)
            for offset, chunk in text_windows(text)
        ]
        for start in range(0, len(windows), WINDOWS_PER_CALL):
            self._score(windows[start : start + WINDOWS_PER_CALL])
        findings = []
        for post, text, own in zip(posts, texts, _per_post(windows, len(posts)), strict=True):
            finding = self._judge(post, text, own)
            if finding is not None:
                findings.append(finding)
        return findings

    def _read_cues(self, text: str) -> Cues:
        cue = read_cues(text, self._allow_names)
        if not self._use_context:
            cue.context, cue.unquoted_text = [], None
            cue.threat, cue.threat_spans = threat_matches(text)
        return cue

    def _score(self, windows: Sequence[_Window]) -> None:
        """Every window's labels, in one call to the model (and one more for the windows whose
        reported speech is scored without its quotes)."""
        assert self._scorer is not None
        # A window of reported speech keeps only its score without the quotes, so its text
        # with them is not scored at all.
        scores = self._scorer.score([
            w.cue.model_text if w.cue.unquoted_text is None else w.cue.unquoted_text
            for w in windows
        ])
        for window, score in zip(windows, scores, strict=True):
            window.model = score

    def _labels(self, cue: Cues, model: dict[str, float]) -> dict[str, float]:
        labels = {label: float(model.get(label, 0.0)) for label in LABELS}
        if "targeted" not in model:
            # A model without a targeting head: second person or a mention stands in for it.
            labels["targeted"] = labels["offensive"] * (0.8 if cue.second_person else 0.3)
        elif self._targeted is not None:
            labels["targeted"] = self._targeted.score(cue.model_text, labels["targeted"])
        labels["threat"] = max(labels["threat"], cue.threat)
        return labels

    def _judge(self, post: Post, text: str, windows: Sequence[_Window]) -> Finding | None:
        """The post's finding, from its worst window (the first of equals)."""
        judged = []
        for window in windows:
            labels = self._labels(window.cue, window.model or {})
            score, applied = harassment_score(labels, window.cue.context)
            judged.append((score, labels, applied, window))
        score, labels, applied, worst = max(judged, key=lambda j: j[0])
        if max(score, *labels.values()) < self._min_score:
            return None
        # Whether "targeted" beat chance on held-out OLID B; only then is it a signal.
        reliable = self._targeted is not None and self._targeted.reliable
        targets = self._targets.find(text[:MAX_TEXT_CHARS], _reply_ids(post))
        cue = _in_post(worst)
        evidence = _evidence(labels, targets, cue, applied, text, self.model_name, reliable)
        if len(windows) > 1:
            evidence["window"] = {"offset": worst.offset, "length": len(worst.text)}
        return Finding(
            post_id=post.doc_id,
            detector=self.name,
            category=Category.harassment,
            score=round(score, 4),
            explanation=_explain(labels, targets, applied, cue, reliable),
            evidence=evidence,
            signals=_signals(labels, targets, reliable),
        )


def _per_post(windows: Sequence[_Window], count: int) -> Iterator[list[_Window]]:
    """The windows of each post in turn (every post has at least one, empty text included)."""
    grouped: list[list[_Window]] = [[] for _ in range(count)]
    for window in windows:
        grouped[window.post].append(window)
    return iter(grouped)


def _in_post(window: _Window) -> Cues:
    """The window's cues with threat spans pointing into the whole post, for reviewers."""
    if not window.offset:
        return window.cue
    spans = [_shifted(span, window.offset) for span in window.cue.threat_spans]
    return replace(window.cue, threat_spans=spans)


def _shifted(span: dict[str, object], offset: int) -> dict[str, object]:
    start, end = span["start"], span["end"]
    assert isinstance(start, int) and isinstance(end, int)
    return {**span, "start": start + offset, "end": end + offset}


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
    if len(text) > MAX_TEXT_CHARS:
        evidence["truncated_at"] = MAX_TEXT_CHARS
    return evidence
