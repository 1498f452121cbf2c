"""Helpers for running DAGs with `dag.test()` in the DAG tests."""

from __future__ import annotations

from typing import Any


def without_retries(dag: Any) -> Any:
    """The DAG as parsed, but a failing task fails the run at once instead of waiting out the
    production backoff (dag.test() honours retry delays)."""
    for task in dag.tasks:
        task.retries = 0
    return dag


def task_states(run: Any) -> dict[str, list[str]]:
    """Task id -> the states of its (mapped) instances in one DAG run."""
    states: dict[str, list[str]] = {}
    for ti in run.get_task_instances():
        states.setdefault(ti.task_id, []).append(str(ti.state))
    return states
