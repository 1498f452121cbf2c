"""JSONL in and out. A bad line is reported with its file, line number and field, then skipped.

A line is hostile input: it may not be UTF-8, may hold lone surrogates (which no store can
write), may nest deeper than the parser's recursion or be megabytes long. Each of those is that
line's error, named with its stage (decode, parse, normalise), and the next line is read.
"""

from __future__ import annotations

import json
import logging
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO, TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.core.limits import MAX_LINE_BYTES, MAX_MEDIA_BYTES, MAX_NESTING

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


@dataclass
class LineError:
    source: str
    line: int
    field: str
    message: str
    # Where it failed: decode (bytes to text), parse (text to JSON), normalise (JSON to a model).
    stage: str = "parse"
    # The item as read, kept so that a quarantined item can be retried; None when too long.
    raw: str | None = None
    # A platform item's own id, where the item came from an API rather than a line of a file.
    item_id: str | None = None

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.message}"


@dataclass
class ReadReport:
    """What a read skipped; callers add it to their run summary."""

    errors: list[LineError] = field(default_factory=list)
    read: int = 0


def _open(path: Path | str) -> tuple[BinaryIO, str, bool]:
    if str(path) == "-":
        return sys.stdin.buffer, "<stdin>", False
    return open(path, "rb"), str(path), True


def iter_lines(
    handle: BinaryIO, *, max_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, bytes, length) for each line; bytes is None for a line over `max_bytes`,
    which is read past in chunks so it never sits in memory whole."""
    number = 0
    while True:
        raw = handle.readline(max_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) <= max_bytes or raw.endswith(b"\n"):
            yield number, raw, len(raw)
            continue
        length = len(raw)
        while not raw.endswith(b"\n"):
            raw = handle.readline(1 << 20)
            if not raw:
                break
            length += len(raw)
        yield number, None, length


def read_models(
    path: Path | str, model: type[M], report: ReadReport | None = None,
    *, media_roots: Sequence[Path] = (),
) -> Iterator[M]:
    """Stream `model` objects from a JSONL file (or `-` for stdin), skipping bad lines; local
    media paths must stay inside the file's folder or `media_roots`."""
    report = report if report is not None else ReadReport()
    handle, name, close = _open(path)
    base_dir = Path.cwd() if str(path) == "-" else Path(path).resolve().parent
    try:
        for number, raw, length in iter_lines(handle):
            item = parse_raw_line(raw, length, model, source=name, line=number, report=report)
            if item is not None:
                report.read += 1
                refused = resolve_media_paths(item, base_dir, media_roots=media_roots)
                if refused:
                    where, problem = refused[0]
                    _skip(report, LineError(name, number, where, problem, stage="normalise",
                                            raw=raw.decode("utf-8", "replace") if raw else None))
                    continue
                yield item
    finally:
        if close:
            handle.close()


def parse_raw_line(
    raw: bytes | None, length: int, model: type[M], *, source: str, line: int,
    report: ReadReport, max_bytes: int = MAX_LINE_BYTES,
) -> M | None:
    """One line as read by `iter_lines`: decoded, parsed and validated, or reported."""
    if raw is None:
        _skip(report, LineError(source, line, "(line)",
                                f"line is {length:,} bytes, over the {max_bytes:,}-byte limit",
                                stage="decode"))
        return None
    if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a byte-order mark some editors write
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _skip(report, LineError(source, line, "(line)",
                                f"not valid UTF-8 (byte {exc.start + 1} of the line)",
                                stage="decode", raw=raw.decode("utf-8", "backslashreplace")))
        return None
    return parse_line(text, model, source=source, line=line, report=report)


def resolve_media_paths(
    post: Any, base_dir: Path, *, media_roots: Sequence[Path] = (),
    max_bytes: int = MAX_MEDIA_BYTES,
) -> list[tuple[str, str]]:
    """Resolve a JSONL item's local media paths (relative ones against the file's folder) and
    confine them: each must resolve, links followed, inside `base_dir` or one of `media_roots`
    and name a regular file of at most `max_bytes`. Otherwise a post could have the run read,
    hash and pack any file the process can read (``/etc/shadow``, ``../../``), or hang on an
    endless one (``/dev/zero``). Returns (field, problem) for each path refused; the caller
    skips the item."""
    roots = [root.resolve() for root in (base_dir, *media_roots)]
    refused: list[tuple[str, str]] = []

    def confined(where: str, value: str) -> str:
        path = (base_dir / value).resolve()
        problem = _local_file_problem(path, roots, max_bytes)
        if problem:
            refused.append((where, f"{problem}: {value!r}"))
        return str(path)

    for number, media in enumerate(getattr(post, "media", ())):
        if media.path:
            media.path = confined(f"media[{number}].path", media.path)
    author = getattr(post, "author", None)
    for name in ("avatar_path", "banner_path"):
        value = getattr(author, name, None)
        if value:
            setattr(author, name, confined(f"author.{name}", value))
    return refused


def _local_file_problem(path: Path, roots: Sequence[Path], max_bytes: int) -> str | None:
    if not any(path.is_relative_to(root) for root in roots):
        return "media path outside the file's folder and the media roots"
    try:
        info = path.stat()
    except FileNotFoundError:
        return None  # nothing to read; hashing it records the file as missing
    except OSError as exc:
        return f"media path unreadable ({exc.strerror or exc})"
    if not stat.S_ISREG(info.st_mode):
        return "media path is not a regular file"
    if info.st_size > max_bytes:
        return f"media file over {max_bytes} bytes"
    return None


def parse_line(
    raw: str, model: type[M], *, source: str, line: int, report: ReadReport
) -> M | None:
    kept = raw.rstrip("\r\n")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        _skip(report, LineError(source, line, "(line)", f"not valid JSON: {exc.msg}", raw=kept))
        return None
    except RecursionError:
        _skip(report, LineError(source, line, "(line)",
                                f"nested deeper than {MAX_NESTING} levels", raw=kept))
        return None
    if not isinstance(data, dict):
        _skip(report, LineError(source, line, "(line)", "expected a JSON object", raw=kept))
        return None
    problem = check_tree(data)
    if problem is not None:
        where, message = problem
        _skip(report, LineError(source, line, where, message, raw=kept))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(object)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        _skip(report, LineError(source, line, where, first["msg"] + more, stage="normalise",
                                raw=kept))
        return None
    except RecursionError:
        _skip(report, LineError(source, line, "(object)", "too deeply nested to read",
                                stage="normalise", raw=kept))
        return None


def check_tree(data: Any, *, max_depth: int = MAX_NESTING) -> tuple[str, str] | None:
    """(field, problem) for the first value no store could keep: nesting over `max_depth`, or
    a string (key or value) holding a lone surrogate, which cannot be encoded as UTF-8.
    Walked with an explicit stack: the check must not itself recurse."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > max_depth:
            return _short(where) or "(object)", f"nested deeper than {max_depth} levels"
        if isinstance(value, str):
            if _has_surrogate(value):
                return where or "(object)", "text holds a lone surrogate (not encodable as UTF-8)"
        elif isinstance(value, dict):
            for key, item in value.items():
                path = f"{where}.{key}" if where else str(key)
                if _has_surrogate(str(key)):
                    return where or "(object)", "a key holds a lone surrogate"
                stack.append((item, path, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, f"{where}.{index}" if where else str(index), depth + 1))
    return None


def _short(where: str, limit: int = 60) -> str:
    return where if len(where) <= limit else where[:limit] + "..."


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


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
