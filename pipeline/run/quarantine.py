"""The quarantine: items a pass could not decode, parse, normalise, serialise, score or store.

One bad item never stalls a source. It is written here with where it came from (the source, a
line of a file or a platform id), the field and the reason, and the pass moves on: the rest of
the page is stored and the checkpoint moves past it. `crestwatch quarantine list` shows what is
held; `crestwatch quarantine retry` runs each held item through the pass again (after a fix, or
once the store takes it) and lets go of those that now go through.

The quarantine is one SQLite file in the data directory whichever store holds the hits: it must
take an item exactly when the store would not.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.core.jsonl import LineError
from pipeline.core.models import Post
from pipeline.store.base import StoreError
from pipeline.store.sqlite import writing

log = logging.getLogger(__name__)

# "enrich": a post stored without what its images hold, because the page's time budget ran
# out first (pipeline/enrich/base.py, DefersWork); retrying it fetches and reads them.
STAGES = ("decode", "parse", "normalise", "enrich", "serialise", "score", "store")

# What a held item's `raw` is: a line of a JSONL file of Posts, or a Post the pass had built.
RAW_LINE = "line"
RAW_POST = "post"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    location TEXT NOT NULL,
    stage TEXT NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw_kind TEXT,
    raw TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    UNIQUE (source, location, stage)
);
"""


@dataclass
class QuarantinedItem:
    source: str  # the source's name, e.g. jsonl:posts.jsonl or x:search
    location: str  # "line 151" in a file, or the item's id ("x:123")
    stage: str  # one of STAGES
    field: str
    reason: str
    raw_kind: str | None = None  # RAW_LINE, RAW_POST, or None: nothing kept to retry
    raw: str | None = None
    id: int | None = None
    first_seen: str = ""
    last_seen: str = ""
    attempts: int = 1

    def __str__(self) -> str:
        return f"{self.source} {self.location}: {self.field}: {self.reason} ({self.stage})"


def item_from_line_error(source: str, error: LineError) -> QuarantinedItem | None:
    """The quarantine entry for a read error, or None for one that names no item (a stream the
    platform would not list): there is nothing to hold, only something to report."""
    if error.item_id is not None:
        location = error.item_id
    elif error.line > 0:
        location = f"line {error.line}"
    else:
        return None
    return QuarantinedItem(
        source=source, location=location, stage=error.stage, field=error.field,
        reason=error.message, raw_kind=RAW_LINE if error.raw is not None and error.line else None,
        raw=error.raw,
    )


def item_from_post(
    source: str, post: Post, *, stage: str, field: str, reason: str
) -> QuarantinedItem:
    try:
        raw: str | None = post.model_dump_json()
    except Exception:  # noqa: BLE001 - the post itself may be what cannot be serialised
        raw = None
    return QuarantinedItem(source=source, location=post.doc_id, stage=stage, field=field,
                           reason=reason, raw_kind=RAW_POST if raw else None, raw=raw)


def serialisation_problem(post: Post) -> str | None:
    """Why `post` cannot be written as JSON (a lone surrogate, a value pydantic cannot dump),
    or None. Checked before the store sees the page, so one post cannot fail the whole write."""
    try:
        post.model_dump_json()
    except (ValueError, TypeError, RecursionError) as exc:  # PydanticSerializationError too
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip()
    return None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Quarantine:
    """Held items in one SQLite file; safe to share between processes (a pass and the CLI)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            from pipeline.core.files import private_file

            # Held items are raw input, personal data included: owner-only.
            with writing(self.path, "creating it", what="quarantine"):
                private_file(self.path)
        self._lock = threading.Lock()
        # A full data volume (or any write the file refuses) is a StoreError, as in the store:
        # an item that cannot be held must stop its source before the checkpoint moves past it.
        with writing(self.path, "opening it", what="quarantine"):
            self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        try:
            with writing(self.path, "opening it", what="quarantine"):
                self._db.execute("PRAGMA journal_mode=WAL")
                with self._lock, self._db:
                    self._db.executescript(_SCHEMA)
        except StoreError:
            self._db.close()
            raise

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> Quarantine:
        return cls(data_dir / "quarantine.sqlite")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Quarantine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, item: QuarantinedItem) -> None:
        """Hold `item`; the same item failing the same way again counts one more attempt."""
        if item.stage not in STAGES:
            raise ValueError(f"quarantine stage must be one of {', '.join(STAGES)}")
        now = _now()
        log.warning("quarantined %s", item)
        with writing(self.path, "holding an item", what="quarantine"), self._lock, self._db:
            self._db.execute(
                "INSERT INTO quarantine (source, location, stage, field, reason, raw_kind, raw,"
                " first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(source, location, stage) DO UPDATE SET field=excluded.field,"
                " reason=excluded.reason, raw_kind=COALESCE(excluded.raw_kind, raw_kind),"
                " raw=COALESCE(excluded.raw, raw), last_seen=excluded.last_seen,"
                " attempts=attempts + 1",
                (item.source, item.location, item.stage, item.field, item.reason,
                 item.raw_kind, item.raw, now, now),
            )

    def add_line_errors(self, source: str, errors: Iterable[LineError]) -> int:
        """Hold every read error that names an item; how many were held."""
        held = 0
        for error in errors:
            item = item_from_line_error(source, error)
            if item is not None:
                self.add(item)
                held += 1
        return held

    def items(self, *, source: str | None = None, limit: int | None = None
              ) -> list[QuarantinedItem]:
        sql = ("SELECT id, source, location, stage, field, reason, raw_kind, raw, first_seen,"
               " last_seen, attempts FROM quarantine")
        args: list[object] = []
        if source:
            sql += " WHERE source = ?"
            args.append(source)
        sql += " ORDER BY id"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        return [
            QuarantinedItem(id=i, source=s, location=loc, stage=st, field=f, reason=r,
                            raw_kind=k, raw=raw, first_seen=fs, last_seen=ls, attempts=a)
            for i, s, loc, st, f, r, k, raw, fs, ls, a in self._db.execute(sql, args)
        ]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0])

    def release(self, ids: Sequence[int]) -> None:
        with self._lock, self._db:
            self._db.executemany("DELETE FROM quarantine WHERE id = ?", [(i,) for i in ids])


@dataclass
class RetryOutcome:
    released: list[QuarantinedItem]  # went through and were let go
    held: list[QuarantinedItem]  # failed again (the quarantine has their new reason)
    not_retryable: list[QuarantinedItem]  # nothing was kept to retry them with


def retry_held(
    quarantine: Quarantine,
    *,
    store: Any,
    detectors: Sequence[Any],
    policy: Any,
    enrichers: Sequence[Any] = (),
    source: str | None = None,
) -> RetryOutcome:
    """Run every held item (of `source`, or all) through the pass again, one at a time. An item
    that now goes through is let go; one that fails again stays, with the reason of this try."""
    from pipeline.core.jsonl import ReadReport, parse_line
    from pipeline.run.runner import RunSummary, process_page
    from pipeline.sources.base import Page

    outcome = RetryOutcome([], [], [])
    for item in quarantine.items(source=source):
        if item.raw is None or item.raw_kind not in (RAW_LINE, RAW_POST):
            outcome.not_retryable.append(item)
            continue
        assert item.id is not None
        report = ReadReport()
        line = _line_number(item.location)
        post = parse_line(item.raw, Post, source=item.source, line=line, report=report)
        # The entry is let go first and the try holds the item again if it fails, so a held
        # item always carries the reason of its latest try.
        quarantine.release([item.id])
        page = Page(posts=[post] if post is not None else [], errors=report.errors)
        summary = RunSummary()
        stored = process_page(page, store=store, detectors=detectors, policy=policy,
                              summary=summary, enrichers=enrichers, quarantine=quarantine,
                              source=item.source)
        if stored and not summary.quarantined:
            outcome.released.append(item)
        else:
            if not summary.quarantined:  # refused without a document to hold: keep the old one
                quarantine.add(item)
            outcome.held.append(item)
    return outcome


def _line_number(location: str) -> int:
    number = location.removeprefix("line ")
    return int(number) if number.isdigit() else 0
