"""The data model every part of Crestwatch shares: Post (with Author and Media), Finding and Hit.

A Post is what a source yields, one JSON object per JSONL line (see the Post contract in
DESIGN.md). Unknown fields are kept, so a replayed payload round-trips without loss. A Finding is
what a detector says about a post; a Hit is what the store keeps and reviewers work on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator


def utcnow() -> datetime:
    return datetime.now(UTC)


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def raised(self, steps: int = 1) -> Severity:
        order = list(Severity)
        return order[min(len(order) - 1, max(0, self.rank + steps))]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class Category(StrEnum):
    """The policy categories of the University's staff social-media guidance."""

    confidential = "confidential"
    copyright = "copyright"
    reposted_work = "reposted_work"
    complaints_legal = "complaints_legal"
    personal_data = "personal_data"
    harassment = "harassment"
    impersonation = "impersonation"
    logo_misuse = "logo_misuse"
    account_hygiene = "account_hygiene"


class Status(StrEnum):
    new = "new"
    acknowledged = "acknowledged"
    escalated = "escalated"
    takedown_requested = "takedown_requested"
    resolved = "resolved"
    false_positive = "false_positive"
    whitelisted = "whitelisted"


class _Open(BaseModel):
    """Base for wire objects: unknown fields are kept and written back out."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Author(_Open):
    id: str
    handle: str
    display_name: str | None = None
    description: str | None = None
    avatar_url: str | None = None
    created_at: datetime | None = None
    verified: bool | None = None
    followers: int | None = None
    # Local copies of the avatar and banner (set by the media fetcher, or given in samples);
    # image detectors never fetch, so without them the images are simply not compared.
    avatar_path: str | None = None
    banner_path: str | None = None


class Media(_Open):
    url: str
    type: str = "image"
    path: str | None = None
    # Why a fetch was refused (address class, size, type); set by the media fetcher.
    error: str | None = None
    sha256: str | None = None


class Post(_Open):
    platform: str
    id: str
    url: str | None = None
    created_at: datetime
    text: str = ""
    lang: str | None = None
    author: Author
    media: list[Media] = Field(default_factory=list)
    in_reply_to: str | None = None
    quoted: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)

    @field_validator("platform", "id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        # Platforms hand out numeric ids (X, Mastodon); the document id is always text.
        return str(value) if isinstance(value, int) else value

    @property
    def doc_id(self) -> str:
        """The document id everywhere: writing the same post twice overwrites, never duplicates."""
        return f"{self.platform}:{self.id}"

    def all_text(self) -> str:
        """The post's text plus any text read from its images (OCR), for text detectors."""
        extra = [m.model_extra.get("ocr_text") for m in self.media if m.model_extra]
        return "\n".join([self.text, *[t for t in extra if t]])


class Finding(BaseModel):
    """One detector's verdict on one post (or, for impersonation, on the post's author)."""

    model_config = ConfigDict(extra="forbid")

    post_id: str  # the post's doc_id
    detector: str
    category: Category
    score: float = Field(ge=0.0, le=1.0)
    explanation: str
    # Labels (a list of names) and their scores (`label_scores`), spans, matched account, ...
    evidence: dict[str, Any] = Field(default_factory=dict)
    # What the detector saw that the policy's severity rules read ("threat", "parody", ...);
    # severity itself is the policy's decision (pipeline/policy/engine.py), never the detector's.
    signals: list[str] = Field(default_factory=list)
    # What the hit is about. Defaults to the post; a detector that judges accounts
    # (impersonation) sets it to the account, so one account yields one hit.
    subject: str | None = None

    @field_validator("evidence")
    @classmethod
    def _labels_are_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Stores index `labels` as keywords; per-label scores belong in `label_scores`.
        labels = value.get("labels")
        if labels is not None and not (
            isinstance(labels, list) and all(isinstance(x, str) for x in labels)
        ):
            raise ValueError("evidence.labels must be a list of names (scores: label_scores)")
        return value

    @property
    def hit_id(self) -> str:
        subject = self.subject or self.post_id
        digest = hashlib.sha1(f"{self.detector}|{self.category}|{subject}".encode()).hexdigest()
        return digest[:20]


@dataclass(frozen=True)
class Decision:
    """The policy's verdict on one finding (pipeline/policy/engine.py), stored with its hit."""

    admitted: bool
    severity: Severity
    reasons: tuple[str, ...]
    signals: tuple[str, ...] = ()
    # For a finding not admitted: why, in one of the engine's words ("below threshold", ...).
    suppressed_by: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {"reasons": list(self.reasons), "signals": list(self.signals)}


class AuditEntry(BaseModel):
    at: datetime = Field(default_factory=utcnow)
    actor: str
    action: str
    changes: dict[str, Any] = Field(default_factory=dict)


class Hit(BaseModel):
    """What the store keeps: a finding, a snapshot of its post, and its review state."""

    model_config = ConfigDict(extra="allow")

    id: str
    detector: str
    category: Category
    severity: Severity
    risk: str
    score: float
    explanation: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    # The policy's reasons for admitting the hit and for its severity, and the signals read.
    decision: dict[str, Any] = Field(default_factory=dict)
    subject: str
    platform: str
    post_id: str
    post_url: str | None = None
    post_text: str = ""
    post_created_at: datetime
    author_id: str
    author_handle: str
    author_display_name: str | None = None
    detected_at: datetime = Field(default_factory=utcnow)
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    status: Status = Status.new
    # When a reviewer first acted on the hit: review turnaround is first_action_at - first_seen.
    first_action_at: datetime | None = None
    review_minutes: float | None = None  # first_action_at - first_seen, for dashboards
    assignee: str | None = None
    tags: list[str] = Field(default_factory=list)
    notes: list[dict[str, Any]] = Field(default_factory=list)

    @classmethod
    def from_finding(
        cls, finding: Finding, post: Post, decision: Decision, *, now: datetime | None = None
    ) -> Hit:
        """A hit for an admitted finding. `post` is the post as stored (already masked by the
        runner: pipeline.core.masking.redact_post)."""
        now = now or utcnow()
        return cls(
            id=finding.hit_id,
            detector=finding.detector,
            category=finding.category,
            severity=decision.severity,
            risk=decision.severity.value,
            score=round(finding.score, 4),
            explanation=finding.explanation,
            evidence=finding.evidence,
            decision=decision.as_record(),
            subject=finding.subject or finding.post_id,
            platform=post.platform,
            post_id=post.doc_id,
            post_url=post.url,
            post_text=post.text,
            post_created_at=post.created_at,
            author_id=post.author.id,
            author_handle=post.author.handle,
            author_display_name=post.author.display_name,
            detected_at=now,
            first_seen=now,
            last_seen=now,
        )

    # Fields a re-detection may refresh; review state (status, assignee, tags, notes) and the
    # first detection (detected_at, first_seen) are never overwritten by a rerun.
    DETECTION_FIELDS: ClassVar[tuple[str, ...]] = (
        "detector", "category", "severity", "score", "explanation", "evidence", "decision",
        "subject", "platform", "post_id", "post_url", "post_text", "post_created_at", "author_id",
        "author_handle", "author_display_name", "last_seen",
    )

    def detection_doc(self) -> dict[str, Any]:
        doc = self.model_dump(mode="json")
        return {k: doc[k] for k in self.DETECTION_FIELDS}
