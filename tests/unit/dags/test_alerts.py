"""pipeline.airflow.alerts: what a task failure says, and that it is logged."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from pipeline.airflow.alerts import describe_failure, task_failed


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
    with caplog.at_level(logging.ERROR, logger="pipeline.airflow.alerts"):
        alert = task_failed(_context())
    assert alert.try_number == 4 and alert.max_tries == 4
    [record] = caplog.records
    assert "ingest.ingest_x[2] failed" in record.getMessage()
    assert "try 4/4" in record.getMessage()
    assert "Traceback" not in record.getMessage()  # first line of the error only
    assert record.alert["dag_id"] == "ingest"  # type: ignore[attr-defined]


@pytest.fixture()
def smtp_server():  # type: ignore[no-untyped-def]
    """A real SMTP server on loopback that keeps what it receives."""
    import socket

    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.messages: list[tuple[list[str], str]] = []

        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _config_with_smtp(tmp_path, port: int):  # type: ignore[no-untyped-def]
    import yaml

    from tests.dags.scenario import write_scenario

    path = write_scenario(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["notifications"] = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
                             "sender": "crestwatch@example.ac.uk"}
    data["data_dir"] = str(tmp_path / "data")  # the notification outbox lives there
    path.write_text(yaml.safe_dump(data))
    return path


def test_failures_are_mailed_to_the_configured_recipients(
    smtp_server, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp_server
    monkeypatch.setenv("CRESTWATCH_CONFIG", str(_config_with_smtp(tmp_path, port)))
    monkeypatch.setenv("CRESTWATCH_FAILURE_RECIPIENTS", "ops@example.ac.uk, oncall@example.ac.uk")
    monkeypatch.delenv("CRESTWATCH_SMTP_USER", raising=False)
    task_failed(_context())
    task_failed(_context())  # the same failure reported twice is mailed once
    [(recipients, content)] = inbox.messages
    assert recipients == ["ops@example.ac.uk", "oncall@example.ac.uk"]
    assert "Subject: [crestwatch] ingest.ingest_x failed" in content
    assert "ingest.ingest_x[2] failed (run scheduled__2026-11-23T21:00:00+00:00, try 4/4)" \
        in content


def test_nothing_is_mailed_without_recipients(
    smtp_server, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp_server
    monkeypatch.setenv("CRESTWATCH_CONFIG", str(_config_with_smtp(tmp_path, port)))
    monkeypatch.delenv("CRESTWATCH_FAILURE_RECIPIENTS", raising=False)
    task_failed(_context())
    assert inbox.messages == []


def test_an_unreachable_mail_server_is_logged_not_raised(
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CRESTWATCH_CONFIG", str(_config_with_smtp(tmp_path, port)))
    monkeypatch.setenv("CRESTWATCH_FAILURE_RECIPIENTS", "ops@example.ac.uk")
    with caplog.at_level(logging.WARNING, logger="pipeline.airflow.alerts"):
        alert = task_failed(_context())
    assert alert.task_id == "ingest_x"
    assert "failure alert not sent yet (kept in the outbox): ConnectionRefusedError" in caplog.text
