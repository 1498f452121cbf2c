"""The one store interface. SQLite (embedded default) and Elasticsearch implement it and pass
the same contract tests (tests/contract/test_store_contract.py)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pipeline.core.history import History
from pipeline.core.models import AuditEntry, Hit, Post, Status


class StoreError(RuntimeError):
    pass


class UnknownHit(StoreError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return f"no hit with id {self.args[0]!r}"


@dataclass
class WriteResult:
    """What a bulk write did: every document is either written or listed with its reason."""

    written: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    # Of `written`, how many were new to the store (the rest replaced a stored version): a
    # rerun or a post seen on two pages writes again but adds nothing.
    created: int = 0

    def __iadd__(self, other: WriteResult) -> WriteResult:
        self.written += other.written
        self.failed.extend(other.failed)
        self.created += other.created
        return self

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def store_wide(self) -> list[tuple[str, str]]:
        """Refusals that say the store itself cannot write now (an index blocked read-only by a
        full disk, a rejected or unavailable shard), not that one document is wrong: holding
        the document in quarantine would move the checkpoint past posts the store never took."""
        return [(doc_id, reason) for doc_id, reason in self.failed
                if reason.split(":", 1)[0].strip() in STORE_WIDE_REFUSALS]


# Elasticsearch's error types for a store that cannot take any write at the moment.
STORE_WIDE_REFUSALS = frozenset({
    "cluster_block_exception",
    "es_rejected_execution_exception",
    "unavailable_shards_exception",
    "index_not_found_exception",
    "no_shard_available_action_exception",
    "circuit_breaking_exception",
})


class HitQuery(BaseModel):
    status: list[str] = Field(default_factory=list)
    category: list[str] = Field(default_factory=list)
    platform: list[str] = Field(default_factory=list)
    detector: list[str] = Field(default_factory=list)
    risk: list[str] = Field(default_factory=list)
    author_id: str | None = None
    subject: str | None = None
    since: datetime | None = None  # on last_seen
    until: datetime | None = None
    limit: int = Field(default=50, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0)


# Review fields a reviewer may change; everything else belongs to detection.
REVIEW_FIELDS = ("status", "risk", "assignee", "tags", "notes", "first_action_at",
                 "review_minutes")

# Retention (docs/deploy.md): a hit the University is acting on (escalated, or a takedown
# requested) is kept until a reviewer moves it on; a closed one (resolved, dismissed as a false
# positive or whitelisted) goes after `retention.closed_hits_days`; any other (new,
# acknowledged: still to review) goes with its post after `retention.posts_days`.
HELD_STATUSES = (Status.escalated.value, Status.takedown_requested.value)
CLOSED_STATUSES = (Status.resolved.value, Status.false_positive.value, Status.whitelisted.value)
OPEN_STATUSES = tuple(s.value for s in Status if s.value not in HELD_STATUSES + CLOSED_STATUSES)


@dataclass
class Purged:
    """What a retention purge deleted: how many store documents, and the files (fetched media,
    avatars, evidence images) the deleted posts and hits named that no hit still kept names."""

    documents: int = 0
    files: set[str] = field(default_factory=set)


def record_files(posts: Iterable[Post], hits: Iterable[Hit]) -> set[str]:
    """The files a post or hit names: its fetched media, its author's avatar and banner, and a
    hit's evidence image."""
    paths: set[str] = set()
    for post in posts:
        paths.update(m.path for m in post.media if m.path)
        for name in ("avatar_path", "banner_path"):
            value = getattr(post.author, name, None)
            if value:
                paths.add(str(value))
    for hit in hits:
        image = hit.evidence.get("image_path")
        if isinstance(image, str) and image:
            paths.add(image)
    return paths


# What a whitelist entry names: an account for every category ("x:12345"), an account for one
# category ("x:12345/logo_misuse") or an image (its sha256). pipeline/policy/engine.py reads them.
WHITELIST_KINDS = ("account", "account_category", "image")


class Store(History, ABC):
    """Posts, hits (with review state and an append-only audit trail), source checkpoints and
    the history detectors read (pipeline/core/history.py: accounts seen, official posts, works
    others could copy)."""

    @abstractmethod
    def setup(self) -> None:
        """Create tables or index templates. Safe to call again."""

    @abstractmethod
    def upsert_posts(self, posts: Iterable[Post]) -> WriteResult: ...

    @abstractmethod
    def upsert_hits(self, hits: Iterable[Hit]) -> WriteResult:
        """Insert new hits; for known ids refresh detection fields and keep review state."""

    @abstractmethod
    def get_hit(self, hit_id: str) -> Hit | None: ...

    @abstractmethod
    def get_post(self, doc_id: str) -> Post | None: ...

    @abstractmethod
    def search_hits(self, query: HitQuery | None = None) -> list[Hit]:
        """Hits matching the query, newest `last_seen` first."""

    @abstractmethod
    def count_hits(self, query: HitQuery | None = None) -> int: ...

    @abstractmethod
    def update_hit(self, hit_id: str, changes: dict[str, Any], *, actor: str, action: str) -> Hit:
        """Apply review changes and append one audit entry; raises UnknownHit."""

    @abstractmethod
    def audit_trail(self, hit_id: str) -> list[AuditEntry]: ...

    @abstractmethod
    def iter_hits(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[Hit]:
        """Every hit whose `detected_at` is in [since, until), oldest first, streamed."""

    @abstractmethod
    def iter_posts(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[Post]:
        """Every post whose `created_at` is in [since, until), oldest first, streamed."""

    @abstractmethod
    def get_checkpoint(self, source: str) -> str | None: ...

    @abstractmethod
    def set_checkpoint(self, source: str, value: str) -> None: ...

    @abstractmethod
    def add_to_whitelist(self, kind: str, value: str, *, actor: str, reason: str = "") -> None:
        """Stop future hits from an account or an image (idempotent)."""

    @abstractmethod
    def whitelist(self) -> set[tuple[str, str]]:
        """Every (kind, value) on the whitelist."""

    @abstractmethod
    def erase_author(self, platform: str, author_id: str) -> int:
        """Delete every post and hit of one person, their account history and their works (a
        data-subject erasure request)."""

    @abstractmethod
    def purge_expired(self, posts_before: datetime, closed_hits_before: datetime) -> Purged:
        """Retention: delete posts, account history and works created before `posts_before`,
        with the open hits (OPEN_STATUSES) of posts created before it; closed hits
        (CLOSED_STATUSES) of posts created before `closed_hits_before`, and the audit trail of
        every hit deleted. Held hits (HELD_STATUSES) are never deleted here."""

    def purge_before(self, cutoff: datetime) -> int:
        """`purge_expired` with one cutoff for posts and every hit that is not held."""
        return self.purge_expired(cutoff, cutoff).documents

    def refresh(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Make recent writes visible to searches (a no-op where writes are immediate)."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_whitelist_kind(kind: str) -> None:
    if kind not in WHITELIST_KINDS:
        kinds = ", ".join(WHITELIST_KINDS)
        raise StoreError(f"whitelist kind must be one of {kinds}, not {kind!r}")


def apply_review_changes(hit: Hit, changes: dict[str, Any]) -> Hit:
    unknown = set(changes) - set(REVIEW_FIELDS)
    if unknown:
        raise StoreError(f"not review fields: {', '.join(sorted(unknown))}")
    # Validate, so a bad status or risk is refused before anything is written.
    return Hit.model_validate({**hit.model_dump(), **changes})
