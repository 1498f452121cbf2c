"""Scoring policy, applied once to every detector's findings: thresholds and the whitelist.

Detectors report what they see with a score; whether that is worth a reviewer's time is decided
here, from the organisation config and the reviewers' whitelist, so one place answers "why was
this (not) flagged?".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pipeline.core.config import OrgConfig
from pipeline.core.models import Category, Finding, Post

if TYPE_CHECKING:
    from pipeline.store.base import Store


class Policy:
    def __init__(
        self, config: OrgConfig, *, whitelist: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.config = config
        self.whitelist = frozenset(whitelist)

    @classmethod
    def for_store(cls, config: OrgConfig, store: Store) -> Policy:
        """The policy with the reviewers' current whitelist from `store`."""
        return cls(config, whitelist=store.whitelist())

    def threshold(self, detector: str) -> float:
        return self.config.detector(detector).threshold

    def whitelisted(self, finding: Finding, post: Post | None) -> bool:
        if post is None or not self.whitelist:
            return False
        if ("account", f"{post.platform}:{post.author.id}") in self.whitelist:
            return True
        if finding.category is Category.logo_misuse:
            images = {m.sha256 for m in post.media if m.sha256}
            if sha := finding.evidence.get("image_sha256"):
                images = {sha}
            return any(("image", sha) in self.whitelist for sha in images)
        return False

    def admit(self, finding: Finding, post: Post | None = None) -> bool:
        return finding.score >= self.threshold(finding.detector) and not self.whitelisted(
            finding, post
        )

    def apply(
        self, findings: Iterable[Finding], posts: Mapping[str, Post] | None = None
    ) -> list[Finding]:
        posts = posts or {}
        return [f for f in findings if self.admit(f, posts.get(f.post_id))]
