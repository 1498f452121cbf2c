"""Airflow for the DAG tests: a throwaway AIRFLOW_HOME with a SQLite metadata DB, migrated once
per session, and one DagBag of dags/ shared by every test.

Airflow reads its configuration when it is first imported, so the environment is set when this
file is loaded, before any test module imports Airflow.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.core.paths import PROJECT_ROOT

DAGS_FOLDER = PROJECT_ROOT / "dags"
POOLS = ("crestwatch_x", "crestwatch_reddit", "crestwatch_bluesky", "crestwatch_mastodon",
         "crestwatch_jsonl")

if "airflow" in sys.modules and not os.environ.get("AIRFLOW_HOME", "").startswith(
    tempfile.gettempdir()
):
    raise RuntimeError("Airflow was imported before tests/dags/conftest.py could point it at a "
                       "temporary AIRFLOW_HOME; import it inside tests, not at module level")

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="crestwatch-airflow-"))
# Removed when the test process ends, whether or not a DAG test ran.
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        # Test runs are short-lived; these keep Airflow from doing work nobody waits for.
        "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        # The default looks the host's name up in DNS, which tests may not do.
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "socket.gethostname",
    }
)


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """The migrated metadata DB, with the pools the ingest DAG uses (as docker-compose's
    airflow-init creates them)."""
    from airflow.models.pool import Pool
    from airflow.utils.db import resetdb

    resetdb(skip_init=False)
    for name in POOLS:
        Pool.create_or_update_pool(name, slots=2, description="test", include_deferred=False)
    yield _AIRFLOW_HOME


@pytest.fixture(scope="session")
def dagbag(airflow_db: Path):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def dag_files() -> list[Path]:
    return sorted(p for p in DAGS_FOLDER.glob("*.py") if not p.name.startswith("_"))
