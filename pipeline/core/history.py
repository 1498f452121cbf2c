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
- erasure (`Store.erase_author`) and retention (`Store.purge_before`) reach it.

Detectors read it through `History` (the account history and the work history) and never write
it themselves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipeline.core.works import RememberedWork, WorkHistory

EVIDENCE_POSTS = 10  # the newest post ids an account's hit lists
OFFICIAL_POSTS_KEPT = 5000  # fingerprints of official posts kept, newest first


def account_subject(platform: str, author_id: str) -> str:
    """The hit subject of one account: every finding about it shares one hit."""
    return f"account:{platform}:{author_id}"


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
