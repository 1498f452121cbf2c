"""Erasure of one person on request: everything the project keeps of them, everywhere.

A data-subject erasure removes the person's posts, hits and the history detectors read (account
history, and their works others could repost) from the store, their queued and sent
notifications from the outbox, their quarantined items, the media and evidence images of their
posts, and the evidence packs and report files that show them. The store it runs on must be
the configured one: an erasure pointed at another store would delete nothing and look done.
What is kept is a line in ``<data>/audit/erasures.jsonl``: when, by whom, what was removed
(counts), and a keyed hash of the account, so a later question "was this person erased?" can
be answered without the id.

`erase_person` is the one implementation; `crestwatch erase` and the Airflow task call it.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.core.config import OrgConfig
from pipeline.core.models import Hit, Post, utcnow
from pipeline.store.base import Store, record_files

log = logging.getLogger(__name__)

AUDIT_FILE = Path("audit") / "erasures.jsonl"
# Report and export files that may show a person's rows; PDFs are read through pdftotext.
_SCANNED = {".html", ".csv", ".json", ".txt", ".md", ".pdf"}


class ErasureRefused(ValueError):
    """The erasure was not run: the reason says why (nothing was deleted)."""


@dataclass
class ErasureReport:
    platform: str
    store_documents: int = 0
    outbox_messages: int = 0
    quarantined_items: int = 0
    files: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What was removed, in words (the person's id is not repeated)."""
        out = [
            f"store: {self.store_documents} documents (posts, hits, audit, account history, "
            "works)",
            f"outbox: {self.outbox_messages} messages",
            f"quarantine: {self.quarantined_items} items",
            f"files: {len(self.files)}",
        ]
        out.extend(f"  {path}" for path in self.files)
        return out


def parse_author(value: str) -> tuple[str, str]:
    """``PLATFORM:HANDLE_OR_ID`` into its two parts; a clear error otherwise."""
    platform, sep, who = value.partition(":")
    if not sep or not platform or not who.strip():
        raise ErasureRefused(
            f"--author must be PLATFORM:HANDLE_OR_ID (e.g. x:someone), not {value!r}"
        )
    return platform.strip().casefold(), who.strip().lstrip("@")


def check_store_matches(
    config: OrgConfig, *, backend: str | None, url: str | None, configured: str | None = None
) -> None:
    """Refuse an erasure aimed at a store other than the configured one (`configured`: the
    backend the deployment chose, where it overrides the config's)."""
    configured = configured or config.store.backend
    if backend and backend != configured:
        raise ErasureRefused(
            f"refused: the config's store is {configured}, not {backend}; an erasure must run "
            "on the store the pipeline writes to (change store.backend in the config first)"
        )
    if url and configured != "elasticsearch":
        raise ErasureRefused(
            f"refused: an Elasticsearch URL was given but the config's store is {configured}; "
            "nothing would be erased where the pipeline writes"
        )


def erase_person(
    config: OrgConfig,
    store: Store,
    platform: str,
    handle_or_id: str,
    *,
    actor: str,
    folders: Sequence[Path] = (),
) -> ErasureReport:
    """Erase one person (by id, or by handle as stored) from the store, the data directory and
    `folders` (where reports and evidence packs were written)."""
    data = config.data_path()
    posts, hits = _records(store, platform, handle_or_id)
    ids = {p.author.id for p in posts} | {h.author_id for h in hits} or {handle_or_id}
    report = ErasureReport(platform=platform)
    files = _files_of(data, posts, hits)
    needles = _needles(posts, hits)
    for author_id in sorted(ids):
        report.store_documents += store.erase_author(platform, author_id)
    store.refresh()
    compact = getattr(store, "compact", None)  # SQLite: no deleted row left in the WAL
    if callable(compact):
        compact()
    report.outbox_messages = _erase_outbox(data / "outbox.sqlite", needles)
    report.quarantined_items = _erase_quarantine(data / "quarantine.sqlite", platform, ids)
    files |= _files_mentioning([data, *folders], needles, hits)
    for path in sorted(files):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        report.files.append(str(path))
    _audit(config, report, actor, ids)
    # The person's id is deliberately not logged: the log would outlive the erasure.
    log.info("erasure: removed %d store documents and %d files of one %s author",
             report.store_documents, len(report.files), platform)
    return report


def _records(store: Store, platform: str, who: str) -> tuple[list[Post], list[Hit]]:
    key = who.casefold()
    posts = [
        p for p in store.iter_posts()
        if p.platform == platform and (p.author.id == who or p.author.handle.casefold() == key)
    ]
    hits = [
        h for h in store.iter_hits()
        if h.platform == platform
        and (h.author_id == who or (h.author_handle or "").casefold() == key)
    ]
    return posts, hits


def _needles(posts: Iterable[Post], hits: Iterable[Hit]) -> set[str]:
    """Strings that only this person's records carry: hit ids, post ids, post URLs."""
    found: list[str | None] = []
    for post in posts:
        found += [post.doc_id, post.url]
    for hit in hits:
        found += [hit.id, hit.post_id, hit.post_url]
    # Short strings would match unrelated text.
    return {n for n in found if n and len(n) >= 6}


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def _files_of(data: Path, posts: Iterable[Post], hits: Iterable[Hit]) -> set[Path]:
    """Fetched media and evidence images of the person's records, inside the data directory
    only (bundled samples and files the user pointed at are not the project's copies)."""
    return {Path(p) for p in record_files(posts, hits) if _inside(Path(p), data)}


def _files_mentioning(folders: Iterable[Path], needles: set[str], hits: list[Hit]) -> set[Path]:
    """Evidence packs of the person's hits, and report files that show any of their records.
    A PDF goes with the HTML of the same name (the PDF is printed from it)."""
    packs = {f"evidence-{h.id}.zip" for h in hits}
    found: set[Path] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if not path.is_file():
                continue
            if path.name in packs:
                found.add(path)
            elif path.suffix.lower() in _SCANNED and _mentions(path, needles):
                found.add(path)
                found |= {s for s in path.parent.glob(f"{path.stem}.*") if s.suffix in _SCANNED}
    return found


def _mentions(path: Path, needles: set[str]) -> bool:
    if not needles:
        return False
    if path.suffix.lower() == ".pdf":
        try:
            text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                  timeout=60, check=False).stdout
        except (OSError, subprocess.TimeoutExpired):
            return False
    else:
        text = path.read_text(encoding="utf-8", errors="ignore")
    return any(n in text for n in needles)


def _erase_outbox(path: Path, needles: set[str]) -> int:
    """Alerts about the person's hits (queued or sent), and digests that list them."""
    if not path.exists() or not needles:
        return 0
    db = sqlite3.connect(path)
    try:
        with db:
            rows = db.execute("SELECT key, subject, body FROM outbox").fetchall()
            doomed = [(k,) for k, s, b in rows if any(n in f"{k}\n{s}\n{b}" for n in needles)]
            db.executemany("DELETE FROM outbox WHERE key = ?", doomed)
        db.execute("VACUUM")  # deleted rows must not linger in free pages
    finally:
        db.close()
    return len(doomed)


def _erase_quarantine(path: Path, platform: str, ids: set[str]) -> int:
    """Held items are raw lines or posts: those of this author go."""
    if not path.exists():
        return 0
    db = sqlite3.connect(path)
    try:
        with db:
            rows = db.execute("SELECT id, raw FROM quarantine WHERE raw IS NOT NULL").fetchall()
            doomed = [(i,) for i, raw in rows if _raw_author(raw, platform) in ids]
            db.executemany("DELETE FROM quarantine WHERE id = ?", doomed)
        db.execute("VACUUM")
    finally:
        db.close()
    return len(doomed)


def _raw_author(raw: str, platform: str) -> str | None:
    try:
        item = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(item, dict) or str(item.get("platform", "")).casefold() != platform:
        return None
    author = item.get("author")
    return str(author.get("id")) if isinstance(author, dict) else None


def _audit(config: OrgConfig, report: ErasureReport, actor: str, ids: set[str]) -> None:
    from pipeline.core.values import keyed_hash, load_salt

    salt = load_salt(config.data_path())
    entry = {
        "at": utcnow().isoformat(),
        "action": "erase_person",
        "actor": actor,
        "platform": report.platform,
        "account_hashes": sorted(keyed_hash(f"{report.platform}:{i}", salt) for i in ids),
        **{k: v for k, v in asdict(report).items() if k not in ("platform", "files")},
        "files": len(report.files),
    }
    path = config.data_path() / AUDIT_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
