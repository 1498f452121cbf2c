"""Checkpoints for search APIs that answer newest first (X, Reddit, Bluesky).

Paging newest-first, the newest id of a pass is only safe to save once the pass has reached
the previous checkpoint: saved earlier, a crash would skip everything between. So a checkpoint
holds, per query stream, three marks:

- `floor`: everything at or below it is stored (X `since_id`, a Bluesky `since` time, ...);
- `top`: the newest mark an unfinished pass has stored;
- `resume`: where the unfinished pass continues (X `until_id`, Reddit `after`, Bluesky `until`).

A page mid-pass saves (floor, top, resume); a crash then resumes the same pass below `resume`,
never skipping. The pass's last page saves floor = top, which starts the next pass. Several
streams (one per query chunk, subreddit set or feed) live in one JSON checkpoint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from pipeline.sources.base import Page, SourceStopped

log = logging.getLogger(__name__)

S = TypeVar("S")


@dataclass(frozen=True)
class Sweep:
    floor: Any = None
    top: Any = None
    resume: Any = None

    @property
    def in_progress(self) -> bool:
        return self.resume is not None

    def advanced(self, newest: Any, resume: Any, key: Callable[[Any], Any] = lambda v: v) -> Sweep:
        """State after a stored page that did not finish the pass."""
        top = self.top if newest is None else (
            newest if self.top is None else max(self.top, newest, key=key)
        )
        return Sweep(floor=self.floor, top=top, resume=resume)

    def finished(self, newest: Any = None, key: Callable[[Any], Any] = lambda v: v) -> Sweep:
        """State after the pass's last page: everything up to its newest mark is stored."""
        top = self.advanced(newest, None, key).top
        return Sweep(floor=top if top is not None else self.floor)


class Checkpoint:
    """Per-stream sweep state, serialised as one JSON object (stream key -> marks)."""

    def __init__(self, streams: dict[str, Sweep] | None = None) -> None:
        self.streams = dict(streams or {})

    @classmethod
    def parse(cls, text: str | None) -> Checkpoint:
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("the saved checkpoint is not JSON; clear it to start over") from None
        if not isinstance(data, dict):
            raise ValueError("the saved checkpoint is not a JSON object; clear it to start over")
        return cls({k: Sweep(**{f: v.get(f) for f in ("floor", "top", "resume")})
                    for k, v in data.items() if isinstance(v, dict)})

    def get(self, stream: str) -> Sweep:
        return self.streams.get(stream, Sweep())

    def with_stream(self, stream: str, sweep: Sweep) -> Checkpoint:
        return Checkpoint({**self.streams, stream: sweep})

    def dumps(self) -> str:
        return json.dumps(
            {k: {f: v for f, v in asdict(s).items() if v is not None}
             for k, s in sorted(self.streams.items())},
            sort_keys=True, ensure_ascii=False,
        )


def read_streams(
    streams: Iterable[S],
    read: Callable[[S, Checkpoint], Iterator[tuple[Page, Checkpoint]]],
    checkpoint: str | None,
    *,
    max_pages: int,
    source: str,
) -> Iterator[Page]:
    """Every stream in turn, at most `max_pages` pages each; each page's checkpoint carries the
    marks of every stream, so saving any one of them loses nothing."""
    try:
        state = Checkpoint.parse(checkpoint)
    except ValueError as exc:
        # Stop this source only; the runner reports it and the other sources go on.
        raise SourceStopped(str(exc)) from None
    for stream in streams:
        for number, (page, reached) in enumerate(read(stream, state), start=1):
            state = reached
            yield page
            if number >= max_pages:
                log.info("%s: %d pages read for %s; the rest waits for the next run",
                         source, number, stream)
                break
