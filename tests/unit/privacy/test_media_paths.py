"""A JSONL post's local media path stays inside the file's folder (or a configured media root)
and names a regular file within the size limit; any other path is that line's error, and the
rest of the file is read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.core.jsonl import ReadReport, read_models
from pipeline.core.models import Media, Post
from pipeline.enrich.media import hash_local
from pipeline.sources.jsonl import JsonlSource


def _line(number: int, path: str, field: str = "media") -> str:
    post: dict[str, object] = {
        "platform": "x", "id": str(number), "url": f"https://x.com/a/status/{number}",
        "created_at": "2026-11-01T10:00:00Z", "text": "look",
        "author": {"id": "1", "handle": "a"},
        "media": [{"url": "https://img.example/1.png", "type": "image", "path": path}],
    }
    if field == "avatar":
        post["media"] = []
        post["author"] = {"id": "1", "handle": "a", "avatar_path": path}
    return json.dumps(post)


@pytest.fixture()
def feed(tmp_path: Path) -> Path:
    folder = tmp_path / "feed"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    (tmp_path / "outside.txt").write_text("root:*:19000:0:99999:7:::\n")
    (folder / "images" / "link.png").symlink_to(tmp_path / "outside.txt")
    (folder / "images" / "big.png").write_bytes(b"0" * 2048)
    os.mkfifo(folder / "images" / "pipe.png")
    return folder


REFUSED = [
    ("/etc/shadow", "outside"),
    ("/etc/passwd", "outside"),
    ("../../../../etc/passwd", "outside"),
    ("../outside.txt", "outside"),
    ("images/link.png", "outside"),  # a link inside that leads out
    ("/dev/zero", "outside"),
    ("images/pipe.png", "not a regular file"),
    ("images", "not a regular file"),
    ("../missing.png", "outside"),
]


@pytest.mark.parametrize(("path", "problem"), REFUSED)
@pytest.mark.parametrize("field", ["media", "avatar"])
def test_a_path_leading_elsewhere_is_that_lines_error(
    feed: Path, path: str, problem: str, field: str
) -> None:
    file = feed / "posts.jsonl"
    file.write_text("\n".join([_line(1, "images/ok.png"), _line(2, path, field),
                               _line(3, "images/ok.png")]) + "\n")
    pages = list(JsonlSource(file).pages(None))
    posts = [p for page in pages for p in page.posts]
    errors = [e for page in pages for e in page.errors]
    assert [p.id for p in posts] == ["1", "3"]
    (error,) = errors
    assert error.line == 2 and problem in error.message and error.stage == "normalise"
    assert error.field == ("media[0].path" if field == "media" else "author.avatar_path")
    assert posts[0].media[0].path == str((feed / "images" / "ok.png").resolve())


def test_a_missing_file_inside_is_read_and_recorded_missing_later(feed: Path) -> None:
    file = feed / "posts.jsonl"
    file.write_text(_line(1, "images/missing.png") + "\n")
    (post,) = [p for page in JsonlSource(file).pages(None) for p in page.posts]
    hash_local(post.media[0])
    assert post.media[0].error and "unreadable" in post.media[0].error


def test_read_models_confines_paths_the_same_way(feed: Path) -> None:
    file = feed / "posts.jsonl"
    file.write_text(_line(1, "/etc/passwd") + "\n" + _line(2, "images/ok.png") + "\n")
    report = ReadReport()
    assert [p.id for p in read_models(file, Post, report)] == ["2"]
    assert "outside" in report.errors[0].message


def test_a_configured_media_root_is_allowed(feed: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared-media"
    shared.mkdir()
    (shared / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    file = feed / "posts.jsonl"
    file.write_text(_line(1, str(shared / "scan.png")) + "\n")
    assert not [p for page in JsonlSource(file).pages(None) for p in page.posts]
    pages = list(JsonlSource(file, media_roots=[shared]).pages(None))
    assert [p.id for page in pages for p in page.posts] == ["1"]


def test_a_file_over_the_size_limit_is_refused(feed: Path) -> None:
    from pipeline.core.jsonl import resolve_media_paths

    post = Post.model_validate_json(_line(1, "images/big.png"))
    refused = resolve_media_paths(post, feed, max_bytes=1024)
    assert refused and "over 1024 bytes" in refused[0][1]


def test_hashing_never_reads_a_device_or_an_oversized_file(feed: Path) -> None:
    zero = Media(url="https://img.example/1.png", type="image", path="/dev/zero")
    hash_local(zero)  # returns at once: /dev/zero is not a regular file
    assert zero.sha256 is None and zero.error and "refused" in zero.error
    big = Media(url="https://img.example/2.png", type="image", path=str(feed / "images/big.png"))
    hash_local(big, max_bytes=1024)
    assert big.sha256 is None and big.error
