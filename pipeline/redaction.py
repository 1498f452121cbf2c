"""Masking of redaction spans in stored text.

A detector that finds a secret or a personal detail lists it in ``evidence["redactions"]``
(start/end offsets into the post's text and the mask to show); the stored hit's ``post_text``
carries the mask instead of the value, so the store never holds the value in clear.
"""

from __future__ import annotations

from typing import Any

MASK_CHAR = "•"


def redact(text: str, spans: list[dict[str, Any]]) -> str:
    """`text` with each redaction span replaced by its mask (spans outside the text are ignored)."""
    ordered = sorted(
        (s for s in spans if isinstance(s.get("start"), int) and isinstance(s.get("end"), int)),
        key=lambda s: int(s["start"]),
    )
    out: list[str] = []
    cursor = 0
    for span in ordered:
        start, end = int(span["start"]), int(span["end"])
        if start < cursor or end > len(text) or start >= end:
            continue
        out.append(text[cursor:start])
        out.append(str(span.get("mask") or MASK_CHAR * (end - start)))
        cursor = end
    out.append(text[cursor:])
    return "".join(out)
