"""What every Crestwatch DAG shares: owner, the fixed set of tags, retries and failure alerts.

DAG files import this at parse time, so it stays light: no config, no store, no network.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

from pipeline.airflow.alerts import task_failed

OWNER = "crestwatch"


class DagTag(StrEnum):
    """The only tags a Crestwatch DAG may carry (the policy tests enforce it)."""

    crestwatch = "crestwatch"
    ingest = "ingest"
    retention = "retention"
    privacy = "privacy"
    report = "report"
    notifications = "notifications"
    hygiene = "hygiene"


def default_args(**overrides: Any) -> dict[str, Any]:
    """Task defaults: a failed task retries after 2, 4, 8 minutes (capped at 30), and every
    final failure is reported through `pipeline.airflow.alerts.task_failed`."""
    args: dict[str, Any] = {
        "owner": OWNER,
        "retries": 3,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": task_failed,
    }
    args.update(overrides)
    return args
