"""docker-compose.yml is valid for `docker compose` with a .env made from .env.example, and wires
what the DAGs expect (pools, the Elasticsearch Connection, the config path)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from pipeline.airflow.tasks import ELASTICSEARCH_CONNECTION, PLATFORMS
from pipeline.core.paths import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"


def _compose_config(tmp_path: Path) -> dict:  # type: ignore[type-arg]
    env = tmp_path / ".env"
    shutil.copy(ENV_EXAMPLE, env)
    result = subprocess.run(
        ["docker", "compose", "--project-directory", str(PROJECT_ROOT), "-f", str(COMPOSE),
         "--env-file", str(env), "config", "--format", "yaml"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not on PATH")
def test_docker_compose_config_is_valid(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    shutil.copy(ENV_EXAMPLE, env)
    quiet = subprocess.run(
        ["docker", "compose", "--project-directory", str(PROJECT_ROOT), "-f", str(COMPOSE),
         "--env-file", str(env), "config", "-q"],
        capture_output=True, text=True, timeout=60,
    )
    assert quiet.returncode == 0, quiet.stderr

    services = _compose_config(tmp_path)["services"]
    assert {"elasticsearch", "kibana", "elasticsearch-setup", "postgres", "airflow-init",
            "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
            "airflow-triggerer", "crestwatch-setup"} <= set(services)
    for name in ("elasticsearch", "kibana"):
        assert services[name]["image"].endswith(":9.4.3")
    assert services["elasticsearch"]["environment"]["xpack.security.enabled"] == "true"
    scheduler = services["airflow-scheduler"]["environment"]
    assert scheduler["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert scheduler["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert f"AIRFLOW_CONN_{ELASTICSEARCH_CONNECTION.upper()}" in scheduler
    assert services["crestwatch-setup"]["command"] == [
        "setup", "--es-url", "http://elasticsearch:9200", "--kibana-url", "http://kibana:5601"]
    assert services["crestwatch-setup"]["environment"]["CRESTWATCH_ES_USER"] == "crestwatch"
    # Kibana's evidence links: served read-only, on loopback, with no credential in reach.
    evidence = services["evidence"]
    assert evidence["command"][0] == "evidence-server"
    assert [(p["host_ip"], p["published"]) for p in evidence["ports"]] == [("127.0.0.1", "8090")]
    assert all(v["read_only"] for v in evidence["volumes"])
    assert not any("PASSWORD" in k or "TOKEN" in k or "SECRET" in k
                   for k in evidence["environment"])
    init_script = "\n".join(services["airflow-init"]["command"])
    for platform in PLATFORMS:
        assert f"airflow pools set crestwatch_{platform} " in init_script


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not on PATH")
def test_compose_refuses_to_start_without_passwords(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(re.sub(r"(?m)^ELASTIC_PASSWORD=.*$", "", ENV_EXAMPLE.read_text()))
    result = subprocess.run(
        ["docker", "compose", "--project-directory", str(PROJECT_ROOT), "-f", str(COMPOSE),
         "--env-file", str(env), "config", "-q"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "set ELASTIC_PASSWORD in .env" in result.stderr


def test_env_example_defines_every_variable_compose_uses() -> None:
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", COMPOSE.read_text()))
    defined = set(re.findall(r"(?m)^([A-Z0-9_]+)=", ENV_EXAMPLE.read_text()))
    assert used, "no variables found in docker-compose.yml"
    assert used - defined == set()
