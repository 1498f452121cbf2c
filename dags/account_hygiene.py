"""
### Account hygiene

Daily at 06:00 UTC: flags University-branded accounts that are stale (no post for 30 days),
unused (none for 90 days: candidates for closing) or leave replies unanswered, as
`account_hygiene` hits, from the posts the hygiene sources collected.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task

from pipeline.airflow.dag_policy import DagTag, default_args


@dag(
    dag_id="account_hygiene",
    schedule="0 6 * * *",
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=default_args(),
    tags=[DagTag.crestwatch, DagTag.hygiene],
    doc_md=__doc__,
)
def account_hygiene() -> None:
    @task
    def flag_accounts() -> dict[str, object]:
        from pipeline.airflow.tasks import config_path, flag_account_hygiene

        return flag_account_hygiene(config_path())

    flag_accounts()


account_hygiene()
