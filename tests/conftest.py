"""Shared fixtures: no network beyond loopback, the real local Elasticsearch, stores, config."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.core.config import OrgConfig, load_config
from pipeline.core.paths import PROJECT_ROOT

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED = PROJECT_ROOT.parent / "shared"

_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
    elif isinstance(address, (str, bytes)):
        return True  # Unix sockets
    else:
        return False
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class NetworkBlocked(RuntimeError):
    pass


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkBlocked(f"tests may not reach {address!r}")
    _real_connect(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host not in (None, "localhost") and not _is_loopback((host,)):
        # Name lookups would leave the machine; tests that need resolution monkeypatch it.
        raise NetworkBlocked(f"tests may not resolve {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the network: only loopback connections are allowed."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)


def path_without(names: set[str], into: Path) -> Path:
    """A folder of symlinks to every executable on PATH except `names`, first one found wins
    (as a PATH lookup would): a machine without those system packages, everything else as is."""
    into.mkdir(parents=True, exist_ok=True)
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            link = into / entry.name
            if entry.name in names or link.exists() or link.is_symlink():
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return into


@pytest.fixture()
def no_system_deps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH without Tesseract and Chromium, under every name the code looks them up by, really
    hidden (not mocked). Returns the PATH folder, so a test can put a fake binary in it."""
    from pipeline.enrich.ocr import tesseract_command
    from pipeline.reporting.render import CHROMIUM_NAMES

    hidden = {"tesseract", Path(tesseract_command()).name, *CHROMIUM_NAMES}
    folder = path_without(hidden, tmp_path / "path-without-system-deps")
    monkeypatch.setenv("PATH", str(folder))
    return folder


@pytest.fixture(scope="session")
def example_config() -> OrgConfig:
    return load_config(PROJECT_ROOT / "config" / "example.yaml")


@pytest.fixture()
def config(example_config: OrgConfig, tmp_path: Path) -> OrgConfig:
    """The example config with its data directory moved into the test's temporary folder."""
    return example_config.model_copy(update={"data_dir": tmp_path / "data"}, deep=True)


@pytest.fixture(scope="session")
def es_url() -> str:
    """The local Elasticsearch node's URL (started by scripts/run-tests.sh, or here)."""
    url = os.environ.get("CRESTWATCH_TEST_ES_URL")
    if not url:
        script = PROJECT_ROOT / "scripts" / "elasticsearch.sh"
        url = subprocess.run(
            ["bash", str(script), "start"], check=True, capture_output=True, text=True
        ).stdout.strip().splitlines()[-1]
        os.environ["CRESTWATCH_TEST_ES_URL"] = url
    return url


@pytest.fixture()
def es_prefix() -> str:
    return f"cwtest-{uuid.uuid4().hex[:10]}"


@pytest.fixture()
def es_client(es_url: str, es_prefix: str) -> Iterator[object]:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_url, request_timeout=60)
    yield client
    # Each test works under its own prefix and removes it afterwards.
    client.indices.delete(index=f"{es_prefix}-*", ignore_unavailable=True, allow_no_indices=True)
    for name in client.indices.get_index_template(name=f"{es_prefix}-*").get("index_templates", []):
        client.indices.delete_index_template(name=name["name"])
    client.close()


@pytest.fixture()
def es_store(es_client: object, es_prefix: str) -> Iterator[object]:
    from pipeline.store.elasticsearch import ElasticsearchStore

    store = ElasticsearchStore(es_client, prefix=es_prefix, refresh_on_write=True)  # type: ignore[arg-type]
    store.setup()
    yield store


@pytest.fixture()
def sqlite_store(tmp_path: Path) -> Iterator[object]:
    from pipeline.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "store.sqlite")
    store.setup()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest) -> object:
    """Both stores, so one contract suite runs unchanged against each."""
    return request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "es_store")
