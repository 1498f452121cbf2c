"""
### Weekly report

Mondays at 07:00 Europe/London: the trend report for the week that just ended (HTML with
charts, PDF, CSVs) is written to the data directory and e-mailed to the digest recipients.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from pipeline.airflow.dag_policy import DagTag, default_args


@dag(
    dag_id="weekly_report",
    schedule=CronTriggerTimetable("0 7 * * 1", timezone="Europe/London"),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=default_args(),
    tags=[DagTag.crestwatch, DagTag.report],
    doc_md=__doc__,
)
def weekly_report() -> None:
    @task
    def build_and_send() -> dict[str, object]:
        from pipeline.airflow.tasks import config_path, weekly_report

        return weekly_report(config_path())

    build_and_send()


weekly_report()
