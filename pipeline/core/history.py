"""The history: what a detector may remember between runs, kept by the store.

The impersonation detector judges accounts, not single posts: its one hit per account says when
the account was first and last seen, how many of its posts were read and which, however many runs
it took to see them; and it recognises a word-for-word copy of an official post even when the
original came in an earlier run. The reposted-work detector remembers the works others could
copy (`pipeline.core.works`). That memory lives in the store (SQLite tables or Elasticsearch
indices), not in a file beside one worker, so that

- every Airflow worker shares it;
- it moves only after the store has acknowledged the page it came from (the runner writes
  `HistoryUpdate`s after `upsert_posts`/`upsert_hits`), so a failed page leaves no trace;
- erasure (`Store.erase_author`) and retention (`Store.purge_expired`) reach it.

Detectors read it through `History` (the account history and the work history) and never write
it themselves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipeline.core.works import RememberedWork, WorkHistory

EVIDENCE_POSTS = 10  # the newest post ids an account's hit lists
OFFICIAL_POSTS_KEPT = 5000  # fingerprints of official posts kept, newest first


# Hits about an account rather than a post, each kind with its own history: the account as a
# possible impersonator, and the account wearing a logo as its avatar.
SUBJECT_KINDS = ("account", "avatar-logo")


def account_subject(platform: str, author_id: str, kind: str = "account") -> str:
    """The hit subject of one account: every finding of that kind about it shares one hit."""
    if kind not in SUBJECT_KINDS:
        raise ValueError(f"unknown account subject kind {kind!r}")
    return f"{kind}:{platform}:{author_id}"


def account_subjects(platform: str, author_id: str) -> list[str]:
    """Every subject one person's account history may be kept under (erasure reaches all)."""
    return [account_subject(platform, author_id, kind) for kind in SUBJECT_KINDS]


@dataclass(frozen=True)
class AccountSeen:
    first_seen: datetime
    last_seen: datetime
    posts: int
    evidence_posts: list[str]  # newest first, at most EVIDENCE_POSTS


@dataclass(frozen=True)
class AccountPost:
    subject: str
    post_id: str
    posted_at: datetime


@dataclass(frozen=True)
class OfficialPost:
    fingerprint: str
    post_id: str
    account: str
    posted_at: datetime


@dataclass
class HistoryUpdate:
    """What one page adds to the history, written by the runner after the store's ack."""

    account_posts: list[AccountPost] = field(default_factory=list)
    official_posts: list[OfficialPost] = field(default_factory=list)
    works: list[RememberedWork] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.account_posts or self.official_posts or self.works)


class AccountHistory(ABC):
    @abstractmethod
    def accounts_seen(self, subjects: Iterable[str]) -> dict[str, AccountSeen]:
        """What is recorded for each subject (subjects with nothing recorded are left out)."""

    @abstractmethod
    def recorded_posts(self, subject: str, post_ids: Iterable[str]) -> set[str]:
        """Which of `post_ids` are already recorded for `subject`."""

    @abstractmethod
    def official_copies(self, fingerprints: Iterable[str]) -> dict[str, tuple[str, str]]:
        """fingerprint -> (official post id, account) for the fingerprints already known."""


class History(AccountHistory, WorkHistory):
    """Everything detectors remember between runs; the store implements it."""

    @abstractmethod
    def record_history(self, update: HistoryUpdate) -> None:
        """Add a page's account posts, official posts and works; recording twice changes
        nothing."""


def utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def seen_with(
    history: AccountHistory | None, subject: str, posts: Sequence[tuple[str, datetime]]
) -> AccountSeen:
    """What is known of `subject` once this page's `posts` ((post id, posted at), oldest first)
    join what earlier runs recorded: first and last seen, posts seen (a post recorded before is
    not counted twice) and the newest post ids. Without a history, the page alone."""
    first, last = utc(posts[0][1]), utc(posts[-1][1])
    newest = [post_id for post_id, _ in reversed(posts)]
    seen = history.accounts_seen([subject]).get(subject) if history is not None else None
    if seen is None or history is None:
        return AccountSeen(first, last, len(posts), newest[:EVIDENCE_POSTS])
    recorded = history.recorded_posts(subject, newest)
    new = [p for p in newest if p not in recorded]
    # The page may be older than what was recorded (a backfill): newest ids stay first.
    evidence = list(dict.fromkeys(
        new + seen.evidence_posts if last >= utc(seen.last_seen) else seen.evidence_posts + new
    ))
    return AccountSeen(min(first, utc(seen.first_seen)), max(last, utc(seen.last_seen)),
                       seen.posts + len(new), evidence[:EVIDENCE_POSTS])
