"""Turning a page of platform items into Posts, one bad item at a time."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from pipeline.core.jsonl import LineError
from pipeline.core.models import Post

log = logging.getLogger(__name__)

ItemT = TypeVar("ItemT")


def convert_items(
    items: Iterable[ItemT],
    convert: Callable[[ItemT], Post],
    *,
    source: str,
    item_id: Callable[[ItemT], str | None],
) -> tuple[list[Post], list[LineError]]:
    """Convert each item; a malformed one is logged with its id and reported, the rest go on."""
    posts: list[Post] = []
    errors: list[LineError] = []
    for number, item in enumerate(items, start=1):
        try:
            posts.append(convert(item))
        except (ValidationError, KeyError, TypeError, ValueError, AttributeError) as exc:
            try:
                ident = item_id(item) or "(no id)"
            except Exception:  # noqa: BLE001 - an item too broken to have an id
                ident = "(no id)"
            if isinstance(exc, ValidationError):
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "(object)"
                message = f"{where}: {first['msg']}"
            else:
                message = f"{type(exc).__name__}: {exc}"
            error = LineError(source, number, str(ident), f"malformed item skipped: {message}")
            log.warning("skipped %s", error)
            errors.append(error)
    return posts, errors


def from_epoch(value: Any) -> datetime:
    """A Unix time as a datetime. One out of the range the platform's time_t or datetime holds
    (1e20, 10**400, -1e18) is a ValueError, the item's error: the OverflowError or OSError it
    raised otherwise escaped convert_items and lost the whole page."""
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError):
        raise ValueError("epoch timestamp out of range") from None


def dict_id(item: Any) -> str | None:
    return str(item.get("id")) if isinstance(item, dict) and item.get("id") is not None else None


def required(item: Any, key: str) -> Any:
    """A field a post cannot do without; its absence makes the item malformed."""
    value = item.get(key) if hasattr(item, "get") else None
    if value is None or value == "":
        raise ValueError(f"missing required field {key!r}")
    return value


def numeric_ids(items: Iterable[Any], key: str = "id") -> list[int]:
    """The numeric ids of the items that have one; a malformed id never moves a checkpoint."""
    out = []
    for item in items:
        try:
            out.append(int(item[key]))
        except (KeyError, TypeError, ValueError):
            continue
    return out
