"""Stores: one interface (`Store`), two implementations. `open_store` picks one from config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core.config import OrgConfig
from pipeline.store.base import HitQuery, Store, StoreError, UnknownHit, WriteResult

__all__ = ["HitQuery", "Store", "StoreError", "UnknownHit", "WriteResult", "open_store"]


def open_store(
    config: OrgConfig,
    *,
    backend: str | None = None,
    url: str | None = None,
    sqlite_path: Path | None = None,
    client: Any = None,
) -> Store:
    """Open (and set up) the configured store; arguments override the config.

    `client`: a ready Elasticsearch client (e.g. built from an Airflow Connection) instead of
    one made from `url` and the CRESTWATCH_ES_* variables."""
    backend = backend or config.store.backend
    if backend == "sqlite":
        from pipeline.store.sqlite import SQLiteStore

        store: Store = SQLiteStore(sqlite_path or config.data_path() / "crestwatch.sqlite")
    elif backend == "elasticsearch":
        from pipeline.store.elasticsearch import ElasticsearchStore, client_from_env

        if client is None:
            client = client_from_env(url or config.store.elasticsearch_url)
        store = ElasticsearchStore(client, prefix=config.store.index_prefix)
    else:
        raise StoreError(f"unknown store backend {backend!r} (sqlite or elasticsearch)")
    try:
        store.setup()
    except BaseException:
        store.close()  # a store that cannot be set up leaves no file or connection open
        raise
    return store
