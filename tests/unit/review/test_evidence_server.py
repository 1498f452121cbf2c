"""The evidence server hands out evidence images and nothing else."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.review.evidence_server import make_server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    data = tmp_path / "data"
    root = data / "evidence"
    (root / "logo").mkdir(parents=True)
    (root / "logo" / "ab12.png").write_bytes(PNG)
    (root / "logo" / "notes.txt").write_text("not an image")
    (data / "crestwatch.sqlite").write_bytes(b"SQLite format 3\x00")
    (root / "logo" / "out.png").symlink_to(tmp_path / "outside.png")
    (tmp_path / "outside.png").write_bytes(PNG)
    server = make_server(root, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def _status(url: str, method: str = "GET") -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_an_evidence_image_is_served_as_an_image(served: tuple[str, Path]) -> None:
    base, _ = served
    with urllib.request.urlopen(f"{base}/logo/ab12.png", timeout=10) as answer:
        assert answer.read() == PNG
        assert answer.headers["Content-Type"] == "image/png"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "private" in answer.headers["Cache-Control"]


@pytest.mark.parametrize("path", [
    "/", "/logo/", "/logo",                       # no listings: the names are the evidence
    "/logo/notes.txt",                            # not an image
    "/../crestwatch.sqlite", "/logo/..%2f..%2fcrestwatch.sqlite", "/%2e%2e/crestwatch.sqlite",
    "/logo/out.png",                              # a link leading out of the folder
    "/logo/missing.png", "/logo/ab12.png%00.txt",
])
def test_nothing_else_is_served(served: tuple[str, Path], path: str) -> None:
    base, _ = served
    assert _status(base + path) == 404


def test_other_methods_are_refused(served: tuple[str, Path]) -> None:
    base, _ = served
    assert _status(f"{base}/logo/ab12.png", method="HEAD") == 200
    assert _status(f"{base}/logo/ab12.png", method="POST") == 501
    assert _status(f"{base}/logo/ab12.png", method="PUT") == 501
