"""pipeline.airflow.celery_worker: the pool-process warm-up that Airflow's Celery worker forks
every task from. Each check runs in a new interpreter, so what the warm-up imported is its
doing, not an earlier test's."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Imported here, before any test's log capture: importing Airflow sets up its own logging.
from pipeline.airflow import celery_worker
from pipeline.core.paths import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "config" / "example.yaml"

# A worker's pool process warms up, then forks a task the way Airflow's supervisor does; the
# task runs the demo pass with every detector on a SQLite store and reports what it found and
# which of the detectors' libraries it already had before it built its pass. With `cold`, the
# same pass in a process that never warmed up.
SCRIPT = r"""
import json, os, sys
from collections import Counter

HEAVY = ("onnxruntime", "cv2", "datasketch", "tokenizers", "detectors.harassment.model")
out, mode = sys.argv[1], sys.argv[2]


def task():
    had = [m for m in HEAVY if m in sys.modules]
    from pipeline.core.config import load_config
    from pipeline.policy.engine import Policy
    from pipeline.run.assemble import build_pass
    from pipeline.run.runner import run_pass
    from pipeline.store.sqlite import SQLiteStore

    config = load_config(sys.argv[3])
    work = build_pass(config, demo=True)
    work.load()
    store = SQLiteStore(config.data_path() / f"{mode}.sqlite")
    store.setup()
    summary = run_pass(work.sources, store=store, detectors=work.detectors,
                       policy=Policy.for_store(config, store), enrichers=work.enrichers,
                       from_start=True)
    hits = Counter(h.detector for h in store.iter_hits())
    with open(out, "w") as handle:
        json.dump({"had": had, "errors": summary.errors, "posts": summary.posts_read,
                   "hits": dict(hits)}, handle)


if mode == "cold":
    task()
    sys.exit(0)
from pipeline.airflow.celery_worker import warm_up
warmed = warm_up(sys.argv[3])
pid = os.fork()
if pid == 0:
    code = 1
    try:
        task()
        code = 0
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)
_, status = os.waitpid(pid, 0)
print(json.dumps(warmed))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_script(tmp_path: Path, mode: str, config: Path = EXAMPLE) -> tuple[dict, str]:
    out = tmp_path / f"{mode}.json"
    env = {**os.environ, "CRESTWATCH_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(out), mode, str(config)],
                            capture_output=True, text=True, timeout=600, env=env,
                            cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(out.read_text()), result.stdout


@pytest.mark.slow
def test_a_task_forked_from_a_warmed_process_finds_what_a_cold_process_finds(
    tmp_path: Path,
) -> None:
    warm, printed = run_script(tmp_path, "warm")
    cold, _ = run_script(tmp_path, "cold")
    # The forked task started with the detectors' libraries imported ...
    assert warm["had"] == ["onnxruntime", "cv2", "datasketch", "tokenizers",
                           "detectors.harassment.model"]
    assert cold["had"] == []
    # ... every detector was warmed, and the models work after the fork: the same hits.
    from detectors.registry import build_detectors
    from pipeline.core.config import load_config

    enabled = [d.name for d in build_detectors(load_config(EXAMPLE))]
    assert json.loads(printed.splitlines()[-1]) == enabled
    assert warm["errors"] == cold["errors"] == []
    assert warm["posts"] == cold["posts"] > 0
    assert warm["hits"] == cold["hits"]
    assert {"harassment", "logo", "impersonation"} <= set(warm["hits"])


def test_a_config_that_does_not_load_is_logged_and_left_to_the_task(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    broken = tmp_path / "config.yaml"
    broken.write_text("organisation: [not, a, mapping]\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="pipeline.airflow.celery_worker"):
        assert celery_worker.warm_up(broken) == []
    assert f"config {broken} did not load" in caplog.text


def test_the_celery_settings_are_airflows_with_time_for_the_warm_up() -> None:
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
    from celery.signals import worker_process_init

    config = celery_worker.CELERY_CONFIG
    assert {k: v for k, v in config.items() if k != "worker_proc_alive_timeout"} \
        == DEFAULT_CELERY_CONFIG
    assert config["worker_proc_alive_timeout"] >= 60
    # Connected strongly: a weak reference to a module-level function could still go.
    assert any(r[1] is celery_worker._warm_up_pool_process for r in worker_process_init.receivers)
