"""pipeline.alerts: what a task failure says, and that it is logged."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from pipeline.alerts import describe_failure, task_failed


def _context(**ti_fields: object) -> dict[str, object]:
    ti = SimpleNamespace(dag_id="ingest", task_id="ingest_x", run_id="manual__1",
                         map_index=2, try_number=4, max_tries=3)
    for key, value in ti_fields.items():
        setattr(ti, key, value)
    return {
        "ti": ti,
        "dag_run": SimpleNamespace(run_id="scheduled__2026-11-23T21:00:00+00:00"),
        "exception": RuntimeError("source 'x-search': 1 errors: store refused x:1\nTraceback"),
    }


@pytest.mark.parametrize(
    ("ti_fields", "summary"),
    [
        ({}, "ingest.ingest_x[2] failed (run scheduled__2026-11-23T21:00:00+00:00, try 4/4): "
             "RuntimeError: source 'x-search': 1 errors: store refused x:1"),
        ({"task_id": "purge_expired", "map_index": -1, "try_number": 1, "max_tries": 0},
         "ingest.purge_expired failed (run scheduled__2026-11-23T21:00:00+00:00, try 1/1): "
         "RuntimeError: source 'x-search': 1 errors: store refused x:1"),
    ],
)
def test_describe_failure(ti_fields: dict[str, object], summary: str) -> None:
    assert describe_failure(_context(**ti_fields)).summary() == summary


def test_describe_failure_without_an_exception() -> None:
    context = _context()
    context.pop("exception")
    assert describe_failure(context).error == "no exception recorded"


def test_task_failed_logs_dag_task_and_try(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="pipeline.alerts"):
        alert = task_failed(_context())
    assert alert.try_number == 4 and alert.max_tries == 4
    [record] = caplog.records
    assert "ingest.ingest_x[2] failed" in record.getMessage()
    assert "try 4/4" in record.getMessage()
    assert "Traceback" not in record.getMessage()  # first line of the error only
    assert record.alert["dag_id"] == "ingest"  # type: ignore[attr-defined]
