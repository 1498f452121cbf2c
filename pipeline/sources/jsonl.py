"""Replays JSONL files of Posts: backfills, the demo and tests.

The checkpoint is the number of lines already stored, so a rerun after a crash resumes at the
first page that was not acknowledged. A line that cannot be read (not UTF-8, not JSON, nested
too deep, over the line limit, not a Post) is that line's error: the page carries it for the
quarantine, and the checkpoint moves past it with the rest of the page. So is a post whose
local media path leads outside the file's folder and the configured media roots, or to anything
but a regular file within the size limit (`pipeline.core.jsonl.resolve_media_paths`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from pipeline.core.jsonl import (
    LineError,
    ReadReport,
    iter_lines,
    parse_raw_line,
    resolve_media_paths,
)
from pipeline.core.models import Post
from pipeline.sources.base import Page, Source, SourceStopped


class JsonlSource(Source):
    platform = "jsonl"

    def __init__(
        self, path: Path | str, *, name: str | None = None, page_size: int = 100,
        media_roots: Sequence[Path] = (),
    ) -> None:
        self.path = Path(path)
        self.name = name or f"jsonl:{self.path.name}"
        self.page_size = page_size
        self.media_roots = tuple(Path(root) for root in media_roots)

    def pages(self, checkpoint: str | None) -> Iterator[Page]:
        start = int(checkpoint or 0)
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise SourceStopped(f"cannot read {self.path}: {exc.strerror or exc}") from None
        base_dir = self.path.resolve().parent
        with handle:
            lines = iter_lines(handle)
            line_no = start
            report, posts = ReadReport(), []
            for number, raw, length in lines:
                if number <= start:
                    continue
                line_no = number
                post = parse_raw_line(
                    raw, length, Post, source=str(self.path), line=number, report=report
                )
                refused = (
                    resolve_media_paths(post, base_dir, media_roots=self.media_roots)
                    if post is not None
                    else None
                )
                if refused:
                    where, problem = refused[0]
                    report.errors.append(LineError(
                        str(self.path), number, where, problem, stage="normalise",
                        raw=raw.decode("utf-8", "replace") if raw else None,
                    ))
                elif post is not None:
                    posts.append(post)
                if number - start >= self.page_size:
                    yield Page(posts=posts, checkpoint=str(line_no), errors=report.errors)
                    start, report, posts = number, ReadReport(), []
            if line_no > start:
                yield Page(posts=posts, checkpoint=str(line_no), errors=report.errors)
