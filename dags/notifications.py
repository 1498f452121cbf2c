"""
### Notifications

Every 10 minutes: an e-mail (and chat message, if configured) for each new critical hit, and
from 07:00 Europe/London the daily digest of the day before. Each hit and each day is mailed
once; what could not be sent stays queued and goes out on the next run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task

from pipeline.airflow.dag_policy import DagTag, default_args


@dag(
    dag_id="notifications",
    schedule=timedelta(minutes=10),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=30),
    default_args=default_args(retries=1),
    tags=[DagTag.crestwatch, DagTag.notifications],
    doc_md=__doc__,
)
def notifications() -> None:
    @task
    def notify() -> dict[str, object]:
        from pipeline.airflow.tasks import config_path, send_notifications

        return send_notifications(config_path())

    notify()


notifications()
