"""
### Retention

Daily: apply the config's `retention` (docs/deploy.md): posts after `posts_days`, closed hits
after `closed_hits_days`, escalated hits only once released, and the media and evidence images
they named, so personal data is kept only as long as the organisation decided. Data-subject
erasure requests for one person are handled by `pipeline.airflow.tasks.erase_person`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task

from pipeline.airflow.dag_policy import DagTag, default_args


@dag(
    dag_id="retention",
    schedule="@daily",
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),
    default_args=default_args(),
    tags=[DagTag.crestwatch, DagTag.retention, DagTag.privacy],
    doc_md=__doc__,
)
def retention() -> None:
    @task
    def purge_expired() -> dict[str, object]:
        from pipeline.airflow.tasks import config_path, purge_expired

        return purge_expired(config_path())

    purge_expired()


retention()
