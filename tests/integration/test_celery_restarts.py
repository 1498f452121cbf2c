"""The broker and the metadata database restarted in the middle of a mapped ingest run on the
CeleryExecutor stack (scripts/celery-stack.sh restart-redis, restart-postgres): the run still
finishes, tasks retried where a try was lost, every post and hit stored exactly once, and both
workers are back on the queue afterwards."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.celery_stack import (
    CeleryStack,
    counts,
    posts_so_far,
    received,
    stack_script,
    write_deployment,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Large enough that a run lasts well past the fault: with only the marker detector a task
# stores a few thousand posts a second, and 6,000-post sources once ended before the fault.
SOURCES = {f"replay-{c}": 30_000 for c in "abcd"}


def stored_ids(es_client: Any, prefix: str, kind: str) -> list[str]:  # every id, repeats kept
    from elasticsearch.helpers import scan

    es_client.indices.refresh(index=f"{prefix}-{kind}*")
    return [doc["_id"] for doc in scan(es_client, index=f"{prefix}-{kind}*", _source=False,
                                       query={"query": {"match_all": {}}})]


def replayed_ids(folder: Path) -> set[str]:
    """The document id of every post in the replay files (`platform:id`)."""
    ids = set()
    for path in folder.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            post = json.loads(line)
            ids.add(f"{post['platform']}:{post['id']}")
    return ids


def mapped_ingest(stack: CeleryStack, run: str) -> list[dict[str, Any]]:
    return [t for t in stack.task_instances("ingest", run) if t["task_id"] == "ingest_jsonl"]


def describe(stack: CeleryStack, run: str, es_client: Any, prefix: str) -> str:
    """What a failed wait shows: each mapped task's state, try and worker, the posts stored,
    the task messages each worker has taken, and the end of each worker's log."""
    tasks = [(t["map_index"], t["state"], t["try_number"], t.get("hostname"))
             for t in sorted(mapped_ingest(stack, run), key=lambda t: t["map_index"])]
    logs = "\n".join(f"--- worker {n}:\n" + "\n".join(stack.worker_log(n).splitlines()[-12:])
                     for n in (1, 2))
    return (f"mapped (index, state, try, worker): {tasks}; posts stored: "
            f"{posts_so_far(es_client, prefix)}; messages received per worker: "
            f"{received(stack)}\n{logs}")


def wait_until_mid_run(stack: CeleryStack, run: str, es_client: Any, prefix: str,
                       total: int) -> int:
    """Until a mapped task runs and some posts, not all, are stored; the posts stored by then.
    (Whether both workers took tasks is checked at the end of the run.)"""
    deadline = time.monotonic() + 300
    while True:
        mapped = mapped_ingest(stack, run)
        running = [t for t in mapped if t["state"] == "running"]
        if running and 0 < (n := posts_so_far(es_client, prefix)):
            assert n < total, "the run finished before the fault"
            return n
        ended = mapped and all(t["state"] in ("success", "failed", "upstream_failed")
                               for t in mapped)
        assert not ended, ("the mapped tasks ended before the fault: "
                           + describe(stack, run, es_client, prefix))
        assert time.monotonic() < deadline, describe(stack, run, es_client, prefix)
        time.sleep(0.5)


def workers_listed(stack: CeleryStack) -> str:
    """`airflow celery list-workers`: the workers that answer a broadcast over the broker."""
    return subprocess.run(["airflow", "celery", "list-workers", "--output", "plain"],
                          capture_output=True, text=True, timeout=120, env=stack.env).stdout


def assert_both_workers_answer(stack: CeleryStack, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not all(f"worker{n}@" in (listed := workers_listed(stack)) for n in (1, 2)):
        assert time.monotonic() < deadline, f"not every worker answers: {listed!r}"
        time.sleep(3)


def run_through_fault(stack: CeleryStack, folder: Path, es_url: str, es_client: Any,
                      prefix: str, fault: str) -> list[dict[str, Any]]:
    """Trigger the mapped ingest run, apply `fault` (a celery-stack.sh command) while mapped
    tasks are running, then check the outcome; the mapped task instances at the end."""
    expected = write_deployment(folder, stack, es_url=es_url, prefix=prefix, sources=SOURCES)
    stack.wait_for_dag("ingest")
    run = f"{prefix}-{fault}"
    taken_before = received(stack)
    stack.trigger("ingest", run)
    wait_until_mid_run(stack, run, es_client, prefix, expected[0])

    stack_script(fault, timeout=180)

    state = stack.wait_for_run("ingest", run, timeout=420)
    assert state == "success", stack.task_states("ingest", run)
    mapped = mapped_ingest(stack, run)
    assert [t["state"] for t in mapped] == ["success"] * len(SOURCES)
    assert counts(es_client, prefix) == expected
    posts = stored_ids(es_client, prefix, "posts")
    assert len(posts) == len(set(posts)) == expected[0]  # nothing doubled
    assert set(posts) == replayed_ids(folder)  # nothing lost
    hits = stored_ids(es_client, prefix, "hits")
    assert len(hits) == len(set(hits)) == expected[1]
    # Both workers took task messages during the run (four mapped tasks, two free workers).
    assert all(now > was for now, was in zip(received(stack), taken_before, strict=True)), \
        describe(stack, run, es_client, prefix)
    # The workers are back on the broker: a later run is not left queued.
    assert_both_workers_answer(stack)
    return mapped


def test_redis_restarted_mid_run_loses_and_doubles_nothing(
    celery_stack: CeleryStack, tmp_path: Path, es_url: str, es_client, es_prefix: str,
) -> None:  # type: ignore[no-untyped-def]
    run_through_fault(celery_stack, tmp_path, es_url, es_client, es_prefix, "restart-redis")


def test_postgres_restarted_mid_run_loses_and_doubles_nothing(
    celery_stack: CeleryStack, tmp_path: Path, es_url: str, es_client, es_prefix: str,
) -> None:  # type: ignore[no-untyped-def]
    run_through_fault(celery_stack, tmp_path, es_url, es_client, es_prefix, "restart-postgres")
