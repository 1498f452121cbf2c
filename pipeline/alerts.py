"""Task failure alerts: the `on_failure_callback` of every Crestwatch DAG.

A failure is always logged with its DAG, task, mapped index and try number. The exception is
reduced to its type and first line: messages from this project never carry credentials, but a
third-party traceback is no place to search for them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailureAlert:
    dag_id: str
    task_id: str
    run_id: str
    map_index: int
    try_number: int
    max_tries: int | None
    error: str

    def summary(self) -> str:
        task = self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"
        tries = f"{self.try_number}/{self.max_tries}" if self.max_tries else str(self.try_number)
        return f"{self.dag_id}.{task} failed (run {self.run_id}, try {tries}): {self.error}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _first_line(exc: BaseException | None) -> str:
    if exc is None:
        return "no exception recorded"
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def describe_failure(context: Mapping[str, Any]) -> FailureAlert:
    """The facts of a failed task from an Airflow callback context."""
    ti = context["ti"]
    dag_run = context.get("dag_run")
    exception = context.get("exception")
    max_tries = getattr(ti, "max_tries", None)
    return FailureAlert(
        dag_id=str(ti.dag_id),
        task_id=str(ti.task_id),
        run_id=str(getattr(dag_run, "run_id", None) or getattr(ti, "run_id", "")),
        map_index=int(getattr(ti, "map_index", -1) if getattr(ti, "map_index", None) is not None
                      else -1),
        try_number=int(getattr(ti, "try_number", 0) or 0),
        # max_tries counts retries only; a reader wants the total number of tries.
        max_tries=int(max_tries) + 1 if isinstance(max_tries, int) and max_tries >= 0 else None,
        error=_first_line(exception if isinstance(exception, BaseException) else None),
    )


def task_failed(context: Mapping[str, Any]) -> FailureAlert:
    """on_failure_callback: log the failure (Airflow shows it beside the task's own log)."""
    alert = describe_failure(context)
    log.error("crestwatch task failure: %s", alert.summary(), extra={"alert": alert.as_dict()})
    return alert
