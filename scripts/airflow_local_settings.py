"""Airflow cluster policy for the local CeleryExecutor stack (scripts/celery-stack.sh copies it into
the stack's $AIRFLOW_HOME/config, where Airflow looks for `airflow_local_settings`).

The DAGs retry a failed task after 2, 4, 8 minutes. A fault test that kills a worker wants to
see that retry within seconds, so CRESTWATCH_STACK_RETRY_DELAY (seconds) shortens the delay of
every task on this stack only; without it the DAGs' own backoff applies unchanged.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any


def task_policy(task: Any) -> None:
    seconds = os.environ.get("CRESTWATCH_STACK_RETRY_DELAY")
    if seconds:
        task.retry_delay = timedelta(seconds=float(seconds))
        task.retry_exponential_backoff = 0
