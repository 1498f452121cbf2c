"""The one place that decides what becomes an alert: the Policy.

Detectors report what they saw: a score (how sure they are) and named signals ("threat",
"avatar_match", "about_person", ...). The Policy turns each finding into a `Decision` from the
organisation config and the reviewers' whitelist: admitted or not, the severity, and the reasons
(threshold, a purpose limit from `purpose_limits` (what the University must never be alerted on),
allow-list, whitelist scope, each severity rule that applied). The decision is stored
with the hit, the run summary counts what was suppressed and why, and `crestwatch eval` goes
through the same engine, so "why was this (not) flagged, and why this severity?" has one answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.core.config import OrgConfig, PurposeLimit, SeverityPolicy
from pipeline.core.models import Category, Decision, Finding, Post, Severity
from pipeline.policy.defaults import GENERIC, SEVERITY, SUPPRESS_WHEN

if TYPE_CHECKING:
    from pipeline.store.base import Store

# Why a finding was not admitted; the run summary counts these.
BELOW_THRESHOLD = "below threshold"
ALLOW_LISTED = "allow-list"
WHITELISTED = "whitelist"
# A purpose limit's finding is counted as "purpose limit: <its name>".
PURPOSE_LIMIT = "purpose limit"


@dataclass
class Screened:
    """The admitted findings of a batch with their decisions, and what was suppressed."""

    admitted: list[tuple[Finding, Decision]] = field(default_factory=list)
    suppressed: list[tuple[Finding, Decision]] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for f, _ in self.admitted]


class Policy:
    def __init__(
        self, config: OrgConfig, *, whitelist: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.config = config
        self.whitelist = frozenset(whitelist)
        self._limits = [(limit, _matcher(limit)) for limit in config.purpose_limits]

    @classmethod
    def for_store(cls, config: OrgConfig, store: Store) -> Policy:
        """The policy with the reviewers' current whitelist from `store`."""
        return cls(config, whitelist=store.whitelist())

    # --- the rules of one detector -------------------------------------------------------

    def threshold(self, detector: str) -> float:
        return self.config.detector(detector).threshold

    def severity_policy(self, detector: str) -> SeverityPolicy:
        configured = self.config.detector(detector).severity
        return configured or SEVERITY.get(detector, GENERIC)

    def suppressing_signals(self, detector: str) -> list[str]:
        configured = self.config.detector(detector).suppress_when
        return configured if configured is not None else SUPPRESS_WHEN.get(detector, [])

    # --- signals the policy adds ---------------------------------------------------------

    def author_signals(self, post: Post | None) -> list[str]:
        if post is None:
            return []
        signals = []
        account = self.config.registered(post.platform, post.author.handle, post.author.id)
        if account is not None:
            signals.append("registered_account")
            if account.may_use_logos:
                signals.append("logo_permitted")
        if post.author.verified:
            signals.append("verified_author")
        return signals

    def whitelisted(self, finding: Finding, post: Post | None) -> str | None:
        """The whitelist entry that covers this finding, described, or None. An entry covers an
        account for every category, an account for one category, or one image."""
        if post is None or not self.whitelist:
            return None
        account = f"{post.platform}:{post.author.id}"
        if ("account", account) in self.whitelist:
            return f"account {account} is whitelisted for every category"
        if ("account_category", f"{account}/{finding.category.value}") in self.whitelist:
            return f"account {account} is whitelisted for {finding.category.value}"
        if finding.category is Category.logo_misuse:
            images = {m.sha256 for m in post.media if m.sha256}
            if sha := finding.evidence.get("image_sha256"):
                images = {sha}
            for sha in sorted(images):
                if ("image", sha) in self.whitelist:
                    return f"image {sha[:12]} is whitelisted"
        return None

    def purpose_limit(self, finding: Finding, post: Post | None) -> PurposeLimit | None:
        """The first purpose limit that keeps this finding from being an alert, or None."""
        seen = {*finding.signals, *_labels(finding)}
        for limit, pattern in self._limits:
            if limit.categories and finding.category.value not in limit.categories:
                continue
            if seen & set(limit.unless):
                continue  # conduct the limit does not protect (a threat), still alerted on
            if seen & set(limit.signals):
                return limit
            if pattern is not None and post is not None and pattern.search(post.text or ""):
                return limit
        return None

    # --- the decision --------------------------------------------------------------------

    def decide(
        self, finding: Finding, post: Post | None = None, *, threshold: float | None = None
    ) -> Decision:
        signals = tuple(dict.fromkeys([*finding.signals, *self.author_signals(post)]))
        severity, reasons = self._severity(finding, set(signals))
        limit = self.threshold(finding.detector) if threshold is None else threshold
        suppressed_by = None
        if finding.score < limit:
            suppressed_by = BELOW_THRESHOLD
            reasons.insert(0, f"score {finding.score:.2f} below threshold {limit:.2f}")
        elif protected := self.purpose_limit(finding, post):
            suppressed_by = f"{PURPOSE_LIMIT}: {protected.name}"
            reasons.insert(0, f"purpose limit {protected.name!r}: {protected.reason}")
        elif allowed := [s for s in self.suppressing_signals(finding.detector) if s in signals]:
            suppressed_by = ALLOW_LISTED
            reasons.insert(0, f"allow-listed: {', '.join(allowed)}")
        elif entry := self.whitelisted(finding, post):
            suppressed_by = WHITELISTED
            reasons.insert(0, entry)
        else:
            reasons.insert(0, f"score {finding.score:.2f} at or above threshold {limit:.2f}")
        return Decision(suppressed_by is None, severity, tuple(reasons), signals, suppressed_by)

    def _severity(self, finding: Finding, signals: set[str]) -> tuple[Severity, list[str]]:
        policy = self.severity_policy(finding.detector)
        severity = Severity(policy.base)
        for level, minimum in sorted(policy.bands.items(), key=lambda kv: Severity(kv[0]).rank):
            if finding.score >= minimum and Severity(level).rank > severity.rank:
                severity = Severity(level)
        reasons = [f"severity {severity.value} from score {finding.score:.2f}"]
        for rule in policy.rules:
            if finding.score < rule.min_score or not set(rule.when) <= signals:
                continue
            if rule.any and not signals & set(rule.any):
                continue
            before = severity
            if rule.at_least and Severity(rule.at_least).rank > severity.rank:
                severity = Severity(rule.at_least)
            severity = severity.raised(rule.raise_by)
            if severity is not before:
                why = rule.reason or "+".join(rule.when or rule.any)
                reasons.append(f"{why}: {before.value} -> {severity.value}")
        return severity, reasons

    def screen(
        self, findings: Iterable[Finding], posts: Mapping[str, Post] | None = None
    ) -> Screened:
        posts = posts or {}
        screened = Screened()
        for finding in findings:
            decision = self.decide(finding, posts.get(finding.post_id))
            target = screened.admitted if decision.admitted else screened.suppressed
            target.append((finding, decision))
        return screened

    def apply(
        self, findings: Iterable[Finding], posts: Mapping[str, Post] | None = None
    ) -> list[Finding]:
        """The admitted findings only."""
        return self.screen(findings, posts).findings


def _labels(finding: Finding) -> list[str]:
    labels = finding.evidence.get("labels")
    return [str(label) for label in labels] if isinstance(labels, list) else []


def _matcher(limit: PurposeLimit) -> re.Pattern[str] | None:
    """One case-insensitive pattern for a limit's words (whole words or hashtags, not parts of
    longer words) and patterns; None when it matches by signals only."""
    parts = [rf"(?<!\w){re.escape(word)}(?!\w)" for word in limit.words]
    parts += [f"(?:{pattern})" for pattern in limit.patterns]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None
