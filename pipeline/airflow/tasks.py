"""The work the Airflow DAGs schedule, as plain functions (DAG files only wire these together).

Each function takes the config file's path, not a loaded config, so a task stays a small message
in XCom and always reads the config as it is on disk when it runs. Secrets never travel as task
arguments: the Elasticsearch credentials and a source's platform credentials are looked up here,
inside the running task, from an Airflow Connection (or, without one, the environment).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, get_args

from pipeline.core.config import DEFAULT_CONFIG, OrgConfig, Platform, SourceConfig, load_config
from pipeline.core.models import utcnow
from pipeline.store.base import Store

log = logging.getLogger(__name__)

# The Airflow Connection holding the Elasticsearch URL and credentials.
ELASTICSEARCH_CONNECTION = "crestwatch_elasticsearch"

# Every platform a source can have; the ingest DAG has one Airflow pool per platform.
PLATFORMS: tuple[str, ...] = get_args(Platform)


class IngestFailed(RuntimeError):
    """A source pass stopped with errors. Raised so Airflow retries the task: the source's
    checkpoint was not advanced past the pages the store did not acknowledge, so a retry
    re-reads them."""


def config_path() -> str:
    """The organisation config the DAGs use: CRESTWATCH_CONFIG, else the bundled example."""
    return os.environ.get("CRESTWATCH_CONFIG") or str(DEFAULT_CONFIG)


def _models_offline() -> None:
    # Model weights come from installed packages; a task must never reach a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# -- Airflow Connections -------------------------------------------------------------------


def connection_fields(conn_id: str) -> dict[str, Any] | None:
    """An Airflow Connection's fields (host, port, schema, login, password, extra as a dict),
    or None when Airflow is not installed or no such connection is defined."""
    try:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:
        return None
    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        return None
    return {
        "conn_type": conn.conn_type,
        "host": conn.host,
        "port": conn.port,
        "schema": conn.schema,
        "login": conn.login,
        "password": conn.password,
        "extra": conn.extra_dejson,
    }


def elasticsearch_options(fields: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The URL and client options for an Elasticsearch Connection.

    `host` may be a full URL (``https://es01:9200``) or a bare host name, completed with `port`
    (default 9200) and the extra field `scheme` (default http). Credentials: the extra field
    `api_key`, or login and password; the extra field `ca_certs` names a private CA bundle.
    """
    host = str(fields.get("host") or "127.0.0.1")
    extra = fields.get("extra") or {}
    if "://" in host:
        url = host if not fields.get("port") or host.count(":") > 1 else f"{host}:{fields['port']}"
    else:
        url = f"{extra.get('scheme', 'http')}://{host}:{fields.get('port') or 9200}"
    options: dict[str, Any] = {"request_timeout": 30}
    if extra.get("api_key"):
        options["api_key"] = extra["api_key"]
    elif fields.get("login"):
        options["basic_auth"] = (fields["login"], fields.get("password") or "")
    if extra.get("ca_certs"):
        options["ca_certs"] = extra["ca_certs"]
    return url, options


def store_backend(config: OrgConfig) -> str:
    """CRESTWATCH_STORE_BACKEND (set in a deployment's environment) overrides the config, the
    way `crestwatch run --store` does on the command line."""
    return os.environ.get("CRESTWATCH_STORE_BACKEND") or config.store.backend


def open_task_store(config: OrgConfig, *, store_url: str | None = None) -> Store:
    """The store a task writes to. Elasticsearch credentials come from the Airflow Connection
    `crestwatch_elasticsearch` when it exists, else from CRESTWATCH_ES_* variables."""
    from pipeline.store import open_store

    backend = store_backend(config)
    fields = connection_fields(ELASTICSEARCH_CONNECTION) if backend == "elasticsearch" else None
    if fields is None:
        return open_store(config, backend=backend, url=store_url)
    from elasticsearch import Elasticsearch

    from pipeline.store.elasticsearch import usable_hosts

    url, options = elasticsearch_options(fields)
    # Checked first: the client's error would quote the URL, password and all, into the task
    # log and the failure mail.
    hosts = usable_hosts(store_url or url)
    return open_store(config, backend=backend, client=Elasticsearch(hosts, **options))


# -- sources -------------------------------------------------------------------------------


def list_sources(config_path: str | Path) -> list[dict[str, str]]:
    """Name and platform of every enabled source in the config, in config order."""
    config = load_config(config_path)
    return [{"name": s.name, "platform": s.platform} for s in config.sources if s.enabled]


def sources_by_platform(config_path: str | Path) -> dict[str, list[str]]:
    """Enabled source names grouped by platform, with every platform present (empty lists
    included), so the ingest DAG can map one pooled task per platform over them."""
    grouped: dict[str, list[str]] = {p: [] for p in PLATFORMS}
    for source in list_sources(config_path):
        grouped[source["platform"]].append(source["name"])
    return grouped


def _source_spec(config: OrgConfig, name: str) -> SourceConfig:
    for spec in config.sources:
        if spec.name == name:
            if not spec.enabled:
                raise ValueError(f"source {name!r} is disabled in the config")
            return spec
    known = ", ".join(s.name for s in config.sources) or "none"
    raise ValueError(f"no source named {name!r} in the config (sources: {known})")


def source_credentials(config_path: str | Path, source_name: str) -> dict[str, Any] | None:
    """The fields of the source's Airflow Connection (`connection_id` in the config), or None:
    the collector then reads its `<env_prefix>_...` environment variables."""
    spec = _source_spec(load_config(config_path), source_name)
    if not spec.connection_id:
        return None
    fields = connection_fields(spec.connection_id)
    if fields is None:
        log.warning("source %s: Airflow Connection %r is not defined; using environment variables",
                    spec.name, spec.connection_id)
    return fields


def ingest_source(
    config_path: str | Path,
    source_name: str,
    *,
    store_url: str | None = None,
    credentials: Mapping[str, Any] | None = None,
) -> dict[str, object]:
    """One pipeline pass over one source: read new pages, detect, store, advance its checkpoint.

    Returns the run summary (counts, small enough for XCom). Raises IngestFailed when the pass
    had errors, so the scheduler retries it; the checkpoint still points at the first page the
    store did not acknowledge.
    """
    from pipeline.policy.engine import Policy
    from pipeline.run.assemble import build_pass
    from pipeline.run.quarantine import Quarantine
    from pipeline.run.runner import RunSummary, run_source

    _models_offline()
    config = load_config(config_path)
    work = build_pass(config, source_names=[source_name], credentials=credentials)
    work.load()
    summary = RunSummary()
    # Items that cannot be read, scored or stored are held in the data folder's quarantine
    # (`crestwatch quarantine list|retry`) and the page goes on, as in `crestwatch run`; a store
    # that cannot write at all still fails the task with its checkpoint where it was.
    with (open_task_store(config, store_url=store_url) as store,
          Quarantine.in_data_dir(config.data_path()) as held):
        run_source(work.sources[0], store=store, detectors=work.detectors,
                   policy=Policy.for_store(config, store), summary=summary,
                   enrichers=work.enrichers, quarantine=held)
        store.refresh()
    result = summary.as_dict()
    log.info("source %s: %s", source_name, result)
    for note in summary.off:  # the pass went on without it; whoever runs the workers should know
        log.warning("source %s: %s", source_name, note)
    if not summary.ok:
        shown = "; ".join(summary.errors[:5])
        more = f" (and {len(summary.errors) - 5} more)" if len(summary.errors) > 5 else ""
        raise IngestFailed(f"source {source_name!r}: {len(summary.errors)} errors: {shown}{more}")
    return result


# -- retention and erasure -----------------------------------------------------------------


def purge_expired(
    config_path: str | Path, *, now: datetime | None = None, store_url: str | None = None
) -> dict[str, object]:
    """Apply the config's `retention` (pipeline.review.retention): expired posts and hits, the
    media and evidence images they named, and old quarantined items."""
    from pipeline.review.retention import apply_retention

    config = load_config(config_path)
    with open_task_store(config, store_url=store_url) as store:
        report = apply_retention(config, store, now=now)
    return report.as_dict()


def erase_person(
    config_path: str | Path, platform: str, author_id: str, *, store_url: str | None = None,
    actor: str = "airflow",
) -> dict[str, object]:
    """A data-subject erasure (pipeline.review.erasure, as `crestwatch erase` runs it): the
    person's records in the store, the outbox, the quarantine, caches and the data directory.
    Refuses a store URL when the config's store is not Elasticsearch."""
    from pipeline.review.erasure import check_store_matches
    from pipeline.review.erasure import erase_person as erase

    config = load_config(config_path)
    check_store_matches(config, backend=None, url=store_url, configured=store_backend(config))
    with open_task_store(config, store_url=store_url) as store:
        report = erase(config, store, platform, author_id, actor=actor)
    return {"platform": platform, "deleted": report.store_documents,
            "outbox": report.outbox_messages, "files": len(report.files)}


def send_notifications(
    config_path: str | Path, *, now: datetime | None = None, store_url: str | None = None,
    digest_hour: int = 7,
) -> dict[str, object]:
    """Queue e-mails for new critical hits and, from `digest_hour` (in the organisation's time
    zone) on, the daily digest of the day before; then deliver the outbox. The outbox's keys
    make every call safe to repeat: each hit and each day is mailed once. Raises when something
    could not be sent, so Airflow retries (the message stays queued either way)."""
    from zoneinfo import ZoneInfo

    from pipeline.review.notify import (
        deliver,
        outbox_for,
        queue_critical_alerts,
        queue_daily_digest,
    )

    config = load_config(config_path)
    now = now or utcnow()
    local = now.astimezone(ZoneInfo(config.organisation.timezone))
    outbox = outbox_for(config)
    try:
        with open_task_store(config, store_url=store_url) as store:
            queued = queue_critical_alerts(store, outbox, config.notifications,
                                           since=now - timedelta(days=1))
            if local.hour >= digest_hour:
                queued += queue_daily_digest(store, outbox, config.notifications,
                                             (local - timedelta(days=1)).date())
        report = deliver(outbox, config.notifications, now=now)
    finally:
        outbox.close()
    if report.failed:
        raise RuntimeError(f"{len(report.failed)} notification(s) not sent yet, kept queued: "
                           + "; ".join(report.failed.values()))
    return {"queued": queued, "sent": len(report.sent), "deferred": len(report.deferred)}


def weekly_report(
    config_path: str | Path, *, week: str | None = None, now: datetime | None = None,
    store_url: str | None = None, email: bool = True, pdf: bool = True,
) -> dict[str, object]:
    """Build the weekly trend report (default: the last complete ISO week) into
    <data>/reports/ and e-mail it to the digest recipients through the outbox."""
    from pipeline.reporting.render import write_report
    from pipeline.reporting.report import build_weekly_report, week_label
    from pipeline.review.notify import send_weekly_report

    config = load_config(config_path)
    label = week or week_label(((now or utcnow()) - timedelta(days=7)).date())
    with open_task_store(config, store_url=store_url) as store:
        report = build_weekly_report(store, config, label)
    files = write_report(report, config.data_path() / "reports" / label, pdf=pdf)
    if files.pdf_skipped:  # the report still goes out, as HTML and CSVs
        log.warning("weekly report %s: %s", label, files.pdf_skipped)
    sent = False
    if email and (config.notifications.digest_recipients or config.notifications.recipients):
        result = send_weekly_report(config, report, files)
        if result.failed:
            raise RuntimeError("weekly report e-mail not sent yet, kept queued: "
                               + "; ".join(result.failed.values()))
        sent = f"report:{label}" in result.sent
    return {"week": label, "hits": report.total.this_week, "html": str(files["html"]),
            "emailed": sent}


def flag_account_hygiene(
    config_path: str | Path, *, now: datetime | None = None, store_url: str | None = None
) -> dict[str, object]:
    """Upsert one `account_hygiene` hit per registry account that is stale, unused or leaves
    replies unanswered. Accounts the reviewers whitelisted (e.g. deliberately dormant) are
    skipped; a rerun updates the same hits."""
    from pipeline.reporting.hygiene import flag_accounts

    config = load_config(config_path)
    with open_task_store(config, store_url=store_url) as store:
        hits = flag_accounts(config, store, now or utcnow())
        result = store.upsert_hits(hits)
    if result.failed:
        raise RuntimeError(f"store refused {len(result.failed)} account-hygiene hits")
    return {"flagged": result.written, "accounts": sorted(h.author_handle for h in hits)}
