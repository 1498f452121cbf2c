"""Details of internal complaints, disciplinary cases and legal proceedings that name University
people.

The guidance forbids sharing the details of such cases; talking about the complaints procedure
in general is fine. A finding therefore needs a case word ("grievance", "disciplinary hearing",
"employment tribunal") and a named person in the same stretch of text, and weighs more when the
case is described as concrete (an outcome, a date, a reference) or the person is protected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from detectors.base import Detector
from detectors.common.people import PeopleFinder, PersonMention, sentence_bounds, signals_about
from pipeline.core.models import Category, Finding, Post

_CASE_TERMS: dict[str, re.Pattern[str]] = {
    "complaint": re.compile(
        r"\b(?:(?:formal|internal|stage (?:1|2|one|two)|official)\s+complaint|grievance|"
        r"complaint (?:against|about|was (?:upheld|lodged|filed))|(?:filed|lodged|made|raised|"
        r"submitted|upheld) (?:a |an )?(?:formal )?(?:complaint|grievance)|OIA complaint|"
        r"bullying (?:complaint|allegation)s?|harassment (?:complaint|case|allegation)s?)\b",
        re.I,
    ),
    "disciplinary": re.compile(
        r"\b(?:disciplinary "
        r"(?:hearing|panel|case|action|proceedings|investigation|process|meeting)|"
        r"(?:was|been|being|got) (?:suspended|dismissed|sacked|fired|disciplined)|"
        r"misconduct (?:hearing|panel|investigation|case|allegation)s?|gross misconduct|"
        r"academic misconduct (?:panel|case|hearing)|"
        r"fitness to (?:practise|study) (?:panel|hearing|case)|"
        r"under investigation|investigation into)\b",
        re.I,
    ),
    "legal_proceedings": re.compile(
        r"\b(?:employment tribunal|tribunal (?:claim|hearing|case|ruling)|"
        r"(?:is|are|was|being|been) "
        r"(?:sued|suing)|sue[sd]? (?:the university|qmul|queen mary|him|her|them)|lawsuit|"
        r"legal (?:action|proceedings|case|claim)|(?:county|high|crown|magistrates'?) court|"
        r"settlement agreement|NDA|non-disclosure agreement|claim number|case no\.?|"
        r"arrested|charged with|injunction|solicitor'?s'? (?:letter|for)|letter before claim)\b",
        re.I,
    ),
}
# What makes a mention concrete: an outcome, a date, a reference, or "leaked" details.
_DETAIL = re.compile(
    r"\b(?:upheld|dismissed|outcome|found (?:guilty|responsible)|sanction|hearing (?:on|is|was)|"
    r"on \d{1,2}(?:st|nd|rd|th)? \w+|ref(?:erence)?\.? ?\w*\d|case (?:no\.?|number)|"
    r"leaked|minutes|letter|email|panel|statement|evidence|witness|allegations?|details?)\b",
    re.I,
)
# Roles that make an unnamed subject a University person ("my supervisor").
_ROLE = re.compile(
    r"\b(?:lecturer|professor|prof|supervisor|tutor|head of (?:school|department)|dean|"
    r"vice[- ]principal|principal|staff member|member of staff|academic|PI)\b",
    re.I,
)
# General talk about procedures is not a case.
_PROCEDURE = re.compile(
    r"\b(?:how (?:do|can|to) (?:i|we|you)|procedure|policy|guidance|process for|where (?:do|can) "
    r"(?:i|we)|anyone know|any advice|training|workshop|webinar|rights)\b",
    re.I,
)


class ComplaintsDetector(Detector):
    name = "complaints"
    categories = (Category.complaints_legal,)

    def load(self) -> None:
        self._people = PeopleFinder(self.config)
        self._loaded = True

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        self.ensure_loaded()
        findings = []
        for post in posts:
            finding = self._judge(post)
            if finding is not None:
                findings.append(finding)
        return findings

    def _judge(self, post: Post) -> Finding | None:
        text = post.all_text()
        cases = [(kind, m) for kind, pattern in _CASE_TERMS.items() for m in pattern.finditer(text)]
        if not cases:
            return None
        people = self._people.find(text)
        best: tuple[float, str, re.Match[str], PersonMention | None] | None = None
        for kind, match in cases:
            start, end = sentence_bounds(text, match.start(), match.end())
            # The case and the person may sit in neighbouring sentences.
            window_start, window_end = max(0, start - 200), min(len(text), end + 200)
            near = [p for p in people if window_start <= p.start < window_end]
            person = next((p for p in near if p.protected), None) or (near[0] if near else None)
            sentence = text[start:end]
            score = 0.3
            if person is not None:
                score += 0.45 if person.protected else 0.35
            elif _ROLE.search(sentence):
                score += 0.15
            if _DETAIL.search(text[window_start:window_end].replace(match.group(0), " ")):
                score += 0.1
            if _PROCEDURE.search(sentence) and person is None:
                score -= 0.2
            score = round(max(0.05, min(0.97, score)), 3)
            if best is None or score > best[0]:
                best = (score, kind, match, person)
        assert best is not None
        score, kind, match, person = best
        labels = {k: score for k, _ in cases}
        who = f" naming {person.who}" if person is not None else ""
        return Finding(
            post_id=post.doc_id,
            detector=self.name,
            category=Category.complaints_legal,
            signals=signals_about(person),
            score=score,
            explanation=f"Post gives details of a {kind.replace('_', ' ')}{who}.",
            evidence={
                # A keyword list (the Elasticsearch mapping); every label has the finding's score.
                "labels": sorted(labels),
                "spans": [
                    {"start": m.start(), "end": m.end(), "text": m.group(0), "kind": k}
                    for k, m in cases
                ]
                + (
                    [
                        {
                            "start": person.start,
                            "end": person.end,
                            "text": person.text,
                            "kind": "person",
                        }
                    ]
                    if person
                    else []
                ),
                "terms": sorted({m.group(0).lower() for _, m in cases}),
                **(
                    {
                        "person": person.protected.name
                        if person and person.protected
                        else person.text
                    }
                    if person
                    else {}
                ),
            },
        )
