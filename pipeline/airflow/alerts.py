"""Task failure alerts: the `on_failure_callback` of every Crestwatch DAG.

A failure is always logged with its DAG, task, mapped index and try number. When
CRESTWATCH_FAILURE_RECIPIENTS lists addresses (the platform admins: operational failures are not
for the reviewers' alert list), it also goes out through the notification channel
(`pipeline.review.notify`: its durable outbox, hourly limit and SMTP settings). The exception is
reduced to its type and first line: messages from this project never carry credentials, but a
third-party traceback is no place to search for them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.core.config import OrgConfig
    from pipeline.review.notify import DeliveryReport

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


def failure_recipients() -> list[str]:
    raw = os.environ.get("CRESTWATCH_FAILURE_RECIPIENTS", "")
    return [address.strip() for address in raw.split(",") if address.strip()]


def send_failure_alert(
    alert: FailureAlert, *, recipients: list[str], config: OrgConfig
) -> DeliveryReport:
    """Queue the alert in the notification outbox and deliver what is pending. The key names
    the try, so a callback that runs twice for the same failure sends one mail."""
    from pipeline.review.notify import Message, deliver, outbox_for

    message = Message(
        key=f"failure:{alert.dag_id}.{alert.task_id}.{alert.map_index}:{alert.run_id}"
            f":{alert.try_number}",
        channel="email",
        recipients=recipients,
        subject=f"[crestwatch] {alert.dag_id}.{alert.task_id} failed",
        body=f"{alert.summary()}\n\nThe task's log in Airflow has the full error.\n",
    )
    outbox = outbox_for(config)
    try:
        outbox.queue(message)
        return deliver(outbox, config.notifications)
    finally:
        outbox.close()


def task_failed(context: Mapping[str, Any]) -> FailureAlert:
    """on_failure_callback: log the failure (Airflow shows it beside the task's own log) and
    send it to CRESTWATCH_FAILURE_RECIPIENTS when that is set."""
    alert = describe_failure(context)
    log.error("crestwatch task failure: %s", alert.summary(), extra={"alert": alert.as_dict()})
    recipients = failure_recipients()
    if recipients:
        from pipeline.airflow.tasks import config_path
        from pipeline.core.config import load_config

        try:
            report = send_failure_alert(alert, recipients=recipients,
                                        config=load_config(config_path()))
        except Exception as exc:  # noqa: BLE001 - a failed mail must not hide the failure itself
            log.warning("could not queue the failure alert: %s: %s", type(exc).__name__, exc)
        else:
            if report.failed:
                log.warning("failure alert not sent yet (kept in the outbox): %s",
                            "; ".join(report.failed.values()))
    return alert
