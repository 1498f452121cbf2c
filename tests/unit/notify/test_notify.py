"""Notifications through a real SMTP server on loopback with STARTTLS and AUTH."""

from __future__ import annotations

import http.server
import json
import threading
from datetime import date, timedelta

import pytest

from pipeline.core.config import Notifications
from pipeline.core.models import Severity
from pipeline.review.notify import (
    Outbox,
    deliver,
    queue_critical_alerts,
    queue_daily_digest,
)
from tests.factories import BASE_TIME, make_hit
from tests.unit.notify.conftest import free_port


@pytest.fixture()
def settings(smtp_server, monkeypatch) -> Notifications:
    monkeypatch.setenv("CRESTWATCH_SMTP_USER", "alerts")
    monkeypatch.setenv("CRESTWATCH_SMTP_PASSWORD", "s3cret-smtp-pass")
    return Notifications(
        recipients=["alerts@example.ac.uk"], digest_recipients=["comms@example.ac.uk"],
        smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_starttls=True,
        smtp_ca_file=smtp_server.ca_file, sender="crestwatch@example.ac.uk", max_per_hour=2,
    )


@pytest.fixture()
def outbox(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite")
    yield box
    box.close()


def critical(n: int):
    return make_hit(n, severity=Severity.critical, seen=BASE_TIME + timedelta(minutes=n))


def test_each_critical_hit_is_mailed_once_over_starttls(sqlite_store, outbox, settings,
                                                        smtp_server):
    sqlite_store.upsert_hits([critical(1), make_hit(2, severity=Severity.high)])
    assert queue_critical_alerts(sqlite_store, outbox, settings, since=BASE_TIME) == 1
    report = deliver(outbox, settings, now=BASE_TIME + timedelta(hours=2))
    assert report.sent == [f"critical:{critical(1).id}"]
    (mail,) = smtp_server.inbox.messages
    assert mail["To"] == "alerts@example.ac.uk"
    assert mail["Subject"].startswith("[Crestwatch] Critical harassment on x: @user100")
    assert "test finding" in mail.get_payload()
    assert smtp_server.inbox.logins == [("alerts", "s3cret-smtp-pass")]
    # The next pass finds the same hit again and sends nothing new.
    assert queue_critical_alerts(sqlite_store, outbox, settings, since=BASE_TIME) == 0
    assert deliver(outbox, settings, now=BASE_TIME + timedelta(hours=3)).sent == []
    assert len(smtp_server.inbox.messages) == 1


def test_an_unreachable_server_keeps_the_message_for_later(sqlite_store, outbox, settings,
                                                           smtp_server, caplog):
    sqlite_store.upsert_hits([critical(1)])
    queue_critical_alerts(sqlite_store, outbox, settings, since=BASE_TIME)
    down = settings.model_copy(update={"smtp_port": free_port()})  # nobody listens there
    report = deliver(outbox, down, now=BASE_TIME)
    key = f"critical:{critical(1).id}"
    assert key in report.failed and "ConnectionRefusedError" in report.failed[key]
    assert outbox.status(key)["attempts"] == 1 and outbox.status(key)["sent_at"] is None
    assert deliver(outbox, settings, now=BASE_TIME + timedelta(minutes=5)).sent == [key]
    assert len(smtp_server.inbox.messages) == 1
    assert "s3cret-smtp-pass" not in caplog.text


def test_wrong_credentials_fail_without_echoing_the_password(sqlite_store, outbox, settings,
                                                             smtp_server, monkeypatch, caplog):
    monkeypatch.setenv("CRESTWATCH_SMTP_PASSWORD", "wrong-password-123")
    sqlite_store.upsert_hits([critical(1)])
    queue_critical_alerts(sqlite_store, outbox, settings, since=BASE_TIME)
    report = deliver(outbox, settings, now=BASE_TIME)
    (reason,) = report.failed.values()
    assert reason.startswith("SMTPAuthenticationError")
    assert "wrong-password-123" not in reason and "wrong-password-123" not in caplog.text
    assert smtp_server.inbox.messages == []


def test_the_hourly_limit_defers_the_rest(sqlite_store, outbox, settings, smtp_server):
    sqlite_store.upsert_hits([critical(n) for n in range(1, 4)])
    queue_critical_alerts(sqlite_store, outbox, settings, since=BASE_TIME)
    first = deliver(outbox, settings, now=BASE_TIME + timedelta(hours=1))
    assert len(first.sent) == 2 and len(first.deferred) == 1
    assert deliver(outbox, settings, now=BASE_TIME + timedelta(hours=1, minutes=30)).sent == []
    later = deliver(outbox, settings, now=BASE_TIME + timedelta(hours=2, minutes=1))
    assert later.sent == first.deferred
    assert len(smtp_server.inbox.messages) == 3


def test_daily_digest_goes_to_the_digest_list_once(sqlite_store, outbox, settings, smtp_server):
    sqlite_store.upsert_hits([critical(1), make_hit(2, severity=Severity.medium)])
    day = date(2026, 11, 16)
    assert queue_daily_digest(sqlite_store, outbox, settings, day)
    assert not queue_daily_digest(sqlite_store, outbox, settings, day)
    deliver(outbox, settings, now=BASE_TIME + timedelta(days=1))
    (mail,) = smtp_server.inbox.messages
    assert mail["To"] == "comms@example.ac.uk"
    assert "2 new hits" in mail["Subject"]
    body = mail.get_payload()
    assert "By risk: critical 1, medium 1" in body
    assert body.index("[critical]") < body.index("[medium]")


def test_slack_webhook_gets_the_alert(sqlite_store, outbox, settings, monkeypatch):
    received: list[dict] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("CRESTWATCH_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    chat = settings.model_copy(update={"webhook": "slack", "recipients": []})
    sqlite_store.upsert_hits([critical(1)])
    assert queue_critical_alerts(sqlite_store, outbox, chat, since=BASE_TIME) == 1
    report = deliver(outbox, chat, now=BASE_TIME)
    server.shutdown()
    assert report.sent == [f"webhook:{critical(1).id}"]
    assert received[0]["text"].startswith("*[Crestwatch] Critical harassment")


def test_notify_command_sends_and_reports(tmp_path, smtp_server, settings):
    import yaml
    from typer.testing import CliRunner

    from pipeline.cli.app import app
    from pipeline.store.sqlite import SQLiteStore
    from tests.factories import example_config_data

    data = example_config_data()
    data["data_dir"] = str(tmp_path / "data")
    data["notifications"] = settings.model_dump(mode="json")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data))
    store = SQLiteStore(tmp_path / "data" / "crestwatch.sqlite")
    store.setup()
    from pipeline.core.models import utcnow

    store.upsert_hits([make_hit(1, severity=Severity.critical, seen=utcnow())])
    store.close()
    result = CliRunner().invoke(app, ["notify", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "queued 1, sent 1, failed 0" in result.stderr
    assert len(smtp_server.inbox.messages) == 1


def test_weekly_report_mail_carries_its_files(outbox, settings, smtp_server, tmp_path):
    from types import SimpleNamespace

    from pipeline.reporting.report import Change
    from pipeline.review.notify import weekly_report_message

    html = tmp_path / "crestwatch-2026-W47.html"
    html.write_text("<html>report</html>")
    csv = tmp_path / "2026-W47-by_category.csv"
    csv.write_text("category,this_week\nharassment,3\n")
    report = SimpleNamespace(week="2026-W47", organisation="QMUL", total=Change(5, 3),
                             by_risk={"critical": Change(1, 0)})
    assert outbox.queue(weekly_report_message(settings, report, {"html": html, "c": csv}))
    assert deliver(outbox, settings, now=BASE_TIME).sent == ["report:2026-W47"]
    (mail,) = smtp_server.inbox.messages
    assert mail["To"] == "comms@example.ac.uk"
    names = {part.get_filename(): part.get_payload(decode=True) for part in mail.walk()
             if part.get_filename()}
    assert names == {html.name: b"<html>report</html>",
                     csv.name: b"category,this_week\nharassment,3\n"}
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    assert "5 hits (+2 on the previous week), 1 critical" in text.get_payload(decode=True).decode()


def test_an_unreachable_webhook_is_reported_without_its_url(
    sqlite_store, outbox, settings, monkeypatch, caplog
):
    # A webhook URL is its own credential (Slack and Teams put the secret in the path).
    secret_url = f"http://127.0.0.1:{free_port()}/services/T0/B0/Xsecret-token-42"
    monkeypatch.setenv("CRESTWATCH_WEBHOOK_URL", secret_url)
    chat = settings.model_copy(update={"webhook": "slack", "recipients": []})
    sqlite_store.upsert_hits([critical(1)])
    queue_critical_alerts(sqlite_store, outbox, chat, since=BASE_TIME)
    report = deliver(outbox, chat, now=BASE_TIME)
    key = f"webhook:{critical(1).id}"
    assert report.failed[key] == "ConnectionError: the webhook could not be reached"
    stored = outbox.status(key)
    assert stored["sent_at"] is None and stored["attempts"] == 1
    for text in (str(stored), caplog.text, str(report.failed)):
        assert "Xsecret-token-42" not in text and "/services/" not in text
