"""Every DAG imports cleanly, parses without touching anything, and follows the project policy."""

from __future__ import annotations

import importlib.util
import socket
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from pipeline.airflow import tasks
from pipeline.airflow.alerts import task_failed
from pipeline.airflow.dag_policy import OWNER, DagTag
from pipeline.core import config as config_module
from tests.dags.conftest import dag_files

DAG_IDS = [p.stem for p in dag_files()]


def test_every_dag_file_imports_without_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert sorted(dagbag.dag_ids) == sorted(DAG_IDS)
    assert {"ingest", "retention"} <= set(DAG_IDS)


@pytest.mark.parametrize("path", dag_files(), ids=lambda p: p.name)
def test_parsing_a_dag_file_opens_no_connection_and_reads_no_config(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def record(what: str):  # type: ignore[no-untyped-def]
        def refuse(*args: object, **kwargs: object) -> None:
            calls.append(f"{what}{args[1:2] or args[:1]}")
            raise AssertionError(f"{path.name} called {what} while being parsed")

        return refuse

    monkeypatch.setattr(socket.socket, "connect", record("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", record("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", record("socket.create_connection"))
    monkeypatch.setattr(sqlite3, "connect", record("sqlite3.connect"))
    monkeypatch.setattr(sqlite3.dbapi2, "connect", record("sqlite3.dbapi2.connect"))
    monkeypatch.setattr(config_module, "load_config", record("load_config"))
    monkeypatch.setattr(tasks, "load_config", record("load_config"))
    # A fresh module each time, so the file's top level really runs under the patches.
    name = f"_parse_check_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    assert calls == []
    assert module.__doc__ and module.__doc__.strip()


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_dag_policy(dagbag, dag_id: str) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.get_dag(dag_id)
    assert Path(dag.fileloc).stem == dag.dag_id
    assert dag.tags and set(dag.tags) <= {t.value for t in DagTag}
    assert DagTag.crestwatch.value in dag.tags
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    for task in dag.tasks:
        assert task.owner == OWNER, task.task_id
        assert task.retries >= 1, task.task_id
        assert task.retry_exponential_backoff > 1, task.task_id
        assert task.max_retry_delay is not None, task.task_id
        callbacks = task.on_failure_callback
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        assert task_failed in callbacks, task.task_id


def test_dag_doc_is_the_module_docstring(dagbag) -> None:  # type: ignore[no-untyped-def]
    for dag_id in DAG_IDS:
        dag = dagbag.get_dag(dag_id)
        source = Path(dag.fileloc).read_text(encoding="utf-8")
        assert dag.doc_md.strip() and dag.doc_md.strip() in source


def test_ingest_maps_one_pooled_task_per_platform(dagbag) -> None:  # type: ignore[no-untyped-def]
    from pipeline.airflow.tasks import PLATFORMS

    dag = dagbag.get_dag("ingest")
    assert dag.schedule == timedelta(minutes=15)
    assert set(PLATFORMS) == {"x", "reddit", "bluesky", "mastodon", "jsonl"}
    for platform in PLATFORMS:
        ingest = dag.get_task(f"ingest_{platform}")
        assert ingest.pool == f"crestwatch_{platform}"
        assert ingest.is_mapped
        pick = dag.get_task(f"pick_{platform}")
        assert pick.upstream_task_ids == {"sources"}
        assert ingest.upstream_task_ids == {f"pick_{platform}"}


def test_retention_runs_daily(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.get_dag("retention")
    assert [t.task_id for t in dag.tasks] == ["purge_expired"]
    assert dag.schedule == "@daily"
