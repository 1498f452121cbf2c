"""Masking of redaction spans in stored text.

A detector that finds a secret or a personal detail lists it in ``evidence["redactions"]``
(start/end offsets into ``post.all_text()``). The runner stores posts through `redact_post` and
every hit's ``post_text`` is masked, so the store never holds the value in clear, whichever
detector's hit shows the post.

The mask is made here, never taken from the detector: the value's kind (from the finding's
evidence span at the same offsets) and a length bucket, so no detector can keep a character of
the value by accident (see `pipeline.core.values.masked`). Masks are not as long as what they
cover: evidence offsets refer to the text as it was read, not as stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.core.models import Finding, Post

MASK_CHAR = "•"


def redact(text: str, spans: list[dict[str, Any]]) -> str:
    """`text` with each redaction span replaced by its mask (kind and length bucket). Overlapping
    spans are merged and masked whole, so no part of a value survives; spans outside the text are
    ignored."""
    from pipeline.core.values import masked

    valid = sorted(
        (int(s["start"]), int(s["end"]), s.get("kind"))
        for s in spans
        if isinstance(s.get("start"), int)
        and isinstance(s.get("end"), int)
        and 0 <= s["start"] < s["end"] <= len(text)
    )
    merged: list[tuple[int, int, str | None]] = []
    for start, end, kind in valid:
        if merged and start < merged[-1][1]:
            first_start, first_end, first_kind = merged[-1]
            merged[-1] = (first_start, max(first_end, end), first_kind or kind)
        else:
            merged.append((start, end, str(kind) if kind else None))
    out: list[str] = []
    cursor = 0
    for start, end, kind in merged:
        out.append(text[cursor:start])
        out.append(masked(kind or "value", end - start))
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _kinds(finding: Finding) -> dict[tuple[Any, Any], str]:
    """The kind of each evidence span by its offsets (a redaction names only where it is)."""
    return {
        (span.get("start"), span.get("end")): str(span["kind"])
        for span in (finding.evidence.get("spans") or [])
        if isinstance(span, dict) and span.get("kind")
    }


def redact_post(post: Post, findings: Iterable[Finding]) -> Post:
    """A copy of `post` for storage, with the findings' redaction spans masked in its text and
    in text read from its images. Offsets are into ``post.all_text()``: the post's text, then
    each image's OCR text, joined by newlines. The post itself is left as it is."""
    spans = []
    for finding in findings:
        if finding.post_id != post.doc_id:
            continue
        kinds = _kinds(finding)
        for span in finding.evidence.get("redactions") or []:
            kind = span.get("kind") or kinds.get((span.get("start"), span.get("end")))
            spans.append({**span, "kind": kind})
    if not spans:
        return post
    copy = post.model_copy(deep=True)
    copy.text = redact(post.text, spans)
    offset = len(post.text) + 1
    for media in copy.media:
        # ocr_text is an extra field of Media (see Post.all_text).
        extra = media.model_extra
        ocr = extra.get("ocr_text") if extra is not None else None
        if extra is None or not ocr:
            continue
        inside = [
            {**s, "start": s["start"] - offset, "end": s["end"] - offset}
            for s in spans
            if isinstance(s.get("start"), int)
            and isinstance(s.get("end"), int)
            and offset <= s["start"]
            and s["end"] <= offset + len(ocr)
        ]
        extra["ocr_text"] = redact(ocr, inside)
        offset += len(ocr) + 1
    return copy
