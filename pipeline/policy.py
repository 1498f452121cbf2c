"""Scoring policy, applied once to every detector's findings: thresholds and allow-lists.

Detectors report what they see with a score; whether that is worth a reviewer's time is decided
here, from the organisation config, so one place answers "why was this (not) flagged?".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pipeline.config import OrgConfig
from pipeline.models import Finding


class Policy:
    def __init__(
        self,
        config: OrgConfig,
        *,
        is_whitelisted: Callable[[Finding], bool] | None = None,
    ) -> None:
        self.config = config
        self._is_whitelisted = is_whitelisted or (lambda finding: False)

    def threshold(self, detector: str) -> float:
        return self.config.detector(detector).threshold

    def admit(self, finding: Finding) -> bool:
        return finding.score >= self.threshold(finding.detector) and not self._is_whitelisted(
            finding
        )

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in findings if self.admit(f)]
