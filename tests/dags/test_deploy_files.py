"""The Kubernetes files (deploy/helm/values.yaml for the official Airflow chart, deploy/eck for
Elasticsearch) agree with the rest of the project: the same Airflow and Elasticsearch versions
as the image and compose file, the CeleryExecutor, every secret by reference only."""

from __future__ import annotations

import re

import pytest
import yaml

from pipeline.airflow.tasks import ELASTICSEARCH_CONNECTION
from pipeline.core.paths import PROJECT_ROOT

VALUES = PROJECT_ROOT / "deploy" / "helm" / "values.yaml"
ECK = PROJECT_ROOT / "deploy" / "eck" / "elasticsearch.yaml"
WARM_CELERY_CONFIG = "pipeline.airflow.celery_worker.CELERY_CONFIG"


def _dockerfile_airflow_version() -> str:
    text = (PROJECT_ROOT / "docker" / "airflow.Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"^ARG AIRFLOW_VERSION=(\S+)", text, re.M)
    assert match
    return match.group(1)


def test_helm_values_run_the_image_on_celery_with_secrets_by_reference() -> None:
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    assert values["executor"] == "CeleryExecutor"
    assert values["airflowVersion"] == _dockerfile_airflow_version()
    assert values["images"]["airflow"]["tag"].startswith(_dockerfile_airflow_version())
    assert values["workers"]["celery"]["replicas"] >= 2
    assert values["postgresql"]["enabled"] is False  # a managed metadata DB
    for key in ("fernetKeySecretName", "apiSecretKeySecretName", "jwtSecretName"):
        assert values[key]
    assert values["data"]["metadataSecretName"] and values["data"]["brokerUrlSecretName"]
    secret_env = {s["envName"] for s in values["secret"]}
    assert f"AIRFLOW_CONN_{ELASTICSEARCH_CONNECTION.upper()}" in secret_env
    env = {e["name"]: e["value"] for e in values["env"]}
    assert env["CRESTWATCH_STORE_BACKEND"] == "elasticsearch"
    assert env["CRESTWATCH_CONFIG"].startswith(values["volumeMounts"][0]["mountPath"])
    # Nothing secret inline: no literal passwords, keys or connection strings.
    for name in ("fernetKey", "apiSecretKey", "jwtSecret", "webserverSecretKey"):
        assert name not in values
    assert "password" not in values["redis"] and "metadataConnection" not in values["data"]
    assert all("value" not in s for s in values["secret"])
    assert values["config"]["celery"]["celery_config_options"] == WARM_CELERY_CONFIG


def test_every_deployment_selects_the_same_importable_celery_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The chart, the compose file and scripts/celery-stack.sh name one settings object, and
    Airflow imports it the way its Celery provider does: its defaults plus the warm-up."""
    from airflow.configuration import conf
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

    stack = (PROJECT_ROOT / "scripts" / "celery-stack.sh").read_text(encoding="utf-8")
    assert f"export AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS={WARM_CELERY_CONFIG}\n" in stack
    monkeypatch.setenv("AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS", WARM_CELERY_CONFIG)
    settings = conf.getimport("celery", "celery_config_options")
    assert settings["broker_url"] == DEFAULT_CELERY_CONFIG["broker_url"]


def test_eck_runs_three_nodes_of_the_compose_version() -> None:
    documents = list(yaml.safe_load_all(ECK.read_text(encoding="utf-8")))
    [es] = [d for d in documents if d["kind"] == "Elasticsearch"]
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    compose_version = compose["services"]["elasticsearch"]["image"].rsplit(":", 1)[1]
    assert es["spec"]["version"] == compose_version
    assert sum(n["count"] for n in es["spec"]["nodeSets"]) == 3
    [kibana] = [d for d in documents if d["kind"] == "Kibana"]
    assert kibana["spec"]["version"] == compose_version
    assert kibana["spec"]["elasticsearchRef"]["name"] == es["metadata"]["name"]
