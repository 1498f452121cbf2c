"""
### Ingest

Every 15 minutes, one pipeline pass per enabled source in the organisation config
(`CRESTWATCH_CONFIG`): read new posts from its checkpoint, fetch media, run the detectors, write
posts and hits to the store, then advance the checkpoint. Detection and indexing happen in the
same task, so a hit is never computed without being stored.

`sources` reads the config once and lists the sources per platform; `pick_<platform>` takes
that platform's share, and `ingest_<platform>` is mapped over it (one task instance per source,
named after it) in the Airflow pool `crestwatch_<platform>`, whose slots cap the concurrent
calls against that platform's API. A platform without sources shows its ingest task as
skipped.

A source pass that ends with errors fails its task, which is retried with exponential backoff;
its checkpoint still points at the first page the store did not acknowledge, so nothing is
skipped, and document ids make re-reading a page harmless. Final failures are logged by
`pipeline.airflow.alerts.task_failed`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task

from pipeline.airflow.dag_policy import DagTag, default_args
from pipeline.airflow.tasks import PLATFORMS

# A pool cannot vary between the instances of one mapped task, so instead of one task mapped
# over every source, the DAG has one mapped task per platform (from the fixed platform list, so
# parsing never reads the config): each sits in its own pool, and a slow or rate-limited
# platform never holds slots another platform needs. Airflow maps only over a task's whole
# return value, hence the small `pick_<platform>` step between `sources` and each mapping.


@dag(
    dag_id="ingest",
    schedule=timedelta(minutes=15),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),
    default_args=default_args(),
    tags=[DagTag.crestwatch, DagTag.ingest],
    doc_md=__doc__,
)
def ingest() -> None:
    @task
    def sources() -> dict[str, list[str]]:
        from pipeline.airflow.tasks import config_path, sources_by_platform

        return sources_by_platform(config_path())

    @task
    def pick(listing: dict[str, list[str]], platform: str) -> list[str]:
        return listing[platform]

    @task(map_index_template="{{ source_name }}")
    def ingest_source(source_name: str) -> dict[str, object]:
        from airflow.sdk import get_current_context

        from pipeline.airflow import tasks

        get_current_context()["source_name"] = source_name  # type: ignore[typeddict-unknown-key]
        path = tasks.config_path()
        return tasks.ingest_source(
            path, source_name, credentials=tasks.source_credentials(path, source_name)
        )

    listing = sources()
    for platform in PLATFORMS:
        names = pick.override(task_id=f"pick_{platform}")(listing, platform)
        ingest_source.override(
            task_id=f"ingest_{platform}", pool=f"crestwatch_{platform}"
        ).expand(source_name=names)


ingest()
