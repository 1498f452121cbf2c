"""The detector's per-account history and memory of official posts: retention, erasure."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from detectors.impersonation.history import (
    AccountMemory,
    account_subject,
    fingerprint,
    forget_author,
)

from .conftest import NOW


def test_fingerprint_ignores_case_spacing_and_links_and_skips_short_texts() -> None:
    text = "Applications for the spring open day are now open https://t.co/x1"
    assert fingerprint(text) == fingerprint("  APPLICATIONS for the spring\nopen day are now open")
    assert fingerprint("Thanks!") is None


def test_retention_drops_old_rows(tmp_path: Path) -> None:
    memory = AccountMemory(tmp_path / "m.sqlite", retention_days=30)
    memory.record("account:x:1", [("x:1", NOW - timedelta(days=40)), ("x:2", NOW)])
    memory.remember_official([("f" * 40, "x:9", "@QMUL", NOW - timedelta(days=40))])
    assert memory.prune(NOW) == 2
    history = memory.record("account:x:1", [])
    assert history.posts == 1 and history.evidence_posts == ["x:2"]
    assert memory.official_copies(["f" * 40]) == {}


def test_forget_author_erases_one_account(tmp_path: Path) -> None:
    path = tmp_path / "data" / "cache" / "impersonation.sqlite"
    memory = AccountMemory(path)
    memory.record(account_subject("x", "a2"), [("x:2", NOW)])
    memory.record(account_subject("x", "a3"), [("x:3", NOW)])
    assert forget_author(tmp_path / "data", "x", "a2") == 1
    assert memory.record(account_subject("x", "a2"), []).posts == 0
    assert memory.record(account_subject("x", "a3"), []).posts == 1
    assert forget_author(tmp_path / "elsewhere", "x", "a2") == 0
    assert not (tmp_path / "elsewhere").exists()


def test_erasure_task_also_forgets_the_account(tmp_path: Path, monkeypatch) -> None:
    from pipeline.airflow import tasks
    from pipeline.core.config import load_config
    from tests.dags.scenario import write_scenario

    monkeypatch.delenv("CRESTWATCH_STORE_BACKEND", raising=False)
    monkeypatch.delenv("CRESTWATCH_DATA_DIR", raising=False)
    config_path = write_scenario(tmp_path)
    data = load_config(config_path).data_path()
    memory = AccountMemory(data / "cache" / "impersonation.sqlite")
    memory.record(account_subject("x", "a2"), [("x:2", NOW), ("x:4", NOW)])
    tasks.erase_person(config_path, "x", "a2")
    assert memory.record(account_subject("x", "a2"), []).posts == 0
