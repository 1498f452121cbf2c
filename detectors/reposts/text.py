"""Word fingerprints of a post's text, for finding near-copies whatever was added around them.

A text is reduced to its words (case, punctuation, links, mentions and emoji ignored) and then to
the set of its overlapping three-word shingles, each a 63-bit hash. Two texts are near-copies
when most shingles of the shorter one are in the longer one (the overlap coefficient): a copy
with "(wrote this on my walk home)" added, or with one word changed, still shares nearly all of
the original's shingles, while two posts on the same topic share almost none.
"""

from __future__ import annotations

import hashlib
import re

SHINGLE = 3
MAX_SHINGLES = 400  # a long Reddit post: its first 400 shingles are enough to recognise it

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(?<!\w)@[\w.@-]+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """The text's words, casefolded, without links or @mentions."""
    text = _MENTION.sub(" ", _URL.sub(" ", text))
    return [w.casefold().replace("’", "'") for w in _WORD.findall(text)]


def _hash(shingle: str) -> int:
    digest = hashlib.blake2b(shingle.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1  # fits SQLite's signed 64-bit integer


def shingles(text: str) -> list[int]:
    """Distinct shingle hashes in first-seen order, at most MAX_SHINGLES."""
    tokens = words(text)
    seen: dict[int, None] = {}
    for i in range(max(0, len(tokens) - SHINGLE + 1)):
        seen.setdefault(_hash(" ".join(tokens[i : i + SHINGLE])), None)
        if len(seen) >= MAX_SHINGLES:
            break
    return list(seen)


def overlap(shared: int, first: int, second: int) -> float:
    """Shared shingles over the smaller set's size."""
    smaller = min(first, second)
    return shared / smaller if smaller else 0.0
