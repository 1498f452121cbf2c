"""One contract, two stores: every test here runs unchanged against SQLite and Elasticsearch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.core.models import Category, Severity, Status
from pipeline.store.base import HitQuery, StoreError, UnknownHit
from tests.factories import BASE_TIME, make_hit, make_post


def test_setup_is_idempotent(store):
    store.setup()
    store.setup()
    assert store.count_hits() == 0


def test_a_write_says_which_posts_were_new(store):
    assert store.upsert_posts([make_post(1), make_post(2)]).created == 2
    store.refresh()
    again = store.upsert_posts([make_post(2), make_post(3)])  # x:2 is a new version
    assert (again.written, again.created) == (2, 1)


def test_posts_round_trip_and_keep_unknown_fields(store):
    post = make_post(1, platform_extra={"edit_history_tweet_ids": ["1"]})
    assert store.upsert_posts([post]).written == 1
    store.refresh()
    got = store.get_post("x:1")
    assert got is not None
    assert got.text == post.text
    assert got.model_extra["platform_extra"] == {"edit_history_tweet_ids": ["1"]}
    assert store.get_post("x:404") is None


def test_upserting_the_same_hits_twice_never_duplicates(store):
    hits = [make_hit(n) for n in range(1, 6)]
    assert store.upsert_hits(hits).written == 5
    assert store.upsert_hits(hits).written == 5
    store.refresh()
    assert store.count_hits() == 5


def test_rerun_refreshes_detection_but_keeps_review_state(store):
    hit = make_hit(1)
    store.upsert_hits([hit])
    store.update_hit(hit.id, {"status": "escalated", "assignee": "amira"}, actor="amira",
                     action="escalate")
    redetected = make_hit(1, severity=Severity.critical, seen=BASE_TIME + timedelta(days=2))
    assert redetected.id == hit.id
    store.upsert_hits([redetected])
    store.refresh()
    got = store.get_hit(hit.id)
    assert got.status is Status.escalated
    assert got.assignee == "amira"
    assert got.severity is Severity.critical
    assert got.last_seen == BASE_TIME + timedelta(days=2)
    assert got.first_seen == hit.first_seen


def test_update_appends_to_the_audit_trail(store):
    hit = make_hit(1)
    store.upsert_hits([hit])
    store.update_hit(hit.id, {"status": "acknowledged"}, actor="amira", action="acknowledge")
    store.update_hit(hit.id, {"status": "resolved", "tags": ["takedown"]}, actor="ben",
                     action="resolve")
    trail = store.audit_trail(hit.id)
    assert [(e.actor, e.action) for e in trail] == [("amira", "acknowledge"), ("ben", "resolve")]
    assert trail[1].changes == {"status": "resolved", "tags": ["takedown"]}
    assert store.get_hit(hit.id).tags == ["takedown"]


def test_unknown_hit_and_bad_changes_change_nothing(store):
    hit = make_hit(1)
    store.upsert_hits([hit])
    with pytest.raises(UnknownHit):
        store.update_hit("nope", {"status": "resolved"}, actor="a", action="resolve")
    with pytest.raises(StoreError):
        store.update_hit(hit.id, {"score": 0.1}, actor="a", action="edit")
    with pytest.raises(ValueError):
        store.update_hit(hit.id, {"status": "maybe"}, actor="a", action="edit")
    assert store.get_hit(hit.id).status is Status.new
    assert store.audit_trail(hit.id) == []


def test_search_filters_and_orders_newest_first(store):
    store.upsert_hits(
        [
            make_hit(1, category=Category.harassment),
            make_hit(2, category=Category.personal_data, detector="personal_data"),
            make_hit(3, category=Category.harassment, platform="reddit"),
            make_hit(4, category=Category.logo_misuse, detector="logo"),
        ]
    )
    store.refresh()
    assert [h.post_id for h in store.search_hits()] == ["x:4", "reddit:3", "x:2", "x:1"]
    found = store.search_hits(HitQuery(category=["harassment"]))
    assert {h.post_id for h in found} == {"x:1", "reddit:3"}
    assert [h.post_id for h in store.search_hits(HitQuery(platform=["reddit"]))] == ["reddit:3"]
    since = store.search_hits(HitQuery(since=BASE_TIME + timedelta(hours=3)))
    assert {h.post_id for h in since} == {"reddit:3", "x:4"}
    assert store.count_hits(HitQuery(category=["harassment"], platform=["x"])) == 1
    page = store.search_hits(HitQuery(limit=2, offset=1))
    assert [h.post_id for h in page] == ["reddit:3", "x:2"]


def test_iter_hits_streams_by_detection_time(store):
    store.upsert_hits([make_hit(n) for n in range(1, 8)])
    store.refresh()
    window = list(store.iter_hits(BASE_TIME + timedelta(hours=2), BASE_TIME + timedelta(hours=5)))
    assert [h.post_id for h in window] == ["x:2", "x:3", "x:4"]
    assert len(list(store.iter_hits())) == 7


def test_checkpoints(store):
    assert store.get_checkpoint("x-search") is None
    store.set_checkpoint("x-search", "1860000000000000000")
    store.set_checkpoint("x-search", "1860000000000000123")
    assert store.get_checkpoint("x-search") == "1860000000000000123"


def test_erase_author_removes_their_posts_hits_and_audit(store):
    store.upsert_posts([make_post(1, author_id="7"), make_post(2, author_id="8")])
    victim = make_hit(1, author_id="7")
    store.upsert_hits([victim, make_hit(2, author_id="8")])
    store.update_hit(victim.id, {"status": "acknowledged"}, actor="a", action="ack")
    removed = store.erase_author("x", "7")
    store.refresh()
    assert removed == 2
    assert store.get_post("x:1") is None and store.get_post("x:2") is not None
    assert store.get_hit(victim.id) is None
    assert store.audit_trail(victim.id) == []
    assert store.count_hits() == 1


def test_purge_before_applies_retention(store):
    store.upsert_posts([make_post(n) for n in range(1, 5)])
    store.upsert_hits([make_hit(n) for n in range(1, 5)])
    removed = store.purge_before(BASE_TIME + timedelta(minutes=2, seconds=30))
    store.refresh()
    assert removed == 4  # posts 1-2 and their hits
    assert store.count_hits() == 2
    assert store.get_post("x:1") is None and store.get_post("x:3") is not None


def test_whitelist_is_idempotent_and_checked(store):
    assert store.whitelist() == set()
    store.add_to_whitelist("account", "x:100", actor="amira", reason="our own society")
    store.add_to_whitelist("account", "x:100", actor="ben")
    store.add_to_whitelist("image", "ab" * 32, actor="ben")
    assert store.whitelist() == {("account", "x:100"), ("image", "ab" * 32)}
    with pytest.raises(StoreError):
        store.add_to_whitelist("hashtag", "#qmul", actor="ben")


def test_iter_posts_streams_by_creation_time(store):
    store.upsert_posts([make_post(n) for n in (3, 1, 2, 5, 4)])
    store.refresh()
    window = list(store.iter_posts(BASE_TIME + timedelta(minutes=2),
                                   BASE_TIME + timedelta(minutes=5)))
    assert [p.doc_id for p in window] == ["x:2", "x:3", "x:4"]
    assert len(list(store.iter_posts())) == 5
