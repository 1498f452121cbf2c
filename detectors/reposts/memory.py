"""What the reposted-work detector remembers between batches, in one small SQLite file
(<data>/cache/reposts.sqlite): for each post it has read that could be copied (long enough text,
or an image with detail), who posted it and when, its text's shingle hashes and its images'
features. Not the text itself: a shingle hash says whether a later post repeats the words, and
nothing more.

Rows older than the memory period (at most the configured retention) are dropped whenever the
detector loads; `forget_author` removes one person (an erasure request). A rerun of the same
posts adds nothing: post ids are the key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from detectors.reposts.images import ImageFeatures

FILE_NAME = "reposts.sqlite"
_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS works (
    post_id TEXT PRIMARY KEY,
    author TEXT NOT NULL,          -- platform:author id
    handle TEXT NOT NULL,
    display_name TEXT,
    platform TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    url TEXT,
    shingles INTEGER NOT NULL      -- how many distinct shingles its text has (0: image only)
);
CREATE TABLE IF NOT EXISTS shingles (
    hash INTEGER NOT NULL,
    post_id TEXT NOT NULL,
    PRIMARY KEY (hash, post_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS images (
    post_id TEXT NOT NULL,
    media_index INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    points BLOB NOT NULL,
    descriptors BLOB NOT NULL,
    PRIMARY KEY (post_id, media_index)
);
CREATE INDEX IF NOT EXISTS works_time ON works (posted_at);
CREATE INDEX IF NOT EXISTS works_author ON works (author);
"""


@dataclass(frozen=True)
class Work:
    post_id: str
    author: str
    handle: str
    display_name: str | None
    platform: str
    posted_at: datetime
    url: str | None
    shingles: int


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def forget_author(data_dir: Path, platform: str, author_id: str) -> int:
    """Erase one author's works from the cache under `data_dir`; returns the works removed.
    A missing cache is not created."""
    path = data_dir / "cache" / FILE_NAME
    if not path.exists():
        return 0
    memory = WorkMemory(path)
    try:
        return memory.forget(f"{platform}:{author_id}")
    finally:
        memory.close()


class WorkMemory:
    def __init__(self, path: Path, *, keep_days: int = 90) -> None:
        self.keep = timedelta(days=keep_days)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def prune(self, now: datetime) -> int:
        cutoff = _ts(now - self.keep)
        with self._db:
            old = [r[0] for r in self._db.execute(
                "SELECT post_id FROM works WHERE posted_at < ?", (cutoff,))]
            self._delete(old)
        return len(old)

    def forget(self, author: str) -> int:
        with self._db:
            ids = [r[0] for r in self._db.execute(
                "SELECT post_id FROM works WHERE author = ?", (author,))]
            self._delete(ids)
        return len(ids)

    def _delete(self, post_ids: Sequence[str]) -> None:
        for start in range(0, len(post_ids), _CHUNK):
            chunk = list(post_ids[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            for table in ("works", "shingles", "images"):
                self._db.execute(f"DELETE FROM {table} WHERE post_id IN ({marks})", chunk)

    def known(self, post_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM works WHERE post_id = ?",
                                (post_id,)).fetchone() is not None

    def commit(self) -> None:
        """Write what `remember` added (once per batch: one transaction, not one per post)."""
        self._db.commit()

    def remember(self, work: Work, shingles: Iterable[int],
                 images: Iterable[tuple[int, ImageFeatures]]) -> None:
        """Add one post; visible to this connection at once, to others after `commit`."""
        self._db.execute(
            "INSERT OR REPLACE INTO works VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (work.post_id, work.author, work.handle, work.display_name, work.platform,
             _ts(work.posted_at), work.url, work.shingles))
        self._db.executemany("INSERT OR IGNORE INTO shingles VALUES (?, ?)",
                             [(h, work.post_id) for h in shingles])
        self._db.executemany(
            "INSERT OR REPLACE INTO images VALUES (?, ?, ?, ?, ?, ?)",
            [(work.post_id, index, f.size[0], f.size[1], f.points.astype(np.float32).tobytes(),
              f.descriptors.astype(np.uint8).tobytes()) for index, f in images])

    def shared_shingles(self, hashes: Sequence[int]) -> dict[str, int]:
        """post id -> how many of `hashes` its text has, for every remembered post sharing any."""
        counts: dict[str, int] = {}
        for start in range(0, len(hashes), _CHUNK):
            chunk = list(hashes[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            for post_id, count in self._db.execute(
                f"SELECT post_id, COUNT(*) FROM shingles WHERE hash IN ({marks}) "
                "GROUP BY post_id", chunk):
                counts[post_id] = counts.get(post_id, 0) + count
        return counts

    def works(self, post_ids: Iterable[str]) -> dict[str, Work]:
        wanted = list(set(post_ids))
        found: dict[str, Work] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(f"SELECT * FROM works WHERE post_id IN ({marks})", chunk):
                found[row[0]] = Work(row[0], row[1], row[2], row[3], row[4],
                                     datetime.fromisoformat(row[5]), row[6], row[7])
        return found

    def images(self) -> Iterable[tuple[str, int, ImageFeatures]]:
        """Every remembered image's features (post id, media index, features), oldest first."""
        for post_id, index, width, height, points, descriptors in self._db.execute(
            "SELECT i.post_id, i.media_index, i.width, i.height, i.points, i.descriptors "
            "FROM images i JOIN works w ON w.post_id = i.post_id ORDER BY w.posted_at"):
            yield post_id, index, ImageFeatures(
                np.frombuffer(points, np.float32).reshape(-1, 2),
                np.frombuffer(descriptors, np.uint8).reshape(-1, 32), (width, height))
