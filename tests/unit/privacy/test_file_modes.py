"""Files the project writes hold personal data of the public: owner-only (0600 files in 0700
folders it creates), whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from detectors.logo import evidence as logo_evidence
from pipeline.review.notify import Outbox
from pipeline.run.quarantine import Quarantine
from pipeline.store.sqlite import SQLiteStore


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    before = os.umask(0o022)  # the usual default, under which files come out 0644
    yield
    os.umask(before)


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_stores_outbox_and_quarantine_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    SQLiteStore(data / "crestwatch.sqlite").close()
    Outbox(data / "outbox.sqlite").close()
    Quarantine(data / "quarantine.sqlite").close()
    for name in ("crestwatch.sqlite", "outbox.sqlite", "quarantine.sqlite"):
        assert _private(data / name), name
    assert _private(data)


def test_evidence_images_are_owner_only(tmp_path: Path) -> None:
    path = logo_evidence.store(b"\x89PNG\r\n\x1a\nnot really a picture", tmp_path / "evidence")
    assert path.is_file() and _private(path) and _private(path.parent)
    assert logo_evidence.store(b"\x89PNG\r\n\x1a\nnot really a picture", tmp_path / "evidence") \
        == path  # content-addressed: written once


def test_evidence_packs_and_reports_are_owner_only(
    tmp_path: Path, sqlite_store, example_config
) -> None:
    from pipeline.reporting.render import write_report
    from pipeline.reporting.report import build_weekly_report
    from pipeline.review.evidence_pack import build_evidence_pack
    from tests.factories import make_hit, make_post

    post = make_post(1)
    sqlite_store.upsert_posts([post])
    hit = make_hit(1)
    sqlite_store.upsert_hits([hit])
    pack = build_evidence_pack(sqlite_store, hit.id, tmp_path / "packs")
    assert _private(pack)
    report = build_weekly_report(sqlite_store, example_config, "2026-W47")
    files = write_report(report, tmp_path / "reports", pdf=False)
    written = [p for p in (tmp_path / "reports").iterdir()]
    assert files["html"] in written and len(written) > 1
    assert all(_private(p) for p in written), [oct(p.stat().st_mode) for p in written]
