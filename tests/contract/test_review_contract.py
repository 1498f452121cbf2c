"""The review workflow on both stores."""

from __future__ import annotations

import io
import json

import pytest

from pipeline.core.models import Category, Finding, Status
from pipeline.policy.engine import Policy
from pipeline.review.workflow import TRANSITIONS, Reviewer, ReviewError, export_feedback
from pipeline.store.base import UnknownHit
from tests.factories import make_hit, make_post


def test_a_hit_moves_through_its_lifecycle_with_an_audit_trail(store):
    hit = make_hit(1)
    store.upsert_hits([hit])
    amira = Reviewer(store, "amira")
    amira.set_status(hit.id, "acknowledged")
    first_action = store.get_hit(hit.id).first_action_at
    assert first_action is not None
    amira.assign(hit.id, "ben")
    Reviewer(store, "ben").set_status(hit.id, "escalated", note="threat against a lecturer")
    Reviewer(store, "ben").set_status(hit.id, "takedown_requested")
    got = store.get_hit(hit.id)
    assert got.status is Status.takedown_requested
    assert got.assignee == "ben"
    assert got.first_action_at == first_action
    assert got.notes[0]["text"] == "threat against a lecturer" and got.notes[0]["by"] == "ben"
    actions = [(e.actor, e.action) for e in store.audit_trail(hit.id)]
    assert actions == [("amira", "status:acknowledged"), ("amira", "assign"),
                       ("ben", "status:escalated"), ("ben", "status:takedown_requested")]


@pytest.mark.parametrize("start", [Status.resolved, Status.false_positive])
def test_illegal_transitions_are_refused_and_change_nothing(store, start):
    hit = make_hit(1)
    store.upsert_hits([hit])
    reviewer = Reviewer(store, "amira")
    reviewer.set_status(hit.id, start.value)
    assert Status.escalated not in TRANSITIONS[start]
    with pytest.raises(ReviewError, match=f"is {start.value}; it can go to acknowledged"):
        reviewer.set_status(hit.id, "escalated")
    with pytest.raises(ReviewError, match="unknown status"):
        reviewer.set_status(hit.id, "binned")
    with pytest.raises(ReviewError, match="unknown risk"):
        reviewer.set_risk(hit.id, "apocalyptic")
    with pytest.raises(UnknownHit):
        reviewer.set_status("no-such-hit", "resolved")
    assert store.get_hit(hit.id).status is start
    assert len(store.audit_trail(hit.id)) == 1


def test_whitelisting_stops_future_hits_from_that_account(store, config):
    hit = make_hit(1, author_id="555")
    store.upsert_hits([hit])
    Reviewer(store, "amira").set_status(hit.id, "whitelisted", note="our society's account")
    assert ("account", "x:555") in store.whitelist()
    policy = Policy.for_store(config, store)
    later = make_post(9, author_id="555")
    other = make_post(10, author_id="556")
    findings = [
        Finding(post_id=p.doc_id, detector="harassment", category=Category.harassment,
                score=0.99, explanation="e")
        for p in (later, other)
    ]
    admitted = policy.apply(findings, {p.doc_id: p for p in (later, other)})
    assert [f.post_id for f in admitted] == ["x:10"]


def test_feedback_export_labels_confirmed_and_dismissed_hits(store):
    confirmed, dismissed, open_hit = make_hit(1), make_hit(2), make_hit(3)
    store.upsert_posts([make_post(1)])
    store.upsert_hits([confirmed, dismissed, open_hit])
    reviewer = Reviewer(store, "amira")
    reviewer.set_status(confirmed.id, "escalated")
    reviewer.set_status(dismissed.id, "false_positive")
    out = io.StringIO()
    assert export_feedback(store, out) == 2
    records = {r["id"]: r for r in map(json.loads, out.getvalue().splitlines())}
    assert records["1"]["labels"] == ["harassment"]
    assert records["2"]["labels"] == []
    assert records["2"]["feedback"]["status"] == "false_positive"
    assert records["2"]["text"] == dismissed.post_text  # rebuilt from the hit's snapshot


def test_a_reviewer_must_be_named(store):
    with pytest.raises(ReviewError):
        Reviewer(store, " ")
