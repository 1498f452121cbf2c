"""Masking of redaction spans in stored text.

A detector that finds a secret or a personal detail lists it in ``evidence["redactions"]``
(start/end offsets into the post's text and the mask to show); the stored hit's ``post_text``
carries the mask instead of the value, so the store never holds the value in clear.
"""

from __future__ import annotations

from typing import Any

MASK_CHAR = "•"


def redact(text: str, spans: list[dict[str, Any]]) -> str:
    """`text` with each redaction span replaced by its mask. Overlapping spans are merged and
    masked whole, so no part of a value survives; spans outside the text are ignored."""
    valid = sorted(
        (int(s["start"]), int(s["end"]), s.get("mask"))
        for s in spans
        if isinstance(s.get("start"), int) and isinstance(s.get("end"), int)
        and 0 <= s["start"] < s["end"] <= len(text)
    )
    merged: list[tuple[int, int, str | None]] = []
    for start, end, mask in valid:
        if merged and start < merged[-1][1]:
            first_start, first_end, _ = merged[-1]
            merged[-1] = (first_start, max(first_end, end), None)
        else:
            merged.append((start, end, str(mask) if mask else None))
    out: list[str] = []
    cursor = 0
    for start, end, mask in merged:
        out.append(text[cursor:start])
        out.append(mask or MASK_CHAR * (end - start))
        cursor = end
    out.append(text[cursor:])
    return "".join(out)
