"""Work history: the posts the reposted-work detector has read that someone could copy, kept by
the store beside the account history (pipeline/core/history.py) and for the same reasons: every
Airflow worker shares it, it moves only once the store has acknowledged the page it came from,
and erasure and retention reach it.

For each such post (long enough text, or an image with detail) the store keeps who posted it and
when (`Work`), its text's shingle hashes and its images' ORB features (`WorkImage`), never the
text itself: a shingle hash says whether a later post repeats the words, and nothing more. Its
images' visual words (detectors/reposts/images.py) are kept among its shingles: text shingles
are non-negative and visual words negative, so one search (`shared_shingles`) finds the works
sharing a text's words or an image's, and `Work.shingles` counts the text's alone. The
runner writes a page's works as `RememberedWork`s in the page's `HistoryUpdate`; post ids are
the key, so recording a page twice changes nothing and a post read again replaces its record.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

# A post's text is compared with the remembered works sharing the most of its shingles, at most
# this many: the original of a copy shares nearly all of them, so it is never beyond the cut.
SHARED_WORKS = 1000


def work_author(platform: str, author_id: str) -> str:
    """Whose a work is, as stored (erasure removes one author's works by it)."""
    return f"{platform}:{author_id}"


@dataclass(frozen=True)
class Work:
    post_id: str
    author: str  # work_author(platform, author id)
    handle: str
    display_name: str | None
    platform: str
    posted_at: datetime
    url: str | None
    shingles: int  # how many distinct shingles its text has (0: an image only)


@dataclass(frozen=True)
class WorkImage:
    """One image's ORB features, as the store keeps them: the arrays' raw bytes."""

    post_id: str
    media_index: int
    width: int  # the working size the points are in
    height: int
    points: bytes  # (n, 2) float32
    descriptors: bytes  # (n, 32) uint8


@dataclass(frozen=True)
class RememberedWork:
    """What the store records for one post: the work, its shingle hashes and its images."""

    work: Work
    shingles: Sequence[int] = ()
    images: Sequence[WorkImage] = field(default_factory=tuple)


@dataclass(frozen=True)
class ShingleQuery:
    """Which works to list for a set of hashes: those posted at or after `since` sharing at
    least `at_least` of them and, when `min_overlap` is set, near-copies only: works whose
    shared count is at least that share of the smaller text's shingles (the query's distinct
    hashes or the work's `Work.shingles`, whichever is fewer).

    Both cuts are the reposted-work detector's own test, asked of the store: most works share a
    common phrase or two with a post, and a search that must count at least `at_least` shared
    hashes skips them instead of ranking them, and the works fetched afterwards are the
    near-copies alone, not every work sharing a phrase."""

    hashes: Sequence[int]
    since: datetime
    at_least: int = 1
    min_overlap: float = 0.0

    def admits(self, shared: int, text_shingles: int) -> bool:
        """Whether a work sharing `shared` hashes, with `text_shingles` of its own, is listed."""
        if shared < max(1, self.at_least):
            return False
        if not self.min_overlap:
            return True
        smaller = min(len(set(self.hashes)), text_shingles)
        return smaller > 0 and shared / smaller >= self.min_overlap


class WorkHistory(ABC):
    @abstractmethod
    def works(self, post_ids: Iterable[str]) -> dict[str, Work]:
        """The recorded works among `post_ids` (unknown ids are left out)."""

    @abstractmethod
    def shared_shingles_each(
        self, queries: Sequence[ShingleQuery], *, limit: int = SHARED_WORKS
    ) -> list[dict[str, int]]:
        """For each query, post id -> how many of its hashes the work has: of the `limit`
        works sharing the most (at least `at_least`, ties by post id), those the query admits.
        One request where the store can: the reposted-work detector asks for every post of a
        page at once, since the history does not change while a page is read."""

    def shared_shingles(
        self, hashes: Iterable[int], *, since: datetime, limit: int = SHARED_WORKS
    ) -> dict[str, int]:
        """`shared_shingles_each` for one query listing every work that shares any hash."""
        return self.shared_shingles_each([ShingleQuery(list(hashes), since)], limit=limit)[0]

    @abstractmethod
    def work_images(
        self, *, since: datetime, post_ids: Iterable[str] | None = None
    ) -> list[WorkImage]:
        """Every image of the works posted at or after `since` (of those among `post_ids`, when
        given), oldest work first (then post id and media index)."""
