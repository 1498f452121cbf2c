"""pipeline.airflow.tasks without Airflow: the functions the DAGs call, on a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.airflow import tasks
from pipeline.core.config import load_config
from pipeline.store.sqlite import SQLiteStore
from tests.dags.scenario import MARKED, NOW, write_scenario

POST_IDS = [f"x:{n}" for n in range(1, 7)]


@pytest.fixture()
def scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CRESTWATCH_STORE_BACKEND", raising=False)
    monkeypatch.delenv("CRESTWATCH_DATA_DIR", raising=False)
    return write_scenario(tmp_path)


def _store(config_path: Path) -> SQLiteStore:
    return SQLiteStore(load_config(config_path).data_path() / "crestwatch.sqlite")


def _stored_posts(store: SQLiteStore) -> list[str]:
    return [i for i in POST_IDS if store.get_post(i) is not None]


def test_config_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRESTWATCH_CONFIG", "/etc/crestwatch/org.yaml")
    assert tasks.config_path() == "/etc/crestwatch/org.yaml"
    monkeypatch.delenv("CRESTWATCH_CONFIG")
    assert tasks.config_path().endswith("config/example.yaml")


def test_list_sources_names_enabled_sources_only(scenario: Path) -> None:
    assert tasks.list_sources(scenario) == [{"name": "replay", "platform": "jsonl"}]


def test_sources_by_platform_has_every_platform(scenario: Path) -> None:
    grouped = tasks.sources_by_platform(scenario)
    assert set(grouped) == {"x", "reddit", "bluesky", "mastodon", "jsonl"}
    assert grouped["jsonl"] == ["replay"]
    assert grouped["x"] == []


def test_ingest_source_stores_posts_and_hits_and_a_rerun_adds_nothing(scenario: Path) -> None:
    first = tasks.ingest_source(scenario, "replay")
    assert first["posts_read"] == 6 and first["posts_stored"] == first["posts_new"] == 6
    assert first["hits_written"] == len(MARKED)
    assert first["skipped"] == 1  # the malformed line, reported and skipped
    assert first["findings"] == {"confidential/high": len(MARKED)}
    with _store(scenario) as store:
        assert _stored_posts(store) == POST_IDS
        assert store.count_hits() == len(MARKED)
        assert store.get_checkpoint("replay") is not None

    second = tasks.ingest_source(scenario, "replay")
    assert second["posts_read"] == 0 and second["hits_written"] == 0
    with _store(scenario) as store:
        assert _stored_posts(store) == POST_IDS
        assert store.count_hits() == len(MARKED)


def test_the_malformed_line_is_held_in_the_data_folders_quarantine(scenario: Path) -> None:
    from pipeline.run.quarantine import Quarantine

    tasks.ingest_source(scenario, "replay")
    tasks.ingest_source(scenario, "replay")  # a rerun holds it once, not twice
    with Quarantine.in_data_dir(load_config(scenario).data_path()) as held:
        (item,) = held.items()
    assert item.source == "replay" and item.location.startswith("line ")
    assert item.raw_kind is not None  # kept, so `crestwatch quarantine retry` can read it again


def test_a_lost_checkpoint_rereads_without_duplicates(scenario: Path) -> None:
    tasks.ingest_source(scenario, "replay")
    with _store(scenario) as store:
        # As if the task died after the store acknowledged the page but before the checkpoint.
        store._db.execute("DELETE FROM checkpoints")
        store._db.commit()
    again = tasks.ingest_source(scenario, "replay")
    assert again["posts_read"] == 6
    assert again["posts_stored"] == 6 and again["posts_new"] == 0  # written again, none new
    with _store(scenario) as store:
        assert store.count_hits() == len(MARKED)
        assert {h.post_id for h in store.search_hits()} == {f"x:{n}" for n in MARKED}


@pytest.mark.parametrize(
    ("name", "message"),
    [("nope", "no source named 'nope' in the config (sources: replay, paused)"),
     ("paused", "source 'paused' is disabled in the config")],
)
def test_ingest_source_refuses_unknown_and_disabled_sources(
    scenario: Path, name: str, message: str
) -> None:
    with pytest.raises(ValueError) as excinfo:
        tasks.ingest_source(scenario, name)
    assert str(excinfo.value) == message


def test_a_source_without_a_connection_id_uses_the_environment(scenario: Path) -> None:
    assert tasks.source_credentials(scenario, "replay") is None


def test_purge_expired_deletes_only_posts_older_than_retention(scenario: Path) -> None:
    tasks.ingest_source(scenario, "replay")
    result = tasks.purge_expired(scenario, now=NOW)
    assert result == {"posts_before": "2026-05-24T12:00:00+00:00",
                      "closed_hits_before": "2026-05-24T12:00:00+00:00", "deleted": 1,
                      "quarantined_items": 0, "files": 0}
    with _store(scenario) as store:
        assert _stored_posts(store) == POST_IDS[:5]
        assert store.count_hits() == len(MARKED)
    assert tasks.purge_expired(scenario, now=NOW)["deleted"] == 0


def test_erase_person_deletes_one_authors_posts_and_hits(scenario: Path) -> None:
    tasks.ingest_source(scenario, "replay")
    result = tasks.erase_person(scenario, "x", "a2")  # posts 2, 4, 6; post 2 has a hit
    assert result == {"platform": "x", "deleted": 4, "outbox": 0, "files": 0}
    with _store(scenario) as store:
        assert _stored_posts(store) == ["x:1", "x:3", "x:5"]
        assert [h.post_id for h in store.search_hits()] == ["x:5"]


def test_store_backend_can_be_overridden_by_the_deployment(
    scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(scenario)
    assert tasks.store_backend(config) == "sqlite"
    monkeypatch.setenv("CRESTWATCH_STORE_BACKEND", "elasticsearch")
    assert tasks.store_backend(config) == "elasticsearch"


@pytest.mark.parametrize(
    ("fields", "url", "options"),
    [
        # A full URL in host, basic auth from login and password.
        ({"host": "https://es01:9200", "login": "elastic", "password": "pw", "extra": {}},
         "https://es01:9200", {"basic_auth": ("elastic", "pw")}),
        # A bare host completed with port and the scheme from extra; an API key wins.
        ({"host": "es01", "port": 9243, "login": "elastic", "password": "pw",
          "extra": {"scheme": "https", "api_key": "k", "ca_certs": "/certs/ca.crt"}},
         "https://es01:9243", {"api_key": "k", "ca_certs": "/certs/ca.crt"}),
        # A URL without a port takes the Connection's port; no credentials at all.
        ({"host": "http://127.0.0.1", "port": 9200, "extra": {}}, "http://127.0.0.1:9200", {}),
    ],
)
def test_elasticsearch_options_from_connection_fields(
    fields: dict[str, object], url: str, options: dict[str, object]
) -> None:
    got_url, got_options = tasks.elasticsearch_options(fields)
    assert got_url == url
    assert got_options == {"request_timeout": 30, **options}


@pytest.mark.parametrize("host", [
    "http://crestwatch:conn-secret-Q7r2@es01:99999999",  # a port out of range
    "es01//crestwatch:conn-secret-Q7r2@es01:9200",  # no scheme
])
def test_a_connection_url_the_client_cannot_use_is_refused_without_its_password(
    host: str, example_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.store.base import StoreError

    monkeypatch.setenv("CRESTWATCH_STORE_BACKEND", "elasticsearch")
    monkeypatch.setattr(tasks, "connection_fields", lambda conn_id: {
        "host": host, "login": "crestwatch", "password": "conn-secret-Q7r2", "extra": {}})
    with pytest.raises(StoreError) as info:
        tasks.open_task_store(example_config)
    assert "not a usable Elasticsearch URL" in str(info.value)
    assert "conn-secret-Q7r2" not in str(info.value)
