"""Two runs building the same logo cache at once, on an empty data folder, both succeed."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from detectors.logo.match import MatchSettings, feature_extractor
from detectors.logo.references import load_reference


def _build(path: Path, cache: Path, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        load_reference("uni", "crest", path, features=feature_extractor(MatchSettings()),
                       feature_key="sift:test", side=400, cache_dir=cache)
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - the test reports what went wrong in the child
        results.put(f"{type(exc).__name__}: {exc}")


def test_two_processes_writing_one_logo_cache_both_succeed(
    logo_files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Writing slowly holds both writers in the window where a shared temporary name broke: one
    # renamed the other's file away (FileNotFoundError) or renamed it half written.
    original = np.savez_compressed

    def slow_savez(file: Any, *args: Any, **kwargs: Any) -> None:
        original(file, *args, **kwargs)
        time.sleep(0.3)

    monkeypatch.setattr(np, "savez_compressed", slow_savez)
    cache = tmp_path / "data" / "cache" / "logo"
    context = multiprocessing.get_context("fork")  # the children keep the slow writer
    barrier, results = context.Barrier(2), context.Queue()
    children = [
        context.Process(target=_build, args=(logo_files["png"], cache, barrier, results))
        for _ in range(2)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [results.get(timeout=5) for _ in children] == ["ok", "ok"]
    [written] = list(cache.iterdir())  # one cache file, no temporary left behind
    with np.load(written, allow_pickle=False) as data:
        assert data["descriptors"].shape[1] == 128
        assert len(data["points"]) == len(data["descriptors"])
