"""Fingerprints of post text, for recognising a word-for-word copy of an official post.

What the detector remembers between runs (each account's posts seen, official posts' fingerprints)
is kept by the store, behind `pipeline.core.history.AccountHistory`: the runner records it after the
store has acknowledged a page, every worker shares it, and erasure and retention reach it.
"""

from __future__ import annotations

import hashlib
import re

MIN_COPY_LENGTH = 30

_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")


def fingerprint(text: str) -> str | None:
    """A fingerprint of a post's words (case, spacing and links ignored), or None when the
    text is too short for a copy of it to mean anything."""
    words = _SPACE.sub(" ", _URL.sub("", text)).strip().casefold()
    if len(words) < MIN_COPY_LENGTH:
        return None
    return hashlib.sha1(words.encode()).hexdigest()
