"""Span bookkeeping that stays fast on long texts: a set of taken character ranges and bounded
look-arounds.

Recognisers skip a match that overlaps one already taken. Asking every taken span in turn made a
text with thousands of matches quadratic (a megabyte of addresses or names took minutes); the set
keeps the union of the spans, sorted, and answers in O(log n). Looking for the line or sentence
around a match with `rfind` from the match back to the start of the text is also quadratic on a
long text without line breaks; `line_around` and `LOOK_AROUND` bound how far one match looks.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

# How far one match looks for the start or end of its line or sentence. Lines and sentences
# longer than this are read as if they began or ended there: a cue a thousand characters away
# does not belong to the match anyway.
LOOK_AROUND = 400


class SpanSet:
    """The union of [start, end) ranges added so far."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, start: int, end: int) -> None:
        # Every stored range that overlaps or touches [start, end) is merged into it.
        first = bisect_left(self._ends, start)
        last = bisect_right(self._starts, end)
        if first < last:
            start = min(start, self._starts[first])
            end = max(end, self._ends[last - 1])
        self._starts[first:last] = [start]
        self._ends[first:last] = [end]

    def overlaps(self, start: int, end: int) -> bool:
        """Whether [start, end) shares a character with a range added."""
        i = bisect_right(self._ends, start)
        return i < len(self._starts) and self._starts[i] < max(end, start + 1)

    def holds(self, position: int) -> bool:
        """Whether `position` lies inside a range added."""
        return self.overlaps(position, position + 1)


def line_around(text: str, start: int, end: int, *, width: int = LOOK_AROUND) -> tuple[int, int]:
    """The line holding [start, end), looked for at most `width` characters either side."""
    low = max(0, start - width)
    line_start = text.rfind("\n", low, start) + 1 or low
    high = min(len(text), end + width)
    line_end = text.find("\n", end, high)
    return line_start, line_end if line_end != -1 else high
