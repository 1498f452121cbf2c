"""Confidential material: marker phrases ("strictly confidential", "not for circulation",
"embargoed until ..."), committee and board paper references, and the organisation's own markers.

Strong markers are phrases that only appear on restricted documents. Single words such as
"confidential" or "restricted" are weak on their own ("a confidential counselling service",
"restricted parking"); they count when they stand like a document label (capitals, a heading
line, "CONFIDENTIAL:"), or when the post also speaks of leaked minutes, memos or papers. Text read
from images weighs more: a screenshot of a marked page is what a leak looks like.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from detectors.base import Detector, DetectorOptions
from detectors.common.spans import SpanSet, line_around
from pipeline.core.models import Category, Finding, Post

# Phrases that mark a document as restricted wherever they appear.
_STRONG = (
    r"strictly (?:private and )?confidential",
    r"private (?:&|and) confidential",
    r"confidential[:\s-]+not for (?:circulation|distribution)",
    r"not for (?:wider )?circulation",
    r"not for (?:onward )?distribution",
    r"internal (?:use )?only",
    r"for internal use",
    r"do not (?:circulate|forward|distribute)",
    r"commercially (?:sensitive|confidential)",
    r"reserved (?:business|item|minute)s?",
    r"(?:under|strict) embargo",
    r"embargoed (?:until|till|to) [^\n.;]{3,40}",
    r"restricted circulation",
    r"legally privileged",
    r"(?:official|highly)[- ]sensitive",
    r"confidential (?:draft|minutes|annex|appendix|paper|memo|report)",
)
# Committee and board papers: a paper named with its reference code.
_BODIES = (
    r"(?:Senate|Council|Court|Board|Committee|Executive Board|SET|Finance Committee|"
    r"Audit Committee|Remuneration Committee|Academic Board|Governing Body|UEB|QMSE|QMC)"
)
_PAPER_REF = re.compile(
    rf"\b{_BODIES}\s+(?:paper|minutes?|item)\s*(?:ref(?:erence)?\.?\s*|no\.?\s*)?[:#]?\s*"
    r"[A-Z]{1,5}[/.-]?\d{2,4}(?:[/.-]\d{1,4}){0,2}\b"
    r"|\b(?:paper|item)\s+(?:ref(?:erence)?\.?\s*)?[A-Z]{1,5}/\d{2,4}/\d{1,4}\b",
)
# Single configured words that need a label-like position or leak context to count.
_WEAK_WORDS = {"confidential", "restricted", "sensitive", "private", "classified", "secret"}
# Uses of a weak word that describe a service or a promise, not a document.
_BENIGN_AFTER = re.compile(
    r"\s*(?:and|&)?\s*(?:free\s+|anonymous\s+|impartial\s+)*(?:counsel+ing|service|services|advice|"
    r"support|helpline|line|listening|reporting|wellbeing|therapy|conversation|chat|space|"
    r"session|sessions|appointment|appointments|waste|shredding|parking|access|area|zone|hours|"
    r"diet|to staff|information will|basis|manner|way)\b",
    re.I,
)
_BENIGN_BEFORE = re.compile(
    r"\b(?:kept|keep|keeps|treated|treat|remain|remains|stay|stays|handled|held|completely|totally|"
    r"fully|entirely|100%|always|free|anonymous|and|is|are|be|was|were|a|an)\s+(?:strictly\s+)?$",
    re.I,
)
_LEAK_CONTEXT = re.compile(
    r"\b(?:leak(?:ed|s)?|minutes|memo|memorandum|paper|draft|document|doc|slide|slides|"
    r"screenshot|email (?:from|chain)|whistle ?blow\w*|internal|agenda|annex|report|circulated)\b",
    re.I,
)


class _LeakContext:
    """Where the words around a leak (minutes, memo, leaked) are in one text, found once: asking
    for each marker by searching the whole text again made a text with many markers quadratic."""

    def __init__(self, text: str) -> None:
        # Matches do not overlap, so their starts and their ends are both in order.
        self._spans = [(m.start(), m.end()) for m in _LEAK_CONTEXT.finditer(text)]

    def around(self, start: int, end: int) -> bool:
        """Whether a context word stands anywhere in the text outside [start, end)."""
        spans = self._spans
        return bool(spans) and (spans[0][1] <= start or spans[-1][0] >= end)


@dataclass
class Marker:
    start: int
    end: int
    text: str
    kind: str  # confidential_marker | committee_paper | embargo
    strong: bool
    score: float


class ConfidentialOptions(DetectorOptions):
    # Markers on top of the organisation's `confidential_markers`.
    markers: list[str] = []


class ConfidentialDetector(Detector):
    name = "confidential"
    categories = (Category.confidential,)
    Options = ConfidentialOptions
    options: ConfidentialOptions

    def load(self) -> None:
        configured = sorted({m.strip() for m in self.config.confidential_markers if m.strip()})
        extra = list(self.options.markers)
        weak = [m for m in configured + extra if m.casefold() in _WEAK_WORDS]
        strong = [re.escape(m) for m in configured + extra if m.casefold() not in _WEAK_WORDS]
        # Configured committee names alone ("Senate paper") are weak; with a code they are strong.
        self._strong = re.compile(r"(?<!\w)(?:" + "|".join([*_STRONG, *strong]) + r")(?!\w)", re.I)
        words = sorted({m.casefold() for m in weak})
        self._weak = (
            re.compile(r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)", re.I)
            if words
            else None
        )
        self._loaded = True

    def _markers(self, text: str, context: _LeakContext) -> list[Marker]:
        found = [
            Marker(m.start(), m.end(), m.group(0), "committee_paper", True, 0.8)
            for m in _PAPER_REF.finditer(text)
        ]
        for m in self._strong.finditer(text):
            kind = "embargo" if "embargo" in m.group(0).lower() else "confidential_marker"
            if re.fullmatch(rf"{_BODIES}\s+(?:paper|minutes?)", m.group(0), re.I):
                # A paper named without its code is talked about more often than leaked.
                score = 0.55 if context.around(m.start(), m.end()) else 0.4
                found.append(
                    Marker(m.start(), m.end(), m.group(0), "committee_paper", False, score)
                )
            else:
                found.append(Marker(m.start(), m.end(), m.group(0), kind, True, 0.8))
        taken = SpanSet()
        for marker in found:
            taken.add(marker.start, marker.end)
        for m in self._weak.finditer(text) if self._weak else ():
            if taken.holds(m.start()) or self._benign(text, m):
                continue
            if self._labelled(text, m):
                found.append(
                    Marker(m.start(), m.end(), m.group(0), "confidential_marker", False, 0.6)
                )
            elif context.around(m.start(), m.end()):
                found.append(
                    Marker(m.start(), m.end(), m.group(0), "confidential_marker", False, 0.55)
                )
        found.sort(key=lambda f: f.start)
        kept: list[Marker] = []
        for marker in found:
            if kept and marker.start < kept[-1].end:
                continue
            kept.append(marker)
        return kept

    @staticmethod
    def _benign(text: str, m: re.Match[str]) -> bool:
        return bool(
            _BENIGN_AFTER.match(text, m.end())
            or _BENIGN_BEFORE.search(text[max(0, m.start() - 30) : m.start()])
        )

    @staticmethod
    def _labelled(text: str, m: re.Match[str]) -> bool:
        """A weak word counts as a marker where it stands like a label on a page."""
        word = m.group(0)
        line_start, line_end = line_around(text, m.start(), m.end())
        line = text[line_start:line_end]
        # A heading: the word opens a short line of its own ("Confidential", "Restricted draft").
        heading = not text[line_start : m.start()].strip(" *_#[(-") and len(line.split()) <= 4
        followed_by_colon = (
            text[m.end() : m.end() + 2].lstrip().startswith((":", "-", "–", "—", "]", ")"))
        )
        return (word.isupper() and len(word) > 3) or heading or followed_by_colon

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        self.ensure_loaded()
        findings = []
        for post in posts:
            text = post.all_text()
            context = _LeakContext(text)
            markers = self._markers(text, context)
            if not markers:
                continue
            findings.append(self._finding(post, markers, context))
        return findings

    def _finding(self, post: Post, markers: list[Marker], context: _LeakContext) -> Finding:
        strong = [m for m in markers if m.strong]
        in_image = any(m.start >= len(post.text) for m in markers)
        in_context = any(context.around(m.start, m.end) for m in markers)
        score = max(m.score for m in markers)
        score += 0.05 * (len({m.text.lower() for m in markers}) - 1) + (0.1 if in_image else 0.0)
        if strong and in_context:
            score += 0.05
        score = round(min(0.98, score), 3)
        labels = (
            {"confidential_marker": score}
            if any(m.kind == "confidential_marker" for m in markers)
            else {}
        )
        for kind in ("committee_paper", "embargo"):
            if any(m.kind == kind for m in markers):
                labels[kind] = score
        terms = sorted({m.text.lower() for m in markers})
        where = " in text read from an attached image" if in_image else ""
        return Finding(
            post_id=post.doc_id,
            detector=self.name,
            category=Category.confidential,
            signals=[name for name, present in (("strong_marker", strong),
                                                ("in_image", in_image)) if present],
            score=score,
            explanation=(
                f"Post carries the confidentiality marker(s) {', '.join(map(repr, terms))}{where}."
            ),
            evidence={
                # A keyword list (the Elasticsearch mapping); every label has the finding's score.
                "labels": sorted(labels),
                "spans": [
                    {
                        "start": m.start,
                        "end": m.end,
                        "text": m.text,
                        "kind": m.kind,
                        "in": "text" if m.end <= len(post.text) else "image",
                    }
                    for m in markers
                ],
                "terms": terms,
            },
        )
