"""Replays JSONL files of Posts: backfills, the demo and tests.

The checkpoint is the number of lines already stored, so a rerun after a crash resumes at the
first page that was not acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from pipeline.core.jsonl import ReadReport, parse_line, resolve_media_paths
from pipeline.core.models import Post
from pipeline.sources.base import Page, Source


class JsonlSource(Source):
    platform = "jsonl"

    def __init__(self, path: Path | str, *, name: str | None = None, page_size: int = 100) -> None:
        self.path = Path(path)
        self.name = name or f"jsonl:{self.path.name}"
        self.page_size = page_size

    def pages(self, checkpoint: str | None) -> Iterator[Page]:
        start = int(checkpoint or 0)
        with self.path.open(encoding="utf-8") as handle:
            line_no = start
            lines = islice(handle, start, None)
            while True:
                chunk = list(islice(lines, self.page_size))
                if not chunk:
                    return
                report = ReadReport()
                posts = []
                for raw in chunk:
                    line_no += 1
                    if not raw.strip():
                        continue
                    post = parse_line(
                        raw, Post, source=str(self.path), line=line_no, report=report
                    )
                    if post is not None:
                        resolve_media_paths(post, self.path.resolve().parent)
                        posts.append(post)
                yield Page(posts=posts, checkpoint=str(line_no), errors=report.errors)
