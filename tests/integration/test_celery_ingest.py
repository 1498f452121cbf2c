"""The ingest DAG on a real CeleryExecutor deployment (scripts/celery-stack.sh: Redis, PostgreSQL,
scheduler, dag-processor, api-server, two workers), writing to the real local Elasticsearch:
mapped over several sources, spread over both workers, run twice, every post stored once; and a
worker killed in the middle of a mapped task, whose retry on the other worker stores nothing
twice."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration.celery_stack import (
    CeleryStack,
    counts,
    posts_so_far,
    process_ancestors,
    received,
    stack_script,
    warm_ups,
    write_deployment,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_mapped_ingest_on_two_workers_twice_stores_every_post_once(
    celery_stack: CeleryStack, tmp_path: Path, es_url: str, es_client, es_prefix: str,
) -> None:  # type: ignore[no-untyped-def]
    names = ["replay-a", "replay-b", "replay-c", "replay-d"]
    expected = write_deployment(tmp_path, celery_stack, es_url=es_url, prefix=es_prefix,
                                sources=dict.fromkeys(names, 250))
    celery_stack.wait_for_dag("ingest")
    before = received(celery_stack)

    first = f"{es_prefix}-first"
    celery_stack.trigger("ingest", first)
    assert celery_stack.wait_for_run("ingest", first) == "success", \
        celery_stack.task_states("ingest", first)
    states = celery_stack.task_states("ingest", first)
    assert states["ingest_jsonl"] == ["success"] * len(names)  # one instance per source
    assert states["ingest_x"] == ["skipped"]
    assert counts(es_client, es_prefix) == expected
    stored = [celery_stack.xcom("ingest", first, "ingest_jsonl", i)["posts_stored"]
              for i in range(len(names))]
    assert stored == [250] * len(names)
    # Both workers took tasks off the queue (each runs one at a time).
    assert all(after > was for after, was in zip(received(celery_stack), before, strict=True))

    second = f"{es_prefix}-second"
    celery_stack.trigger("ingest", second)
    assert celery_stack.wait_for_run("ingest", second) == "success", \
        celery_stack.task_states("ingest", second)
    assert counts(es_client, es_prefix) == expected
    again = [celery_stack.xcom("ingest", second, "ingest_jsonl", i)["posts_read"]
             for i in range(len(names))]
    assert again == [0] * len(names)  # every checkpoint was at the end of its file


def test_a_worker_killed_mid_task_is_retried_and_stores_each_post_once(
    celery_stack: CeleryStack, tmp_path: Path, es_url: str, es_client, es_prefix: str,
) -> None:  # type: ignore[no-untyped-def]
    expected = write_deployment(tmp_path, celery_stack, es_url=es_url, prefix=es_prefix,
                                sources={"big-replay": 3_000})
    celery_stack.wait_for_dag("ingest")
    run = f"{es_prefix}-killed"
    celery_stack.trigger("ingest", run)

    # Wait until the mapped task is running and has stored some pages, not all.
    deadline = time.monotonic() + 300
    while True:
        [ti] = [t for t in celery_stack.task_instances("ingest", run)
                if t["task_id"] == "ingest_jsonl"] or [None]
        if ti and ti["state"] == "running" and ti["pid"] and posts_so_far(es_client, es_prefix):
            break
        assert time.monotonic() < deadline, celery_stack.task_states("ingest", run)
        time.sleep(0.5)
    written_before_kill = counts(es_client, es_prefix)[0]
    assert written_before_kill < expected[0], "the task finished before it could be killed"
    chain = process_ancestors(int(ti["pid"]))
    [victim] = [n for n in (1, 2) if celery_stack.worker_pid(n) in chain]
    killed_at = datetime.now(UTC)
    stack_script("kill-worker", str(victim))
    try:
        assert celery_stack.wait_for_run("ingest", run, timeout=600) == "success", \
            celery_stack.task_states("ingest", run)
        [retried] = [t for t in celery_stack.task_instances("ingest", run)
                     if t["task_id"] == "ingest_jsonl"]
        assert retried["try_number"] == 2  # the killed try, then the retry
        assert counts(es_client, es_prefix) == expected
        summary = celery_stack.xcom("ingest", run, "ingest_jsonl", 0)
        # The retry resumed at the checkpoint: it re-read at most the page in flight.
        assert summary["posts_read"] <= expected[0] - written_before_kill + 100
    finally:
        stack_script("start-worker", str(victim))
    # The worker started again loaded the deployment's detector into its pool process, from
    # the config written above, before its first task (pipeline/airflow/celery_worker.py).
    deadline = time.monotonic() + 120
    while not (warmed := warm_ups(celery_stack, victim, since=killed_at)):
        assert time.monotonic() < deadline, celery_stack.worker_log(victim)[-3000:]
        time.sleep(1)
    assert "worker warm-up: 1 detectors loaded from" in warmed[0]
    assert " s: confidential " in warmed[0]  # the one detector the config enables
