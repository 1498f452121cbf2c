"""docker-compose.yml is valid for `docker compose` with a .env made from .env.example, and wires
what the DAGs expect (pools, the Elasticsearch Connection, the config path)."""

from __future__ import annotations

import json
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
        "setup", "--es-url", "https://elasticsearch:9200", "--kibana-url", "http://kibana:5601"]
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


# -- least privilege --------------------------------------------------------------------------

PLACEHOLDERS = dict(re.findall(r"(?m)^([A-Z0-9_]+)=(change-me.*)$", ENV_EXAMPLE.read_text()))
PLATFORM_SECRETS = ("CRESTWATCH_X_BEARER_TOKEN", "CRESTWATCH_REDDIT_CLIENT_SECRET",
                    "CRESTWATCH_BLUESKY_APP_PASSWORD", "CRESTWATCH_MASTODON_ACCESS_TOKEN")
TASK_RUNNERS = {"airflow-scheduler", "airflow-worker"}


def _unique_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """.env.example with every secret set to a value of its own, so where a value lands shows
    which secret reached which container."""
    values = {name: f"secret-value-of-{name.lower()}-0123456789abcdef"
              for name in [*PLACEHOLDERS, *PLATFORM_SECRETS, "CRESTWATCH_SMTP_PASSWORD"]}
    values["CRESTWATCH_CONFIG"] = "/opt/crestwatch/config/qmul.yaml"
    text = ENV_EXAMPLE.read_text()
    for name, value in values.items():
        text = re.sub(rf"(?m)^{name}=.*$", f"{name}={value}", text)
    env = tmp_path / ".env"
    env.write_text(text)
    return env, values


def _services(env: Path, *profiles: str) -> dict:  # type: ignore[type-arg]
    flags = [arg for p in profiles for arg in ("--profile", p)]
    result = subprocess.run(
        ["docker", "compose", "--project-directory", str(PROJECT_ROOT), "-f", str(COMPOSE),
         "--env-file", str(env), *flags, "config", "--format", "yaml"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def _holders(services: dict, value: str) -> set[str]:  # type: ignore[type-arg]
    """Services whose environment or command holds `value`."""
    return {name for name, service in services.items()
            if value in json.dumps([service.get("environment", {}), service.get("command")])}


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not on PATH")
def test_each_secret_reaches_only_the_containers_that_use_it(tmp_path: Path) -> None:
    env, values = _unique_env(tmp_path)
    services = _services(env, "celery")
    for name in [*PLATFORM_SECRETS, "CRESTWATCH_SMTP_PASSWORD"]:
        assert _holders(services, values[name]) == TASK_RUNNERS, name
    assert _holders(services, values["CRESTWATCH_ES_PASSWORD"]) == {
        *TASK_RUNNERS, "crestwatch-setup", "elasticsearch-setup", "preflight"}
    # The superuser: its bootstrap, and the two one-shot set-ups; nothing that keeps running.
    assert _holders(services, values["ELASTIC_PASSWORD"]) == {
        "elasticsearch", "elasticsearch-setup", "crestwatch-setup", "preflight"}
    assert _holders(services, values["KIBANA_PASSWORD"]) == {
        "kibana", "elasticsearch-setup", "preflight"}
    for quiet in ("airflow-apiserver", "airflow-dag-processor", "airflow-triggerer", "flower",
                  "evidence", "postgres", "redis", "certs"):
        held = {n for n in [*PLATFORM_SECRETS, "CRESTWATCH_SMTP_PASSWORD", "ELASTIC_PASSWORD",
                            "CRESTWATCH_ES_PASSWORD", "KIBANA_PASSWORD"]
                if quiet in _holders(services, values[n])}
        assert held == set(), quiet
    assert services["preflight"]["network_mode"] == "none"


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not on PATH")
def test_only_the_airflow_ui_kibana_and_evidence_are_published_on_loopback(
    tmp_path: Path
) -> None:
    env, _ = _unique_env(tmp_path)
    services = _services(env, "celery")
    published = {(name, p["host_ip"], p["published"]) for name, service in services.items()
                 for p in service.get("ports", [])}
    assert published == {("airflow-apiserver", "127.0.0.1", "8080"),
                         ("kibana", "127.0.0.1", "5601"), ("evidence", "127.0.0.1", "8090")}


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not on PATH")
def test_elasticsearch_kibana_and_the_pipeline_speak_tls(tmp_path: Path) -> None:
    env, _ = _unique_env(tmp_path)
    services = _services(env, "celery")
    es = services["elasticsearch"]["environment"]
    for layer in ("http", "transport"):
        assert es[f"xpack.security.{layer}.ssl.enabled"] == "true"
        assert es[f"xpack.security.{layer}.ssl.certificate_authorities"] == "certs/ca.crt"
    kibana = services["kibana"]["environment"]
    assert kibana["ELASTICSEARCH_HOSTS"] == '["https://elasticsearch:9200"]'
    assert kibana["ELASTICSEARCH_SSL_CERTIFICATEAUTHORITIES"] == "config/certs/ca.crt"
    for runner in TASK_RUNNERS:
        connection = json.loads(services[runner]["environment"][
            f"AIRFLOW_CONN_{ELASTICSEARCH_CONNECTION.upper()}"])
        assert connection["host"].startswith("https://")
        assert connection["extra"]["ca_certs"] == "/opt/crestwatch/certs/ca.crt"
        assert connection["login"] == "crestwatch"
    setup = services["crestwatch-setup"]
    assert setup["environment"]["CRESTWATCH_ES_CA"] == "/opt/crestwatch/certs/ca.crt"
    assert services["elasticsearch-setup"]["environment"]["ES_URL"].startswith("https://")
    # The certificates come from the one-shot service, with elasticsearch-certutil.
    assert services["certs"]["image"] == services["elasticsearch"]["image"]
    assert "elasticsearch-certutil" in (PROJECT_ROOT / "docker" / "elasticsearch-certs.sh"
                                        ).read_text()
    assert services["elasticsearch"]["depends_on"]["certs"]["condition"] == \
        "service_completed_successfully"
    # The CA's key is mounted by the certs service alone; the node's key by Elasticsearch alone.
    def mounting(volume: str) -> set[str]:
        return {name for name, service in services.items()
                if any(v.get("source") == volume for v in service.get("volumes", []))}
    assert mounting("ca-key") == {"certs"}
    assert mounting("es-certs") == {"certs", "elasticsearch"}


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not on PATH")
def test_every_service_waits_for_preflight(tmp_path: Path) -> None:
    env, _ = _unique_env(tmp_path)
    services = _services(env, "celery")

    def waits(name: str, seen: frozenset[str] = frozenset()) -> bool:
        needs = services[name].get("depends_on", {})
        if needs.get("preflight", {}).get("condition") == "service_completed_successfully":
            return True
        return any(waits(n, seen | {name}) for n in needs if n not in seen)

    assert [n for n in services if n != "preflight" and not waits(n)] == []


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not on PATH")
def test_compose_requires_crestwatch_config(tmp_path: Path) -> None:
    env, _ = _unique_env(tmp_path)
    env.write_text(re.sub(r"(?m)^CRESTWATCH_CONFIG=.*$", "", env.read_text()))
    result = subprocess.run(
        ["docker", "compose", "--project-directory", str(PROJECT_ROOT), "-f", str(COMPOSE),
         "--env-file", str(env), "config", "-q"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "set CRESTWATCH_CONFIG in .env" in result.stderr


def _preflight(tmp_path: Path, **changes: str) -> subprocess.CompletedProcess[str]:
    """docker/preflight.sh with the environment compose gives the preflight service."""
    env_file, _ = _unique_env(tmp_path)
    environment = {k: str(v) for k, v in _services(env_file)["preflight"]["environment"].items()}
    config = tmp_path / "qmul.yaml"
    config.write_text("organisation: {name: Q, short_name: Q}\n")
    environment["CRESTWATCH_CONFIG"] = str(config)
    environment.update(changes)
    return subprocess.run(["bash", str(PROJECT_ROOT / "docker" / "preflight.sh")],
                          env={"PATH": "/usr/bin:/bin", **environment},
                          capture_output=True, text=True, timeout=30)


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not on PATH")
def test_preflight_refuses_placeholders_and_the_demo_config(tmp_path: Path) -> None:
    assert PLACEHOLDERS and _preflight(tmp_path).returncode == 0
    refused = _preflight(tmp_path, **PLACEHOLDERS)
    assert refused.returncode == 1
    for name, value in PLACEHOLDERS.items():
        assert f"{name} is still the placeholder" in refused.stderr
        assert value not in refused.stderr + refused.stdout  # names, never values
    demo = _preflight(tmp_path, CRESTWATCH_CONFIG="/opt/crestwatch/config/example.yaml")
    assert demo.returncode == 1 and "example.yaml" in demo.stderr
    missing = _preflight(tmp_path, CRESTWATCH_CONFIG=str(tmp_path / "nowhere.yaml"))
    assert missing.returncode == 1 and "names no file" in missing.stderr
    short = _preflight(tmp_path, KIBANA_ENCRYPTION_KEY="short-but-not-a-placeholder")
    assert short.returncode == 1 and "shorter than 32" in short.stderr
