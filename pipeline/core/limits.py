"""Limits on what one item may cost: pixels, line and text sizes, nesting.

Every limit here bounds the work one hostile item can cause; none of them drops content
silently: an item over a limit is quarantined with the limit named, and long texts are read in
windows (`text_windows`) so padding cannot push a sentence out of a detector's sight.
"""

from __future__ import annotations

from collections.abc import Iterator

# 40 megapixels: well above any platform's upload limit, far below what would exhaust memory.
MAX_PIXELS = 40_000_000

# One JSONL line: the longest platform post with its media and author is a few tens of KB;
# 2 MiB leaves room for quoted posts and unknown fields and still bounds one line's memory.
MAX_LINE_BYTES = 2 * 1024 * 1024

# One media file: the largest image a platform serves is a few MB; the media fetcher refuses
# downloads past this, and a JSONL post's local media.path is held to the same size.
MAX_MEDIA_BYTES = 15 * 1024 * 1024

# Nesting of one item's JSON: posts are a few levels deep; 64 is far past any platform's shape
# and far below Python's recursion limit, which deeper documents would otherwise reach.
MAX_NESTING = 64

# Detectors that read text through a fixed-size model input read long texts in windows of this
# many characters, overlapping by WINDOW_OVERLAP so a phrase cut at one edge is whole in the next.
TEXT_WINDOW = 6_000
WINDOW_OVERLAP = 500
# Texts longer than this are read up to it and reported as cut: 1 MB of padding costs a bounded,
# linear amount and the head of the text is still read window by window.
MAX_TEXT_CHARS = 1_000_000


def text_windows(
    text: str, *, size: int = TEXT_WINDOW, overlap: int = WINDOW_OVERLAP
) -> Iterator[tuple[int, str]]:
    """(offset, window) pairs covering `text` (up to MAX_TEXT_CHARS); consecutive windows
    overlap by `overlap` characters. A text of `size` or less is one window."""
    if overlap >= size:
        raise ValueError("window overlap must be smaller than the window")
    text = text[:MAX_TEXT_CHARS]
    if len(text) <= size:
        yield 0, text
        return
    step = size - overlap
    start = 0
    while True:
        yield start, text[start:start + size]
        if start + size >= len(text):
            return
        start += step
