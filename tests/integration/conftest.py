"""The three-node Elasticsearch cluster (scripts/elasticsearch-cluster.sh) for the tests that need
more than the single development node: the contract suite with replicas, and nodes killed in the
middle of a write.

CRESTWATCH_TEST_ES_CLUSTER_URLS (comma-separated node URLs) selects a running cluster; without
it the first test that asks starts one on ports 9301-9303 and the session stops it at the end.
The script's variables choose another name and other ports (CRESTWATCH_ES_CLUSTER,
CRESTWATCH_ES_CLUSTER_HTTP_PORT, CRESTWATCH_ES_CLUSTER_TRANSPORT_PORT), so two runs on one
machine never meet.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline.core.paths import PROJECT_ROOT

CLUSTER_SCRIPT = PROJECT_ROOT / "scripts" / "elasticsearch-cluster.sh"


def cluster_script(*args: str, timeout: float = 420, env: dict[str, str] | None = None) -> str:
    """Run scripts/elasticsearch-cluster.sh; its last line of output. `env` overrides variables
    (CRESTWATCH_ES_CLUSTER*) for a cluster other than the session's."""
    result = subprocess.run(["bash", str(CLUSTER_SCRIPT), *args], capture_output=True,
                            text=True, timeout=timeout,
                            env={**os.environ, **env} if env else None)
    if result.returncode != 0:
        raise RuntimeError(f"elasticsearch-cluster.sh {' '.join(args)} failed:\n{result.stderr}")
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def drop_prefix(client: Any, prefix: str) -> None:
    """Remove a test's indices and index templates (every test works under its own prefix)."""
    client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)
    for name in client.indices.get_index_template(name=f"{prefix}-*").get("index_templates", []):
        client.indices.delete_index_template(name=name["name"])


def wait_for_green(client: Any, nodes: int, timeout: float = 240) -> None:
    """Every node back in the cluster and every shard copy assigned."""
    deadline = time.monotonic() + timeout
    while True:
        health = client.cluster.health(wait_for_status="green", wait_for_nodes=str(nodes),
                                       timeout="10s")
        if not health["timed_out"]:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"cluster not green with {nodes} nodes: {health}")


@pytest.fixture(scope="session")
def es_cluster_urls() -> Iterator[list[str]]:
    urls = os.environ.get("CRESTWATCH_TEST_ES_CLUSTER_URLS")
    started = False
    if not urls:
        try:
            urls = cluster_script("status", timeout=60)
        except RuntimeError:
            urls = cluster_script("start")
            started = True
    yield [u.strip() for u in urls.split(",") if u.strip()]
    if started:
        cluster_script("stop", timeout=120)


@pytest.fixture()
def cluster_client(es_cluster_urls: list[str], es_prefix: str) -> Iterator[Any]:
    """A client that knows every node: a request to a dead node is retried on another."""
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_cluster_urls, request_timeout=60, retry_on_timeout=True,
                           max_retries=5)
    yield client
    drop_prefix(client, es_prefix)
    client.close()


@pytest.fixture()
def cluster_store(cluster_client: Any, es_prefix: str) -> Any:
    from pipeline.store.elasticsearch import ElasticsearchStore

    store = ElasticsearchStore(cluster_client, prefix=es_prefix, refresh_on_write=True)
    store.setup()
    return store


@pytest.fixture(scope="session")
def celery_stack() -> Iterator[Any]:
    """The CeleryExecutor deployment: Redis, PostgreSQL, scheduler, dag-processor, api-server and
    two workers (scripts/celery-stack.sh). A running one is used and left running; otherwise it
    is started here, with tests.integration.celery_stack.TEST_SETTINGS, and stopped at the end."""
    from tests.integration.celery_stack import CeleryStack, stack_environment, stack_script

    started = False
    try:
        url = stack_script("status", timeout=60)
    except RuntimeError:
        url = stack_script("start", timeout=900)
        started = True
    yield CeleryStack(url=url, env=stack_environment())
    if started:
        stack_script("stop", timeout=300)
