"""Confidential material: configured marker phrases ("strictly confidential", "embargoed until").

Markers are matched case-insensitively on word boundaries, in the post's text and in any text
read from its images.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from detectors.base import Detector, register
from pipeline.models import Category, Finding, Post, Severity


@register
class ConfidentialDetector(Detector):
    name = "confidential"
    categories = (Category.confidential,)

    def load(self) -> None:
        markers = sorted({m.strip() for m in self.config.confidential_markers if m.strip()})
        self._pattern = (
            re.compile(r"(?<!\w)(" + "|".join(re.escape(m) for m in markers) + r")(?!\w)", re.I)
            if markers
            else None
        )
        self._loaded = True

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        self.ensure_loaded()
        if self._pattern is None:
            return []
        findings = []
        for post in posts:
            text = post.all_text()
            spans = [
                {"start": m.start(), "end": m.end(), "text": m.group(0)}
                for m in self._pattern.finditer(text)
            ]
            if not spans:
                continue
            terms = sorted({s["text"].lower() for s in spans})
            findings.append(
                Finding(
                    post_id=post.doc_id,
                    detector=self.name,
                    category=Category.confidential,
                    severity=Severity.high,
                    score=min(1.0, 0.7 + 0.1 * len(terms)),
                    explanation=f"Post contains the confidentiality marker(s) {', '.join(map(repr, terms))}.",
                    evidence={"spans": spans, "terms": terms},
                )
            )
        return findings
