"""Retention (docs/deploy.md): personal data is kept only as long as the config's `retention`
says, and the files that show it go with it.

The store deletes what has expired (`Store.purge_expired`: posts after `posts_days`, closed
hits after `closed_hits_days`, held hits never) and names the files those records pointed at;
the ones inside the data directory are deleted here. Quarantined items (raw posts) are kept no
longer than posts.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.core.config import OrgConfig
from pipeline.core.models import utcnow
from pipeline.store.base import Store

log = logging.getLogger(__name__)


@dataclass
class RetentionReport:
    posts_before: datetime
    closed_hits_before: datetime
    store_documents: int = 0
    quarantined_items: int = 0
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"posts_before": self.posts_before.isoformat(),
                "closed_hits_before": self.closed_hits_before.isoformat(),
                "deleted": self.store_documents, "quarantined_items": self.quarantined_items,
                "files": len(self.files)}


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def apply_retention(config: OrgConfig, store: Store, *, now: datetime | None = None
                    ) -> RetentionReport:
    now = now or utcnow()
    report = RetentionReport(
        posts_before=now - timedelta(days=config.retention.posts_days),
        closed_hits_before=now - timedelta(days=config.retention.closed_hits_days),
    )
    purged = store.purge_expired(report.posts_before, report.closed_hits_before)
    report.store_documents = purged.documents
    store.refresh()
    compact = getattr(store, "compact", None)  # SQLite: no deleted row left in the WAL
    if callable(compact):
        compact()
    data = config.data_path()
    # Only the project's own copies: bundled samples and files a user pointed at stay.
    for path in sorted(Path(p) for p in purged.files if _inside(Path(p), data)):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        report.files.append(str(path))
    report.quarantined_items = _expire_quarantine(data / "quarantine.sqlite", report.posts_before)
    log.info("retention: deleted %d store documents, %d files and %d quarantined items",
             report.store_documents, len(report.files), report.quarantined_items)
    return report


def _expire_quarantine(path: Path, before: datetime) -> int:
    if not path.exists():
        return 0
    db = sqlite3.connect(path)
    try:
        with db:
            # Times are stored as ISO 8601 in UTC to the second (pipeline/run/quarantine.py),
            # so written the same way they compare as text.
            mark = before.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            gone = db.execute("DELETE FROM quarantine WHERE last_seen < ?", (mark,)).rowcount
        if gone:
            db.execute("VACUUM")  # deleted rows must not linger in free pages
    finally:
        db.close()
    return gone
