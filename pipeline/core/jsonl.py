"""JSONL in and out. A bad line is reported with its file, line number and field, then skipped."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


@dataclass
class LineError:
    source: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.message}"


@dataclass
class ReadReport:
    """What a read skipped; callers add it to their run summary."""

    errors: list[LineError] = field(default_factory=list)
    read: int = 0


def _open(path: Path | str) -> tuple[IO[str], str, bool]:
    if str(path) == "-":
        return sys.stdin, "<stdin>", False
    return open(path, encoding="utf-8"), str(path), True


def read_models(
    path: Path | str, model: type[M], report: ReadReport | None = None
) -> Iterator[M]:
    """Stream `model` objects from a JSONL file (or `-` for stdin), skipping bad lines."""
    report = report if report is not None else ReadReport()
    handle, name, close = _open(path)
    base_dir = Path.cwd() if str(path) == "-" else Path(path).resolve().parent
    try:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            item = parse_line(raw, model, source=name, line=number, report=report)
            if item is not None:
                report.read += 1
                resolve_media_paths(item, base_dir)
                yield item
    finally:
        if close:
            handle.close()


def resolve_media_paths(post: Any, base_dir: Path) -> None:
    """Relative `Media.path` values in a JSONL file are relative to that file's folder."""
    for media in getattr(post, "media", ()):
        if media.path and not Path(media.path).is_absolute():
            media.path = str((base_dir / media.path).resolve())
    author = getattr(post, "author", None)
    for name in ("avatar_path", "banner_path"):
        value = getattr(author, name, None)
        if value and not Path(value).is_absolute():
            setattr(author, name, str((base_dir / value).resolve()))


def parse_line(
    raw: str, model: type[M], *, source: str, line: int, report: ReadReport
) -> M | None:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        _skip(report, LineError(source, line, "(line)", f"not valid JSON: {exc.msg}"))
        return None
    if not isinstance(data, dict):
        _skip(report, LineError(source, line, "(line)", "expected a JSON object"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(object)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        _skip(report, LineError(source, line, where, first["msg"] + more))
        return None


def _skip(report: ReadReport, error: LineError) -> None:
    log.info("skipped %s", error)
    report.errors.append(error)


def dumps(item: BaseModel | dict[str, Any]) -> str:
    if isinstance(item, BaseModel):
        return item.model_dump_json(exclude_none=False)
    return json.dumps(item, ensure_ascii=False, default=str)


def write_models(items: Iterable[BaseModel | dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for item in items:
        out.write(dumps(item) + "\n")
        count += 1
    return count
