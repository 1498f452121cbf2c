"""The ingest and retention DAGs run end to end with `dag.test()` into the real local
Elasticsearch, through the `crestwatch_elasticsearch` Airflow Connection."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipeline.airflow import tasks
from tests.dags.runs import task_states, without_retries
from tests.dags.scenario import MARKED, write_scenario

# A made-up password: the local node ignores it (security is off on loopback), so the test can
# check that it never shows up in logs or task results.
PASSWORD = "not-a-real-password-7f3a9c"

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture()
def deployment(
    tmp_path: Path, es_url: str, es_prefix: str, es_client: object,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A config pointing at a JSONL replay and Elasticsearch, as a deployment would set it."""
    path = write_scenario(tmp_path, backend="elasticsearch", index_prefix=es_prefix)
    monkeypatch.setenv("CRESTWATCH_CONFIG", str(path))
    monkeypatch.delenv("CRESTWATCH_STORE_BACKEND", raising=False)
    monkeypatch.delenv("CRESTWATCH_DATA_DIR", raising=False)
    for name in ("URL", "API_KEY", "USER", "PASSWORD"):
        monkeypatch.delenv(f"CRESTWATCH_ES_{name}", raising=False)
    connection = {"conn_type": "generic", "host": es_url, "login": "elastic",
                  "password": PASSWORD}
    monkeypatch.setenv("AIRFLOW_CONN_CRESTWATCH_ELASTICSEARCH", json.dumps(connection))
    # Templates and indices exist from here on (es_client removes them after the test).
    with tasks.open_task_store(tasks.load_config(path)):
        pass
    return path


def _counts(es_client, prefix: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    es_client.indices.refresh(index=f"{prefix}-*")
    return (es_client.count(index=f"{prefix}-posts")["count"],
            es_client.count(index=f"{prefix}-hits")["count"])




def test_connection_fields_come_from_airflow(deployment: Path, es_url: str) -> None:
    fields = tasks.connection_fields(tasks.ELASTICSEARCH_CONNECTION)
    assert fields is not None
    assert (fields["host"], fields["login"], fields["password"]) == (es_url, "elastic", PASSWORD)
    assert tasks.connection_fields("crestwatch_no_such_connection") is None


def test_source_credentials_come_from_the_sources_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_scenario(tmp_path, connection_id="crestwatch_replay")
    monkeypatch.setenv("AIRFLOW_CONN_CRESTWATCH_REPLAY", json.dumps(
        {"conn_type": "generic", "login": "client-id", "password": "client-secret",
         "extra": {"user_agent": "crestwatch-test"}}))
    fields = tasks.source_credentials(path, "replay")
    assert fields is not None
    assert (fields["login"], fields["password"]) == ("client-id", "client-secret")
    assert fields["extra"] == {"user_agent": "crestwatch-test"}


def test_ingest_dag_writes_to_elasticsearch_and_a_second_run_adds_nothing(
    dagbag, deployment: Path, es_client, es_prefix: str, caplog: pytest.LogCaptureFixture,
) -> None:  # type: ignore[no-untyped-def]
    dag = without_retries(dagbag.get_dag("ingest"))
    with caplog.at_level(logging.INFO):
        first = dag.test()
    assert str(first.state) == "success", task_states(first)
    states = task_states(first)
    assert states["ingest_jsonl"] == ["success"]  # one mapped instance: the one enabled source
    assert states["ingest_x"] == ["skipped"]  # no X source configured
    [mapped] = [ti for ti in first.get_task_instances() if ti.task_id == "ingest_jsonl"]
    assert mapped.rendered_map_index == "replay"  # the UI names each instance after its source
    assert _counts(es_client, es_prefix) == (6, len(MARKED))
    hits = es_client.search(index=f"{es_prefix}-hits", size=10)["hits"]["hits"]
    assert {h["_source"]["post_id"] for h in hits} == {f"x:{n}" for n in MARKED}

    second = dag.test()
    assert str(second.state) == "success", task_states(second)
    assert second.run_id != first.run_id
    assert _counts(es_client, es_prefix) == (6, len(MARKED))
    assert "source replay: {'posts_read': 6" in caplog.text  # the task logs were captured
    assert PASSWORD not in caplog.text


def test_a_failing_source_fails_its_task_and_raises_the_alert(
    dagbag, deployment: Path, caplog: pytest.LogCaptureFixture,
) -> None:  # type: ignore[no-untyped-def]
    (deployment.parent / "posts.jsonl").unlink()
    with caplog.at_level(logging.INFO):
        run = without_retries(dagbag.get_dag("ingest")).test()
    states = task_states(run)
    assert str(run.state) == "failed"
    assert states["ingest_jsonl"] == ["failed"] and states["ingest_x"] == ["skipped"]
    alerts = [r for r in caplog.records if r.name == "pipeline.airflow.alerts"]
    assert len(alerts) == 1
    assert "ingest.ingest_jsonl[0] failed" in alerts[0].getMessage()
    # The source's own words: which file, and why it could not be read.
    assert "IngestFailed" in alerts[0].getMessage()
    assert "posts.jsonl: No such file or directory" in alerts[0].getMessage()


def test_a_rerun_after_a_lost_checkpoint_adds_nothing(
    deployment: Path, es_client, es_prefix: str
) -> None:  # type: ignore[no-untyped-def]
    first = tasks.ingest_source(deployment, "replay")
    assert first["posts_stored"] == 6
    # As if the task died after Elasticsearch acknowledged the page but before the checkpoint.
    es_client.delete(index=f"{es_prefix}-checkpoints", id="replay", refresh=True)
    again = tasks.ingest_source(deployment, "replay")
    assert again["posts_read"] == 6
    assert _counts(es_client, es_prefix) == (6, len(MARKED))


def test_refused_writes_fail_the_task_and_keep_the_checkpoint(
    deployment: Path, es_client, es_prefix: str
) -> None:  # type: ignore[no-untyped-def]
    es_client.indices.put_settings(index=f"{es_prefix}-posts",
                                   settings={"index.blocks.write": True})
    try:
        with pytest.raises(tasks.IngestFailed) as excinfo:
            tasks.ingest_source(deployment, "replay")
        assert "store refused x:1" in str(excinfo.value)
        assert PASSWORD not in str(excinfo.value)
        assert not es_client.exists(index=f"{es_prefix}-checkpoints", id="replay")
    finally:
        es_client.indices.put_settings(index=f"{es_prefix}-posts",
                                       settings={"index.blocks.write": False})
    # The retry Airflow would make now reads the same page again and completes it.
    retry = tasks.ingest_source(deployment, "replay")
    assert retry["posts_read"] == 6 and retry["errors"] == []
    assert _counts(es_client, es_prefix) == (6, len(MARKED))


def test_retention_dag_purges_posts_past_retention(
    dagbag, deployment: Path, es_client, es_prefix: str
) -> None:  # type: ignore[no-untyped-def]
    tasks.ingest_source(deployment, "replay")
    assert _counts(es_client, es_prefix) == (6, len(MARKED))
    run = without_retries(dagbag.get_dag("retention")).test()
    assert str(run.state) == "success", task_states(run)
    # Post 6 was created 400 days before the scenario's date, beyond 180 days of retention.
    assert _counts(es_client, es_prefix) == (5, len(MARKED))
    assert es_client.exists(index=f"{es_prefix}-posts", id="x:5")
    assert not es_client.exists(index=f"{es_prefix}-posts", id="x:6")
