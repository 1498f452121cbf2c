"""Celery settings for Crestwatch's Airflow workers: Airflow's own, and a warm-up of every pool
process before its first task.

Airflow's Celery worker runs each task in a process forked from one of the worker's pool
processes (on Linux), so whatever a pool process has imported and read, each task it runs
starts with. Without the warm-up every ingest task imported the detectors' libraries (ONNX
Runtime, OpenCV, datasketch, the platform clients) and opened the model itself, seconds of each
task. A deployment selects this module with

    AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=pipeline.airflow.celery_worker.CELERY_CONFIG

(scripts/celery-stack.sh, the compose file and the Helm values do).
"""

from __future__ import annotations

import importlib
import logging
import time
from pathlib import Path
from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_process_init

log = logging.getLogger(__name__)

# A new pool process reports to the worker once its init (the warm-up below) is done; Celery's
# 4 s default would have it killed and replaced, mid-warm-up, on a busy 2-core machine.
CELERY_CONFIG: dict[str, Any] = {**DEFAULT_CELERY_CONFIG, "worker_proc_alive_timeout": 120}

# What an ingest task imports on its way to the first post, beyond the detectors and sources
# the config names (those are built below).
TASK_MODULES = (
    "pipeline.airflow.tasks",
    "pipeline.policy.engine",
    "pipeline.run.runner",
    "pipeline.run.quarantine",
    "pipeline.store.elasticsearch",
    "pipeline.store.sqlite",
    # The documents detector's LSH, imported at the first post that may quote a document.
    "datasketch",
)


def warm_up(config_file: str | Path | None = None) -> list[str]:
    """Import what the ingest task imports and load every detector the config enables, in this
    process; the names of the detectors loaded.

    The loaded detectors are then dropped: each task builds and loads its own from the config
    as it reads it then, which is quick once the libraries are imported and the model and
    reference files were read, and never misses a config or reference file changed since. A
    config that does not load is logged, not raised: the task reports it, with its retries.
    """
    from pipeline.airflow.tasks import _models_offline, config_path
    from pipeline.core.config import load_config
    from pipeline.run.assemble import build_pass
    from pipeline.sources import build_source

    started = time.monotonic()
    _models_offline()
    for name in TASK_MODULES:
        importlib.import_module(name)
    path = config_file or config_path()
    try:
        config = load_config(path)
        work = build_pass(config, source_names=[])
        work.load()
    except Exception as exc:  # noqa: BLE001 - the task itself reports a config that fails
        log.warning("worker warm-up skipped: config %s did not load: %s", path, exc)
        return []
    for spec in config.sources:
        if spec.enabled:
            try:  # imports the platform's client; credentials are the task's business
                build_source(config, spec)
            except Exception as exc:  # noqa: BLE001 - the task reports a source that fails
                log.info("worker warm-up: source %s not built here: %s", spec.name, exc)
    names = [d.name for d in work.detectors]
    log.info("worker warm-up: %d detectors loaded from %s in %.1f s: %s", len(names), path,
             time.monotonic() - started, ", ".join(names))
    return names


@worker_process_init.connect(weak=False)
def _warm_up_pool_process(**_: object) -> None:
    warm_up()
