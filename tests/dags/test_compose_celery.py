"""docker-compose.yml's `celery` profile: Redis, Celery workers and Flower, with every Airflow
service on the CeleryExecutor; without the profile the stack is unchanged (LocalExecutor, no
broker). Checked with `docker compose config`, as tests/dags/test_compose.py does."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.core.paths import PROJECT_ROOT
from tests.dags.test_deploy_files import WARM_CELERY_CONFIG

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker", "flower")


def compose_services(tmp_path: Path, *args: str, executor: str | None = None) -> dict[str, Any]:
    env_file = tmp_path / ".env"
    shutil.copy(ENV_EXAMPLE, env_file)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "REDIS_"))}
    if executor:
        env["AIRFLOW_EXECUTOR"] = executor
    result = subprocess.run(
        ["docker", "compose", "--project-directory", str(PROJECT_ROOT), "-f", str(COMPOSE),
         "--env-file", str(env_file), *args, "config", "--format", "yaml"],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout)["services"])


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not on PATH")
def test_celery_profile_adds_broker_workers_and_flower(tmp_path: Path) -> None:
    services = compose_services(tmp_path, "--profile", "celery", executor="CeleryExecutor")
    assert {"redis", "airflow-worker", "flower"} <= set(services)
    worker = services["airflow-worker"]
    assert worker["command"] == ["celery", "worker"]
    assert worker["deploy"]["replicas"] == 2
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["flower"]["command"] == ["celery", "flower"]
    assert "ports" not in services["flower"]  # only the Airflow UI, Kibana, evidence are
    assert "ports" not in services["redis"]  # the broker is reachable inside compose only
    assert "--requirepass" in services["redis"]["command"]
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:") and \
            env["AIRFLOW__CELERY__BROKER_URL"].endswith("@redis:6379/0"), name
        # The driver is named: SQLAlchemy's default for postgresql:// is not in the image.
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith(
            "db+postgresql+psycopg2://airflow:"), name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        # Pool processes warm up before their first task (pipeline/airflow/celery_worker.py).
        assert env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == WARM_CELERY_CONFIG, name


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not on PATH")
def test_without_the_profile_nothing_celery_runs(tmp_path: Path) -> None:
    services = compose_services(tmp_path)
    assert not {"redis", "airflow-worker", "flower"} & set(services)
    assert services["airflow-scheduler"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == \
        "LocalExecutor"
