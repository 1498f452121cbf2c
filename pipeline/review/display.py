"""What a reviewer reads in the terminal: text made safe to print, evidence in plain words, and
the audit trail as sentences.

Posts and handles are hostile input. A handle can hide direction-control or zero-width
characters (an impersonator's favourite), and a post can carry terminal escape sequences; printed
raw, they reorder or rewrite what the reviewer sees. `safe` shows each such character as a visible
``<U+202E>`` tag instead, so the reviewer sees that it is there and nothing is rearranged.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pipeline.core.models import AuditEntry

# Labels whose score is below this are not findings, only what the model also considered.
LABEL_FLOOR = 0.5
_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
_INVISIBLE = {0x00AD, 0x034F, 0x180E, 0x200B, 0x200C, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064,
              0xFEFF}
_JOINER = 0x200D  # kept between emoji in text (family and flag sequences), shown in handles


def safe(text: str | None, *, handle: bool = False) -> str:
    """`text` with control, direction-control and invisible characters shown as <U+XXXX>;
    newlines and tabs become spaces. In a handle every format character is shown."""
    if not text:
        return ""
    out = []
    for char in text:
        code = ord(char)
        category = unicodedata.category(char)
        if char in "\n\r\t":
            out.append(" ")
        elif (category == "Cc" or code in _BIDI or code in _INVISIBLE
              or (handle and category == "Cf")):
            out.append(f"<U+{code:04X}>")
        else:
            out.append(char)
    return "".join(out)


def account(handle: str | None, display_name: str | None = None) -> str:
    """'@handle (Display Name)', or a plain statement when the author is gone."""
    shown = safe(handle, handle=True)
    if not shown or shown.strip("[]").casefold() in {"deleted", "removed"}:
        name = f"{shown or 'no handle'}"
        return f"{name} (account deleted or unknown)"
    text = f"@{shown.lstrip('@')}"
    if display_name and safe(display_name, handle=True) != shown:
        text += f" ({safe(display_name, handle=True)})"
    return text


def _phrase(value: Any) -> str:
    return str(value).replace("_", " ")


def _labels(evidence: dict[str, Any]) -> list[str]:
    labels = [str(x) for x in evidence.get("labels") or []]
    scores = evidence.get("label_scores") or {}
    if not isinstance(scores, dict) or not scores:
        return labels
    kept = [x for x in labels if float(scores.get(x, 1.0)) >= LABEL_FLOOR]
    return sorted(kept, key=lambda x: -float(scores.get(x, 1.0)))


def _quoted(spans: Iterable[Any]) -> list[str]:
    texts = []
    for span in spans:
        if isinstance(span, dict) and span.get("text") and span.get("kind") != "person":
            text = f"“{safe(str(span['text']))}”"
            if text not in texts:
                texts.append(text)
    return texts


def evidence_lines(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, detail) pairs a reviewer can read, most telling first. Internal values (polygons,
    hashes, offsets, raw scores) are left to `crestwatch review show ID --json`."""
    lines: list[tuple[str, str]] = []
    labels = _labels(evidence)
    if labels and labels != ["logo_misuse"]:
        lines.append(("found", ", ".join(_phrase(x) for x in labels)))
    if quoted := _quoted(evidence.get("spans") or []):
        lines.append(("words", ", ".join(quoted[:6])))
    for target in evidence.get("targets") or []:
        if isinstance(target, dict):
            who = target.get("name") or target.get("handle") or "someone"
            handle = f" (@{target['handle']})" if target.get("handle") and target.get("name") \
                else ""
            lines.append(("aimed at", f"{_phrase(target.get('kind', ''))} {safe(str(who))}"
                                      f"{handle}, {_phrase(target.get('how', ''))}".strip(", ")))
    if evidence.get("person"):
        lines.append(("person named", safe(str(evidence["person"]))))
    if evidence.get("matched_account") and not evidence.get("targets"):
        lines.append(("resembles", safe(str(evidence["matched_account"]), handle=True)))
    for signal in evidence.get("signals") or []:
        if isinstance(signal, dict) and signal.get("detail"):
            lines.append(("because", safe(str(signal["detail"]))))
    for copy in evidence.get("copied_posts") or []:
        if isinstance(copy, dict):
            lines.append(("copied", f"post {copy.get('post_id')} repeats "
                                    f"{copy.get('account')}'s post {copy.get('official_post')}"))
    if evidence.get("posts_seen"):
        lines.append(("account seen", f"{evidence['posts_seen']} post(s), "
                                      f"{_when(evidence.get('first_seen'))} to "
                                      f"{_when(evidence.get('last_seen'))}"))
    if evidence.get("reference") and evidence.get("brand"):  # a logo hit
        where = ("the author's avatar" if evidence.get("media_index") == -1 else
                 f"image {int(evidence.get('media_index') or 0) + 1} of the post")
        how = ("the whole image is the logo" if evidence.get("method") == "phash"
               else "the logo appears in it")
        lines.append(("logo", f"{evidence.get('brand')} {_phrase(evidence.get('variant', ''))} "
                              f"in {where}: {how}"))
    elif evidence.get("reference") and evidence.get("page") is not None:  # a document copy
        share = evidence.get("containment")
        lines.append(("copies", f"{evidence['reference']}, page {evidence['page']}"
                                + (f" ({float(share):.0%} of the passage)" if share else "")))
    if evidence.get("original"):  # reposted work
        original = evidence["original"]
        if isinstance(original, dict):
            lines.append(("original", f"{original.get('author', '')} on "
                                      f"{original.get('platform', '')}, "
                                      f"{_when(original.get('posted_at'))}: "
                                      f"{original.get('url') or original.get('post_id') or ''}"))
    if evidence.get("impersonation_signal"):
        lines.append(("also", safe(str(evidence["impersonation_signal"]))))
    if evidence.get("registered_account_without_permission"):
        lines.append(("account", "registered with the University but not allowed to use "
                                 "its logos"))
    for problem in evidence.get("problems") or []:
        lines.append(("not checked", safe(str(problem))))
    if evidence.get("image_path"):
        lines.append(("evidence image", str(evidence.get("image_url") or evidence["image_path"])))
    return lines


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value or "?")
    return moment.strftime("%d %b %Y %H:%M")


_ACTIONS = {"assign": "assigned", "risk": "set the risk", "tag": "tagged", "note": "added a note"}


def audit_line(entry: AuditEntry) -> str:
    """One audit entry as a sentence: '21 Nov 2026 14:03 amira: status → escalated'."""
    changes = entry.changes
    action, _, value = entry.action.partition(":")
    if action == "status":
        said = f"status → {value}"
    elif action == "assign":
        said = (f"assigned to {changes['assignee']}" if changes.get("assignee")
                else "unassigned")
    elif action == "risk":
        said = f"risk → {changes.get('risk', value)}"
    elif action == "tag":
        said = "tags now " + ", ".join(changes.get("tags") or [])
    else:
        said = _ACTIONS.get(action, entry.action.replace(":", " → "))
    notes = changes.get("notes")
    if isinstance(notes, list) and notes and isinstance(notes[-1], dict):
        said += f" (note: “{safe(str(notes[-1].get('text', '')))}”)"
    whitelist = changes.get("whitelist")
    if whitelist:
        said += f"; whitelist: {whitelist}"
    return f"{entry.at:%d %b %Y %H:%M} {safe(entry.actor)}: {said}"
