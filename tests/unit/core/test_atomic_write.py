"""Cache files are written whole or not at all, by any number of writers at once."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import IO, Any

import pytest

from pipeline.core.files import atomic_write
from pipeline.core.values import SALT_ENV, load_salt


def _write_many(path: Path, fill: bytes, rounds: int) -> None:
    def write(handle: IO[bytes]) -> None:
        # Written in pieces, so a reader of a shared file would see it part written.
        for _ in range(64):
            handle.write(fill * 1024)

    for _ in range(rounds):
        atomic_write(path, write)


def test_writers_at_once_leave_a_whole_file_for_every_reader(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "entry.bin"
    context = multiprocessing.get_context("fork")
    writers = [
        context.Process(target=_write_many, args=(path, fill, 40)) for fill in (b"a", b"b")
    ]
    for writer in writers:
        writer.start()
    seen = set()
    while any(w.is_alive() for w in writers):
        if path.exists():
            data = path.read_bytes()
            assert len(data) == 64 * 1024 and len(set(data)) == 1
            seen.add(data[:1])
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert path.read_bytes()[:1] in seen | {b"a", b"b"}
    assert [p.name for p in path.parent.iterdir()] == ["entry.bin"]  # no temporary left
    assert (path.stat().st_mode & 0o777) == 0o600


def test_keep_existing_never_replaces_the_first_file(tmp_path: Path) -> None:
    path = tmp_path / "salt"
    assert atomic_write(path, lambda h: h.write(b"first"), keep_existing=True)
    assert not atomic_write(path, lambda h: h.write(b"second"), keep_existing=True)
    assert path.read_bytes() == b"first"


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    def broken(handle: IO[bytes]) -> None:
        handle.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "entry", broken)
    assert list(tmp_path.iterdir()) == []


def _salt(data: Path, barrier: Any, results: Any) -> None:
    barrier.wait()
    results.put(load_salt(data))


def test_two_runs_on_an_empty_data_folder_share_one_salt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SALT_ENV, raising=False)
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(4), context.Queue()
    runs = [context.Process(target=_salt, args=(tmp_path, barrier, results)) for _ in range(4)]
    for run in runs:
        run.start()
    salts = {results.get(timeout=30) for _ in runs}
    for run in runs:
        run.join()
        assert run.exitcode == 0
    assert len(salts) == 1 and len(salts.pop()) == 64
    assert os.listdir(tmp_path / "cache") == ["hash.salt"]
