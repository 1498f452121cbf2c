"""What the impersonation detector remembers between batches, in one small SQLite file
(<data>/cache/impersonation.sqlite):

- for each flagged account, the ids and times of its posts seen so far, so its one hit can say
  first seen, last seen, how many posts and which ones, however many runs it took to see them;
  a rerun of the same posts adds nothing (post ids are the key);
- fingerprints of recent posts by official accounts, so a word-for-word copy is recognised even
  when the original came in an earlier batch.

Rows older than the configured retention are dropped whenever the detector loads; `forget_author`
removes one account (called by the erasure task). SQLite's own locking makes concurrent runs
safe.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

EVIDENCE_POSTS = 10
OFFICIAL_POSTS_KEPT = 5000
MIN_COPY_LENGTH = 30

_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS account_posts (
    subject TEXT NOT NULL,
    post_id TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    PRIMARY KEY (subject, post_id)
);
CREATE TABLE IF NOT EXISTS official_posts (
    fingerprint TEXT PRIMARY KEY,
    post_id TEXT NOT NULL,
    account TEXT NOT NULL,
    posted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS official_posts_time ON official_posts (posted_at);
"""


FILE_NAME = "impersonation.sqlite"


def account_subject(platform: str, author_id: str) -> str:
    """The hit subject of one account: every finding about it shares one hit."""
    return f"account:{platform}:{author_id}"


def forget_author(data_dir: Path, platform: str, author_id: str) -> int:
    """Erase one author's history from the cache under `data_dir` (an erasure request);
    returns the rows removed. A missing cache is not created."""
    path = data_dir / "cache" / FILE_NAME
    if not path.exists():
        return 0
    memory = AccountMemory(path)
    try:
        return memory.forget(account_subject(platform, author_id))
    finally:
        memory.close()


def fingerprint(text: str) -> str | None:
    """A fingerprint of a post's words (case, spacing and links ignored), or None when the
    text is too short for a copy of it to mean anything."""
    words = _SPACE.sub(" ", _URL.sub("", text)).strip().casefold()
    if len(words) < MIN_COPY_LENGTH:
        return None
    return hashlib.sha1(words.encode()).hexdigest()


@dataclass(frozen=True)
class AccountHistory:
    first_seen: datetime | None  # None: nothing recorded for the account
    last_seen: datetime | None
    posts: int
    evidence_posts: list[str]  # newest first, at most EVIDENCE_POSTS


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


class AccountMemory:
    def __init__(self, path: Path, *, retention_days: int = 180) -> None:
        self.path = path
        self.retention = timedelta(days=retention_days)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def record(self, subject: str, posts: Iterable[tuple[str, datetime]]) -> AccountHistory:
        """Add posts (doc id, time) to an account's history and return the whole history."""
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO account_posts VALUES (?, ?, ?)",
                [(subject, post_id, _ts(at)) for post_id, at in posts],
            )
            first, last, count = self._db.execute(
                "SELECT MIN(posted_at), MAX(posted_at), COUNT(*) FROM account_posts "
                "WHERE subject = ?", (subject,),
            ).fetchone()
            recent = [row[0] for row in self._db.execute(
                "SELECT post_id FROM account_posts WHERE subject = ? "
                "ORDER BY posted_at DESC, post_id DESC LIMIT ?", (subject, EVIDENCE_POSTS),
            )]
        if not count:
            return AccountHistory(None, None, 0, [])
        return AccountHistory(
            datetime.fromisoformat(first), datetime.fromisoformat(last), count, recent
        )

    def remember_official(self, posts: Iterable[tuple[str, str, str, datetime]]) -> None:
        """Keep (fingerprint, post id, account, time) of official posts, newest kept."""
        rows = [(fp, post_id, account, _ts(at)) for fp, post_id, account, at in posts]
        if not rows:
            return
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO official_posts VALUES (?, ?, ?, ?)", rows)
            self._db.execute(
                "DELETE FROM official_posts WHERE fingerprint NOT IN (SELECT fingerprint FROM "
                "official_posts ORDER BY posted_at DESC LIMIT ?)", (OFFICIAL_POSTS_KEPT,),
            )

    def official_copies(self, fingerprints: Iterable[str]) -> dict[str, tuple[str, str]]:
        """fingerprint -> (official post id, account) for the fingerprints already known."""
        wanted = list(set(fingerprints))
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for fp, post_id, account in self._db.execute(
                f"SELECT fingerprint, post_id, account FROM official_posts "
                f"WHERE fingerprint IN ({marks})", chunk,
            ):
                found[fp] = (post_id, account)
        return found

    def prune(self, now: datetime) -> int:
        """Drop what is older than the retention period; returns the number of rows dropped."""
        cutoff = _ts(now - self.retention)
        with self._db:
            dropped = self._db.execute(
                "DELETE FROM account_posts WHERE posted_at < ?", (cutoff,)
            ).rowcount
            dropped += self._db.execute(
                "DELETE FROM official_posts WHERE posted_at < ?", (cutoff,)
            ).rowcount
        return dropped

    def forget(self, subject: str) -> int:
        with self._db:
            return self._db.execute(
                "DELETE FROM account_posts WHERE subject = ?", (subject,)
            ).rowcount
