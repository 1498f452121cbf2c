"""Helpers for collector tests: run a source through the real runner into a SQLiteStore."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pipeline.core.config import OrgConfig
from pipeline.policy.engine import Policy
from pipeline.run.runner import RunSummary, run_pass
from pipeline.sources.base import Source
from pipeline.store.sqlite import SQLiteStore

NO_SLEEP: Callable[[float], None] = lambda seconds: None  # noqa: E731


def stored_ids(store: SQLiteStore) -> list[str]:
    rows = store._db.execute("SELECT doc_id FROM posts ORDER BY doc_id").fetchall()
    return [r[0] for r in rows]


@dataclass
class TwoRuns:
    first: RunSummary
    second: RunSummary
    after_first: list[str]
    after_second: list[str]


def run(source: Source, store: SQLiteStore, config: OrgConfig) -> RunSummary:
    return run_pass([source], store=store, detectors=[], policy=Policy(config))


def run_twice(make_source: Callable[[], Source], store: SQLiteStore, config: OrgConfig) -> TwoRuns:
    """Two passes with fresh source objects (as two scheduled runs would have)."""
    first = run(make_source(), store, config)
    after_first = stored_ids(store)
    second = run(make_source(), store, config)
    return TwoRuns(first, second, after_first, stored_ids(store))


@pytest.fixture()
def no_sleep() -> Callable[[float], None]:
    return NO_SLEEP
