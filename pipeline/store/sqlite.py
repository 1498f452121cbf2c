"""The embedded default store: one SQLite file in the data directory, nothing to install."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.core.history import (
    EVIDENCE_POSTS,
    OFFICIAL_POSTS_KEPT,
    AccountSeen,
    HistoryUpdate,
    account_subjects,
)
from pipeline.core.models import AuditEntry, Hit, Post, utcnow
from pipeline.core.works import SHARED_WORKS, ShingleQuery, Work, WorkImage, work_author
from pipeline.store.base import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    HitQuery,
    Purged,
    Store,
    StoreError,
    UnknownHit,
    WriteResult,
    apply_review_changes,
    check_whitelist_kind,
    record_files,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    doc_id TEXT PRIMARY KEY,
    platform TEXT NOT NULL,
    author_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_author ON posts (platform, author_id);
CREATE INDEX IF NOT EXISTS posts_created ON posts (created_at);
CREATE TABLE IF NOT EXISTS hits (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    risk TEXT NOT NULL,
    category TEXT NOT NULL,
    platform TEXT NOT NULL,
    detector TEXT NOT NULL,
    subject TEXT NOT NULL,
    author_id TEXT NOT NULL,
    post_created_at TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS hits_last_seen ON hits (last_seen);
CREATE INDEX IF NOT EXISTS hits_detected ON hits (detected_at);
CREATE INDEX IF NOT EXISTS hits_status ON hits (status, last_seen);
CREATE INDEX IF NOT EXISTS hits_author ON hits (platform, author_id);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    hit_id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_hit ON audit (hit_id, seq);
CREATE TABLE IF NOT EXISTS whitelist (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE TABLE IF NOT EXISTS checkpoints (
    source TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS account_posts (
    subject TEXT NOT NULL,
    post_id TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    PRIMARY KEY (subject, post_id)
);
CREATE INDEX IF NOT EXISTS account_posts_time ON account_posts (posted_at);
CREATE TABLE IF NOT EXISTS official_posts (
    fingerprint TEXT PRIMARY KEY,
    post_id TEXT NOT NULL,
    account TEXT NOT NULL,
    posted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS official_posts_time ON official_posts (posted_at);
CREATE TABLE IF NOT EXISTS works (
    post_id TEXT PRIMARY KEY,
    author TEXT NOT NULL,
    handle TEXT NOT NULL,
    display_name TEXT,
    platform TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    url TEXT,
    shingles INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS works_time ON works (posted_at);
CREATE INDEX IF NOT EXISTS works_author ON works (author);
CREATE TABLE IF NOT EXISTS work_shingles (
    hash INTEGER NOT NULL,
    post_id TEXT NOT NULL,
    PRIMARY KEY (hash, post_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS work_shingles_post ON work_shingles (post_id);
CREATE TABLE IF NOT EXISTS work_images (
    post_id TEXT NOT NULL,
    media_index INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    points BLOB NOT NULL,
    descriptors BLOB NOT NULL,
    PRIMARY KEY (post_id, media_index)
);
"""

_WORK_TABLES = ("works", "work_shingles", "work_images")


@contextmanager
def writing(path: Path, doing: str, *, what: str = "SQLite store") -> Iterator[None]:
    """A write the file cannot take (its volume full, an I/O error, a lock held past the busy
    wait) is one StoreError naming the file, the reason and the free space: the runner stops the
    source with its checkpoint where it was, instead of a traceback. The transaction was rolled
    back, so nothing of it is half written."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        message = f"{what} {path} cannot write while {doing}: {exc}"
        try:
            free = shutil.disk_usage(path.parent).free
            message += f" ({_size(free)} free on the volume holding {path.parent})"
        except OSError:
            pass
        raise StoreError(message) from None


def _size(count: int) -> str:
    value, unit = float(count), "B"
    for bigger in ("KiB", "MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"


# Times are stored as UTC ISO strings so that text order is time order.
def _ts(value: datetime) -> str:
    from datetime import UTC

    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SQLiteStore(Store):
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            # Personal data of the public: readable by the owner only (pipeline.core.files).
            from pipeline.core.files import private_file

            private_file(self.path)
        # A pass and a reviewer are two connections to one file: a writer waits for the
        # other's transaction (up to 30 s) rather than failing at once.
        with self._writing("opening it"):
            self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        try:
            with self._writing("opening it"):
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                # Deleted rows are overwritten, not left in free pages (erasure, retention).
                self._db.execute("PRAGMA secure_delete=ON")
        except StoreError:
            self._db.close()  # nothing left open on a volume an operator must clean up
            raise
        self._lock = threading.Lock()

    def _writing(self, doing: str) -> AbstractContextManager[None]:
        return writing(self.path, doing)

    def compact(self) -> None:
        """Fold the write-ahead log into the file and truncate it, so rows an erasure deleted
        survive in neither."""
        with self._writing("compacting it"), self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def setup(self) -> None:
        with self._writing("setting up its tables"), self._lock, self._db:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # -- writes -----------------------------------------------------------------------------

    def upsert_posts(self, posts: Iterable[Post]) -> WriteResult:
        rows = [
            (p.doc_id, p.platform, p.author.id, _ts(p.created_at), p.model_dump_json())
            for p in posts
        ]
        with self._writing("storing posts"), self._lock, self._db:
            before = self._db.total_changes
            self._db.executemany(
                "INSERT INTO posts VALUES (?, ?, ?, ?, ?) ON CONFLICT(doc_id) DO NOTHING", rows)
            created = self._db.total_changes - before
            self._db.executemany(
                "INSERT INTO posts VALUES (?, ?, ?, ?, ?) ON CONFLICT(doc_id) DO UPDATE SET "
                "platform=excluded.platform, author_id=excluded.author_id, "
                "created_at=excluded.created_at, doc=excluded.doc",
                rows,
            )
        return WriteResult(written=len(rows), created=created)

    def upsert_hits(self, hits: Iterable[Hit]) -> WriteResult:
        result = WriteResult()
        batch: list[Hit] = []
        for hit in hits:
            batch.append(hit)
            if len(batch) >= 500:
                result += self._upsert_hit_batch(batch)
                batch = []
        if batch:
            result += self._upsert_hit_batch(batch)
        return result

    def _upsert_hit_batch(self, hits: list[Hit]) -> WriteResult:
        with self._writing("storing hits"), self._lock, self._db:
            # Read and write in one write transaction: a reviewer's change committed between
            # the read and the write would otherwise be overwritten with the old review state.
            self._db.execute("BEGIN IMMEDIATE")
            marks = ",".join("?" * len(hits))
            existing = {
                row[0]: json.loads(row[1])
                for row in self._db.execute(
                    f"SELECT id, doc FROM hits WHERE id IN ({marks})", [h.id for h in hits]
                )
            }
            rows = []
            for hit in hits:
                doc = hit.model_dump(mode="json")
                if hit.id in existing:
                    # A rerun refreshes what detection knows and keeps what reviewers did.
                    doc = {**existing[hit.id], **hit.detection_doc()}
                rows.append(self._hit_row(doc))
            self._db.executemany(
                "INSERT OR REPLACE INTO hits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
        return WriteResult(written=len(rows))

    @staticmethod
    def _hit_row(doc: dict[str, Any]) -> tuple[Any, ...]:
        hit = Hit.model_validate(doc)
        return (
            hit.id, hit.status.value, hit.risk, hit.category.value, hit.platform, hit.detector,
            hit.subject, hit.author_id, _ts(hit.post_created_at), _ts(hit.detected_at),
            _ts(hit.last_seen), json.dumps(doc, ensure_ascii=False),
        )

    def update_hit(self, hit_id: str, changes: dict[str, Any], *, actor: str, action: str) -> Hit:
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")  # read-modify-write, as in _upsert_hit_batch
            row = self._db.execute("SELECT doc FROM hits WHERE id = ?", (hit_id,)).fetchone()
            if row is None:
                raise UnknownHit(hit_id)
            updated = apply_review_changes(Hit.model_validate_json(row[0]), changes)
            self._db.execute(
                "INSERT OR REPLACE INTO hits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._hit_row(updated.model_dump(mode="json")),
            )
            entry = AuditEntry(actor=actor, action=action, changes=changes)
            self._db.execute(
                "INSERT INTO audit (hit_id, at, actor, action, changes) VALUES (?, ?, ?, ?, ?)",
                (hit_id, _ts(entry.at), actor, action, json.dumps(changes, default=str)),
            )
        return updated

    def set_checkpoint(self, source: str, value: str) -> None:
        with self._writing("saving a checkpoint"), self._lock, self._db:
            self._db.execute(
                "INSERT INTO checkpoints VALUES (?, ?, ?) ON CONFLICT(source) DO UPDATE SET "
                "value=excluded.value, updated_at=excluded.updated_at",
                (source, value, _ts(utcnow())),
            )

    def add_to_whitelist(self, kind: str, value: str, *, actor: str, reason: str = "") -> None:
        check_whitelist_kind(kind)
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO whitelist VALUES (?, ?, ?, ?, ?)",
                (kind, value, actor, reason, _ts(utcnow())),
            )

    def whitelist(self) -> set[tuple[str, str]]:
        return {(k, v) for k, v in self._db.execute("SELECT kind, value FROM whitelist")}

    def erase_author(self, platform: str, author_id: str) -> int:
        with self._lock, self._db:
            ids = [
                r[0]
                for r in self._db.execute(
                    "SELECT id FROM hits WHERE platform = ? AND author_id = ?",
                    (platform, author_id),
                )
            ]
            self._db.executemany("DELETE FROM audit WHERE hit_id = ?", [(i,) for i in ids])
            hits = self._db.execute(
                "DELETE FROM hits WHERE platform = ? AND author_id = ?", (platform, author_id)
            ).rowcount
            posts = self._db.execute(
                "DELETE FROM posts WHERE platform = ? AND author_id = ?", (platform, author_id)
            ).rowcount
            history = sum(
                self._db.execute("DELETE FROM account_posts WHERE subject = ?",
                                 (subject,)).rowcount
                for subject in account_subjects(platform, author_id)
            )
            history += self._delete_works(
                "SELECT post_id FROM works WHERE author = ?", (work_author(platform, author_id),)
            )
        # Official posts are the University's own accounts' posts, not a person's data.
        return hits + posts + history

    def purge_expired(self, posts_before: datetime, closed_hits_before: datetime) -> Purged:
        posts_cut, closed_cut = _ts(posts_before), _ts(closed_hits_before)
        closed = ", ".join("?" * len(CLOSED_STATUSES))
        opened = ", ".join("?" * len(OPEN_STATUSES))
        expired = (f"(status IN ({closed}) AND post_created_at < ?) "
                   f"OR (status IN ({opened}) AND post_created_at < ?)")
        args = (*CLOSED_STATUSES, closed_cut, *OPEN_STATUSES, posts_cut)
        with self._lock, self._db:
            hits = [Hit.model_validate_json(doc) for (doc,) in self._db.execute(
                f"SELECT doc FROM hits WHERE {expired}", args)]
            posts = [Post.model_validate_json(doc) for (doc,) in self._db.execute(
                "SELECT doc FROM posts WHERE created_at < ?", (posts_cut,))]
            self._db.executemany("DELETE FROM audit WHERE hit_id = ?", [(h.id,) for h in hits])
            count = self._db.execute(f"DELETE FROM hits WHERE {expired}", args).rowcount
            count += self._db.execute(
                "DELETE FROM posts WHERE created_at < ?", (posts_cut,)
            ).rowcount
            for table in ("account_posts", "official_posts"):
                count += self._db.execute(
                    f"DELETE FROM {table} WHERE posted_at < ?", (posts_cut,)
                ).rowcount
            count += self._delete_works(
                "SELECT post_id FROM works WHERE posted_at < ?", (posts_cut,)
            )
            # Hits that outlive their post (held, or closed ones kept longer) keep their
            # evidence images, and posts that outlive their hits keep their media.
            kept_hits = [Hit.model_validate_json(doc) for (doc,) in self._db.execute(
                "SELECT doc FROM hits WHERE post_created_at < ?", (posts_cut,))]
            post_ids = sorted({h.post_id for h in hits})
            kept_posts = [
                Post.model_validate_json(doc)
                # In chunks: SQLite limits the parameters of one statement.
                for start in range(0, len(post_ids), 500)
                for (doc,) in self._db.execute(
                    "SELECT doc FROM posts WHERE doc_id IN "
                    f"({', '.join('?' * len(post_ids[start:start + 500]))})",
                    post_ids[start:start + 500])
            ]
        files = record_files(posts, hits) - record_files(kept_posts, kept_hits)
        return Purged(documents=count, files=files)

    def _delete_works(self, select: str, args: tuple[str, ...]) -> int:
        """Delete the works `select` names with their shingles and images (inside the caller's
        transaction); returns the works deleted."""
        ids = [(row[0],) for row in self._db.execute(select, args)]
        for table in _WORK_TABLES:
            self._db.executemany(f"DELETE FROM {table} WHERE post_id = ?", ids)
        return len(ids)

    # -- history (pipeline/core/history.py) --------------------------------------------------

    def record_history(self, update: HistoryUpdate) -> None:
        with self._writing("recording account history"), self._lock, self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO account_posts VALUES (?, ?, ?)",
                [(p.subject, p.post_id, _ts(p.posted_at)) for p in update.account_posts],
            )
            if update.official_posts:
                self._db.executemany(
                    "INSERT OR IGNORE INTO official_posts VALUES (?, ?, ?, ?)",
                    [(o.fingerprint, o.post_id, o.account, _ts(o.posted_at))
                     for o in update.official_posts],
                )
                self._db.execute(
                    "DELETE FROM official_posts WHERE fingerprint NOT IN (SELECT fingerprint "
                    "FROM official_posts ORDER BY posted_at DESC LIMIT ?)", (OFFICIAL_POSTS_KEPT,),
                )
            # A post read again replaces its record: an edit may have changed its words.
            ids = [(r.work.post_id,) for r in update.works]
            for table in _WORK_TABLES:
                self._db.executemany(f"DELETE FROM {table} WHERE post_id = ?", ids)
            self._db.executemany(
                "INSERT INTO works VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(w.post_id, w.author, w.handle, w.display_name, w.platform, _ts(w.posted_at),
                  w.url, w.shingles) for w in (r.work for r in update.works)],
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO work_shingles VALUES (?, ?)",
                [(h, r.work.post_id) for r in update.works for h in r.shingles],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO work_images VALUES (?, ?, ?, ?, ?, ?)",
                [(i.post_id, i.media_index, i.width, i.height, i.points, i.descriptors)
                 for r in update.works for i in r.images],
            )

    def accounts_seen(self, subjects: Iterable[str]) -> dict[str, AccountSeen]:
        seen = {}
        for subject in dict.fromkeys(subjects):
            first, last, count = self._db.execute(
                "SELECT MIN(posted_at), MAX(posted_at), COUNT(*) FROM account_posts "
                "WHERE subject = ?", (subject,),
            ).fetchone()
            if not count:
                continue
            recent = [row[0] for row in self._db.execute(
                "SELECT post_id FROM account_posts WHERE subject = ? "
                "ORDER BY posted_at DESC, post_id DESC LIMIT ?", (subject, EVIDENCE_POSTS),
            )]
            seen[subject] = AccountSeen(
                datetime.fromisoformat(first), datetime.fromisoformat(last), count, recent
            )
        return seen

    def recorded_posts(self, subject: str, post_ids: Iterable[str]) -> set[str]:
        return self._in_chunks(
            "SELECT post_id FROM account_posts WHERE subject = ? AND post_id IN ({marks})",
            list(set(post_ids)), prefix=[subject],
        )

    def official_copies(self, fingerprints: Iterable[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        wanted = list(set(fingerprints))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for fp, post_id, account in self._db.execute(
                f"SELECT fingerprint, post_id, account FROM official_posts "
                f"WHERE fingerprint IN ({marks})", chunk,
            ):
                found[fp] = (post_id, account)
        return found

    # -- work history (pipeline/core/works.py) ------------------------------------------------

    def works(self, post_ids: Iterable[str]) -> dict[str, Work]:
        wanted = list(set(post_ids))
        found: dict[str, Work] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                "SELECT post_id, author, handle, display_name, platform, posted_at, url, "
                f"shingles FROM works WHERE post_id IN ({marks})", chunk,
            ):
                found[row[0]] = Work(row[0], row[1], row[2], row[3], row[4],
                                     datetime.fromisoformat(row[5]), row[6], row[7])
        return found

    def shared_shingles_each(
        self, queries: Sequence[ShingleQuery], *, limit: int = SHARED_WORKS
    ) -> list[dict[str, int]]:
        return [self._shared(query, limit) for query in queries]

    def _shared(self, query: ShingleQuery, limit: int) -> dict[str, int]:
        wanted = list(set(query.hashes))
        counts: dict[str, int] = {}
        text_shingles: dict[str, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for post_id, count, own in self._db.execute(
                "SELECT s.post_id, COUNT(*), w.shingles FROM work_shingles s JOIN works w "
                f"ON w.post_id = s.post_id WHERE s.hash IN ({marks}) AND w.posted_at >= ? "
                "GROUP BY s.post_id", [*chunk, _ts(query.since)],
            ):
                counts[post_id] = counts.get(post_id, 0) + count
                text_shingles[post_id] = own
        ranked = sorted(((p, n) for p, n in counts.items() if n >= query.at_least),
                        key=lambda item: (-item[1], item[0]))[:limit]
        return {p: n for p, n in ranked if query.admits(n, text_shingles[p])}

    def work_images(
        self, *, since: datetime, post_ids: Iterable[str] | None = None
    ) -> list[WorkImage]:
        select = ("SELECT i.post_id, i.media_index, i.width, i.height, i.points, i.descriptors, "
                  "w.posted_at FROM work_images i JOIN works w ON w.post_id = i.post_id "
                  "WHERE w.posted_at >= ?")
        if post_ids is None:
            rows = list(self._db.execute(select, (_ts(since),)))
        else:
            wanted, rows = list(set(post_ids)), []
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows += self._db.execute(
                    f"{select} AND i.post_id IN ({','.join('?' * len(chunk))})",
                    [_ts(since), *chunk])
        rows.sort(key=lambda row: (row[6], row[0], row[1]))
        return [WorkImage(*row[:6]) for row in rows]

    def _in_chunks(self, sql: str, values: list[str], *, prefix: list[str]) -> set[str]:
        out: set[str] = set()
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            query = sql.format(marks=",".join("?" * len(chunk)))
            out.update(row[0] for row in self._db.execute(query, [*prefix, *chunk]))
        return out

    # -- reads ------------------------------------------------------------------------------

    def get_hit(self, hit_id: str) -> Hit | None:
        row = self._db.execute("SELECT doc FROM hits WHERE id = ?", (hit_id,)).fetchone()
        return Hit.model_validate_json(row[0]) if row else None

    def get_post(self, doc_id: str) -> Post | None:
        row = self._db.execute("SELECT doc FROM posts WHERE doc_id = ?", (doc_id,)).fetchone()
        return Post.model_validate_json(row[0]) if row else None

    @staticmethod
    def _where(query: HitQuery) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        for column in ("status", "category", "platform", "detector", "risk"):
            values = getattr(query, column)
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                args.extend(values)
        if query.author_id:
            clauses.append("author_id = ?")
            args.append(query.author_id)
        if query.subject:
            clauses.append("subject = ?")
            args.append(query.subject)
        if query.since:
            clauses.append("last_seen >= ?")
            args.append(_ts(query.since))
        if query.until:
            clauses.append("last_seen < ?")
            args.append(_ts(query.until))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def search_hits(self, query: HitQuery | None = None) -> list[Hit]:
        query = query or HitQuery()
        where, args = self._where(query)
        rows = self._db.execute(
            f"SELECT doc FROM hits{where} ORDER BY last_seen DESC, id LIMIT ? OFFSET ?",
            [*args, query.limit, query.offset],
        )
        return [Hit.model_validate_json(r[0]) for r in rows]

    def count_hits(self, query: HitQuery | None = None) -> int:
        where, args = self._where(query or HitQuery())
        return int(self._db.execute(f"SELECT COUNT(*) FROM hits{where}", args).fetchone()[0])

    def audit_trail(self, hit_id: str) -> list[AuditEntry]:
        rows = self._db.execute(
            "SELECT at, actor, action, changes FROM audit WHERE hit_id = ? ORDER BY seq", (hit_id,)
        )
        return [
            AuditEntry(at=at, actor=actor, action=action, changes=json.loads(changes))
            for at, actor, action, changes in rows
        ]

    def iter_hits(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[Hit]:
        for doc in self._stream_docs("hits", "detected_at", "id", since, until):
            yield Hit.model_validate_json(doc)

    def iter_posts(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[Post]:
        for doc in self._stream_docs("posts", "created_at", "doc_id", since, until):
            yield Post.model_validate_json(doc)

    def _stream_docs(
        self, table: str, time_column: str, key: str,
        since: datetime | None, until: datetime | None,
    ) -> Iterator[str]:
        """The stored JSON documents of `table` in [since, until), oldest first."""
        clauses, args = [], []
        if since:
            clauses.append(f"{time_column} >= ?")
            args.append(_ts(since))
        if until:
            clauses.append(f"{time_column} < ?")
            args.append(_ts(until))
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        # A separate cursor streams rows without loading the whole table.
        cursor = self._db.cursor()
        try:
            for (doc,) in cursor.execute(
                f"SELECT doc FROM {table}{where} ORDER BY {time_column}, {key}", args
            ):
                yield doc
        finally:
            cursor.close()

    def get_checkpoint(self, source: str) -> str | None:
        row = self._db.execute(
            "SELECT value FROM checkpoints WHERE source = ?", (source,)
        ).fetchone()
        return row[0] if row else None
