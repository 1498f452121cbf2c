"""The notifications and weekly_report DAGs run end to end with `dag.test()`: hits from the
scenario's replay, a real SMTP server on loopback, and what arrived read back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.airflow import tasks
from pipeline.review.workflow import Reviewer
from tests.dags.runs import task_states, without_retries
from tests.dags.scenario import write_scenario
from tests.unit.notify.conftest import smtp_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


@pytest.fixture()
def deployment(tmp_path: Path, smtp_server, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    path = write_scenario(tmp_path)
    config = yaml.safe_load(path.read_text())
    config["notifications"] = {
        "recipients": ["alerts@example.ac.uk"], "digest_recipients": ["comms@example.ac.uk"],
        "smtp_host": smtp_server.host, "smtp_port": smtp_server.port, "smtp_starttls": True,
        "smtp_ca_file": str(smtp_server.ca_file), "sender": "crestwatch@example.ac.uk",
    }
    path.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("CRESTWATCH_CONFIG", str(path))
    monkeypatch.setenv("CRESTWATCH_SMTP_USER", "alerts")
    monkeypatch.setenv("CRESTWATCH_SMTP_PASSWORD", "s3cret-smtp-pass")
    monkeypatch.setenv("CRESTWATCH_HASH_SALT", "dag-test")
    for name in ("CRESTWATCH_STORE_BACKEND", "CRESTWATCH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    tasks.ingest_source(path, "replay")
    return path


def test_notifications_dag_mails_each_critical_hit_once(dagbag, deployment, smtp_server):  # noqa: F811
    config = tasks.load_config(deployment)
    with tasks.open_task_store(config) as store:
        hits = store.search_hits()
        assert len(hits) == 2
        Reviewer(store, "amira").set_risk(hits[0].id, "critical")
        store.update_hit(hits[0].id, {"status": "new"}, actor="amira", action="reopen")
    dag = without_retries(dagbag.get_dag("notifications"))
    run = dag.test()
    assert set(task_states(run)["notify"]) == {"success"}
    critical = [m for m in smtp_server.inbox.messages if "Critical" in m["Subject"]]
    assert len(critical) == 1 and critical[0]["To"] == "alerts@example.ac.uk"
    dag.test()
    assert len([m for m in smtp_server.inbox.messages if "Critical" in m["Subject"]]) == 1


def test_weekly_report_dag_writes_and_mails_the_report(dagbag, deployment, smtp_server):  # noqa: F811
    run = without_retries(dagbag.get_dag("weekly_report")).test()
    assert set(task_states(run)["build_and_send"]) == {"success"}
    reports = list((deployment.parent / "data" / "reports").glob("*/crestwatch-*.html"))
    assert len(reports) == 1
    (mail,) = [m for m in smtp_server.inbox.messages if "Weekly report" in m["Subject"]]
    attached = {part.get_filename() for part in mail.walk() if part.get_filename()}
    assert reports[0].name in attached and reports[0].with_suffix(".pdf").name in attached
