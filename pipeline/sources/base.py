"""The one Source interface: a source yields normalised Posts page by page, from a checkpoint.

The runner, not the source, owns the checkpoint: a source reports the cursor each page reached,
and the runner saves it only after the store has acknowledged that page's posts and hits.
A crash mid-run therefore re-reads a page, never skips one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

from pipeline.core.jsonl import LineError
from pipeline.core.models import Post


@dataclass
class Page:
    posts: list[Post]
    # The checkpoint to save once this page is safely stored (None: leave it as it is).
    checkpoint: str | None = None
    # Items the source could not turn into Posts: reported, counted, skipped.
    errors: list[LineError] = field(default_factory=list)


class SourceStopped(RuntimeError):
    """The source gave up cleanly (rate limit deferred, retries exhausted); the reason says why.

    Pages yielded before it stay stored and checkpointed; the rest waits for the next run.
    """


class Source(ABC):
    name: str
    platform: str

    @abstractmethod
    def pages(self, checkpoint: str | None) -> Iterator[Page]:
        """Yield pages of posts newer than `checkpoint`, oldest cursor first."""
