"""The hit lifecycle reviewers work through, on either store.

Every change goes through `Reviewer`, which checks the transition, records who did what in the
store's append-only audit trail, stamps the first action (for review turnaround), and turns
whitelisting into a whitelist entry so that future hits from that account or image stop.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TextIO

from pipeline.core.jsonl import dumps
from pipeline.core.models import Category, Hit, Status, utcnow
from pipeline.store.base import Store, UnknownHit

S = Status
# Where a hit may go from each status. Closed hits (resolved, false positive, whitelisted) can be
# reopened by acknowledging them again; nothing jumps straight back to `new`.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.new: frozenset({S.acknowledged, S.escalated, S.takedown_requested, S.resolved,
                      S.false_positive, S.whitelisted}),
    S.acknowledged: frozenset({S.escalated, S.takedown_requested, S.resolved, S.false_positive,
                               S.whitelisted}),
    S.escalated: frozenset({S.acknowledged, S.takedown_requested, S.resolved, S.false_positive}),
    S.takedown_requested: frozenset({S.escalated, S.resolved}),
    S.resolved: frozenset({S.acknowledged}),
    S.false_positive: frozenset({S.acknowledged}),
    S.whitelisted: frozenset({S.acknowledged}),
}
RISKS = ("critical", "high", "medium", "low", "info")

# Reviewers' verdicts as training labels: confirmed hits are positives, dismissed ones negatives.
CONFIRMED = frozenset({S.escalated, S.takedown_requested, S.resolved})
DISMISSED = frozenset({S.false_positive, S.whitelisted})


class ReviewError(ValueError):
    pass


class Reviewer:
    def __init__(self, store: Store, actor: str) -> None:
        if not actor.strip():
            raise ReviewError("a reviewer name is required for the audit trail")
        self.store = store
        self.actor = actor

    def _hit(self, hit_id: str) -> Hit:
        hit = self.store.get_hit(hit_id)
        if hit is None:
            raise UnknownHit(hit_id)
        return hit

    def _change(self, hit: Hit, changes: dict[str, Any], action: str) -> Hit:
        if hit.first_action_at is None:
            now = utcnow()
            minutes = round((now - hit.first_seen).total_seconds() / 60, 2)
            changes = {**changes, "first_action_at": now, "review_minutes": max(0.0, minutes)}
        return self.store.update_hit(hit.id, changes, actor=self.actor, action=action)

    def set_status(self, hit_id: str, status: str, *, note: str | None = None,
                   scope: str | None = None) -> Hit:
        """Move a hit on. Whitelisting also adds the whitelist entry `scope` names (see
        `whitelist_entries`); the entry is recorded in the audit trail."""
        hit = self._hit(hit_id)
        try:
            target = Status(status)
        except ValueError:
            raise ReviewError(
                f"unknown status {status!r}; one of: {', '.join(s.value for s in Status)}"
            ) from None
        if target not in TRANSITIONS[hit.status]:
            allowed = ", ".join(sorted(s.value for s in TRANSITIONS[hit.status]))
            raise ReviewError(
                f"hit {hit_id} is {hit.status.value}; it can go to {allowed}, not {target.value}"
            )
        if scope is not None and target is not Status.whitelisted:
            raise ReviewError("a whitelist scope only goes with the status whitelisted")
        changes: dict[str, Any] = {"status": target.value}
        if target is Status.whitelisted:
            entries = whitelist_entries(hit, scope)
            # The whitelist entry comes first: if it fails, the hit's status is unchanged.
            for kind, value in entries:
                self.store.add_to_whitelist(kind, value, actor=self.actor, reason=f"hit {hit_id}")
            changes["notes"] = [*hit.notes, self._note(
                "whitelisted: " + "; ".join(describe_entry(k, v, hit) for k, v in entries))]
        if note:
            changes["notes"] = [*changes.get("notes", hit.notes), self._note(note)]
        return self._change(hit, changes, f"status:{target.value}")

    def assign(self, hit_id: str, assignee: str | None) -> Hit:
        return self._change(self._hit(hit_id), {"assignee": assignee or None}, "assign")

    def set_risk(self, hit_id: str, risk: str) -> Hit:
        if risk not in RISKS:
            raise ReviewError(f"unknown risk {risk!r}; one of: {', '.join(RISKS)}")
        return self._change(self._hit(hit_id), {"risk": risk}, "risk")

    def tag(self, hit_id: str, *tags: str) -> Hit:
        hit = self._hit(hit_id)
        return self._change(hit, {"tags": sorted({*hit.tags, *tags})}, "tag")

    def add_note(self, hit_id: str, text: str) -> Hit:
        if not text.strip():
            raise ReviewError("a note needs some text")
        hit = self._hit(hit_id)
        return self._change(hit, {"notes": [*hit.notes, self._note(text)]}, "note")

    def _note(self, text: str) -> dict[str, str]:
        return {"at": utcnow().isoformat(), "by": self.actor, "text": text}


# What a reviewer may whitelist from a hit: its account in the hit's category only (whitelisting
# a logo hit need not silence the same account's impersonation), its account in every category,
# or the hit's image wherever it appears (logo hits that name their image).
WHITELIST_SCOPES = ("category", "account", "image")


def whitelist_entries(hit: Hit, scope: str | None = None) -> list[tuple[str, str]]:
    """The whitelist entries whitelisting this hit adds for `scope`. Without one: the image of a
    logo hit that names it, otherwise the account (the review CLI makes reviewers choose)."""
    account = f"{hit.platform}:{hit.author_id}"
    if scope is None:
        scope = ("image" if hit.category is Category.logo_misuse
                 and hit.evidence.get("image_sha256") else "account")
    if scope == "category":
        return [("account_category", f"{account}/{hit.category.value}")]
    if scope == "account":
        return [("account", account)]
    if scope == "image":
        sha = hit.evidence.get("image_sha256")
        if not sha:
            raise ReviewError(f"hit {hit.id} names no image to whitelist; use --scope category "
                              "or --scope account")
        return [("image", str(sha))]
    raise ReviewError(f"unknown whitelist scope {scope!r}; one of: {', '.join(WHITELIST_SCOPES)}")


def describe_entry(kind: str, value: str, hit: Hit) -> str:
    """A whitelist entry in words, naming the account by its handle."""
    who = f"@{hit.author_handle} ({hit.platform} account {hit.author_id})"
    if kind == "account":
        return f"no more hits from {who} in any category"
    if kind == "account_category":
        return f"no more {value.rpartition('/')[2]} hits from {who}; other categories still alert"
    return f"no more hits on image {value[:12]}… from any account"


def iter_feedback(store: Store) -> Iterator[dict[str, Any]]:
    """Reviewed hits as labelled posts, in the format `crestwatch eval` and training read."""
    for hit in store.iter_hits():
        if hit.status not in CONFIRMED | DISMISSED:
            continue
        post = store.get_post(hit.post_id)
        record = post.model_dump(mode="json") if post else _post_from_hit(hit)
        record["labels"] = [hit.category.value] if hit.status in CONFIRMED else []
        record["feedback"] = {
            "hit_id": hit.id, "detector": hit.detector, "category": hit.category.value,
            "score": hit.score, "status": hit.status.value,
        }
        yield record


def _post_from_hit(hit: Hit) -> dict[str, Any]:
    platform, _, post_id = hit.post_id.partition(":")
    return {
        "platform": platform, "id": post_id, "url": hit.post_url, "text": hit.post_text,
        "created_at": hit.post_created_at.isoformat(),
        "author": {"id": hit.author_id, "handle": hit.author_handle,
                   "display_name": hit.author_display_name},
    }


def export_feedback(store: Store, out: TextIO) -> int:
    count = 0
    for record in iter_feedback(store):
        out.write(dumps(record) + "\n")
        count += 1
    return count
