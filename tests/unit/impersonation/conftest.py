"""Fixtures for the impersonation detector's tests: a detector on the example config with its
data directory in the test's temporary folder, and builders for accounts and their posts."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from detectors.impersonation.detector import ImpersonationDetector
from pipeline.core.config import OrgConfig
from pipeline.core.models import Post
from pipeline.core.paths import PROJECT_ROOT

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AVATAR = PROJECT_ROOT / "config" / "logos" / "avatar-qmul.png"


@pytest.fixture()
def detector(config: OrgConfig, monkeypatch: pytest.MonkeyPatch) -> ImpersonationDetector:
    monkeypatch.delenv("CRESTWATCH_DATA_DIR", raising=False)
    found = ImpersonationDetector(config)
    found.ensure_loaded()
    return found


@pytest.fixture(scope="session")
def corpus() -> ModuleType:
    """bench/impersonation_corpus.py: the seeded lookalike and unrelated-account sets."""
    path = PROJECT_ROOT / "bench" / "impersonation_corpus.py"
    spec = importlib.util.spec_from_file_location("impersonation_corpus", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def account_post(
    n: int,
    handle: str,
    display_name: str | None = None,
    *,
    platform: str = "x",
    author_id: str | None = None,
    text: str = "Hello from London",
    at: datetime | None = None,
    **author: Any,
) -> Post:
    return Post.model_validate({
        "platform": platform,
        "id": str(n),
        "url": f"https://example.invalid/{handle}/{n}",
        "created_at": at or NOW + timedelta(minutes=n),
        "text": text,
        "author": {"id": author_id or f"id-{handle}", "handle": handle,
                   "display_name": display_name, **author},
    })


@pytest.fixture()
def images(tmp_path: Path) -> dict[str, Path]:
    """Avatar variants made from the official reference avatar, and unrelated images."""
    import cv2
    import numpy as np

    ref = cv2.imread(str(AVATAR))
    out = tmp_path / "images"
    out.mkdir()
    made: dict[str, Path] = {}

    def save(name: str, image: Any, *params: int) -> None:
        made[name] = out / name
        cv2.imwrite(str(made[name]), image, list(params))

    save("copy.jpg", ref, cv2.IMWRITE_JPEG_QUALITY, 60)
    save("small.png", cv2.resize(ref, (96, 96), interpolation=cv2.INTER_AREA))
    h, w = ref.shape[:2]
    save("cropped.png", ref[h // 12 : h - h // 12, w // 12 : w - w // 12])
    tinted = cv2.convertScaleAbs(ref, alpha=0.85, beta=25)
    save("tinted.jpg", tinted, cv2.IMWRITE_JPEG_QUALITY, 80)
    banner = np.full((300, 1000, 3), (40, 90, 160), np.uint8)
    cv2.putText(banner, "Welcome to campus", (40, 160), cv2.FONT_HERSHEY_SIMPLEX, 2,
                (255, 255, 255), 4)
    banner[40:260, 740:960] = cv2.resize(ref, (220, 220))
    save("banner.png", banner)
    rng = np.random.default_rng(3)
    other = np.full((400, 400, 3), 230, np.uint8)
    for _ in range(12):
        centre = tuple(int(v) for v in rng.integers(40, 360, 2))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        cv2.circle(other, centre, int(rng.integers(10, 80)), colour, -1)
    save("unrelated.png", other)
    plain_banner = np.full((300, 1000, 3), (200, 120, 40), np.uint8)
    cv2.putText(plain_banner, "Football on Sunday", (40, 160), cv2.FONT_HERSHEY_SIMPLEX, 2,
                (255, 255, 255), 4)
    save("plain-banner.png", plain_banner)
    made["broken.png"] = out / "broken.png"
    made["broken.png"].write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    made["empty.jpg"] = out / "empty.jpg"
    made["empty.jpg"].write_bytes(b"")
    return made
