"""The account history (pipeline/core/history.py) behaves the same in both stores: recorded
once however often a page is written, read back per account, erased with the person, purged by
retention."""

from __future__ import annotations

from datetime import timedelta

from pipeline.core.history import (
    EVIDENCE_POSTS,
    AccountPost,
    HistoryUpdate,
    OfficialPost,
    account_subject,
)
from tests.factories import BASE_TIME

SUBJECT = account_subject("x", "a1")


def posts(subject: str, numbers: range) -> list[AccountPost]:
    return [AccountPost(subject, f"x:{n}", BASE_TIME + timedelta(hours=n)) for n in numbers]


def test_history_is_recorded_once_and_read_per_account(store):
    update = HistoryUpdate(posts(SUBJECT, range(1, 13)) + posts(account_subject("x", "a2"),
                                                                range(20, 21)))
    store.record_history(update)
    store.record_history(update)  # a page written twice adds nothing
    seen = store.accounts_seen([SUBJECT, account_subject("x", "a2"), account_subject("x", "x")])
    assert set(seen) == {SUBJECT, account_subject("x", "a2")}
    mine = seen[SUBJECT]
    assert mine.posts == 12
    assert mine.first_seen == BASE_TIME + timedelta(hours=1)
    assert mine.last_seen == BASE_TIME + timedelta(hours=12)
    assert mine.evidence_posts == [f"x:{n}" for n in range(12, 12 - EVIDENCE_POSTS, -1)]
    assert store.recorded_posts(SUBJECT, ["x:1", "x:99"]) == {"x:1"}


def test_official_posts_are_found_by_fingerprint(store):
    store.record_history(HistoryUpdate(official_posts=[
        OfficialPost("f" * 40, "x:1", "@QMUL", BASE_TIME)]))
    assert store.official_copies(["f" * 40, "0" * 40]) == {"f" * 40: ("x:1", "@QMUL")}


def test_erasure_reaches_every_kind_of_account_subject(store):
    avatar = account_subject("x", "a1", "avatar-logo")
    other = account_subject("x", "a9", "avatar-logo")
    store.record_history(HistoryUpdate(posts(avatar, range(1, 3)) + posts(other, range(5, 6))))
    store.erase_author("x", "a1")
    assert store.accounts_seen([avatar, other]).keys() == {other}


def test_erasure_and_retention_reach_the_history(store):
    store.record_history(HistoryUpdate(
        posts(SUBJECT, range(1, 3)) + posts(account_subject("x", "a2"), range(100, 102)),
        [OfficialPost("e" * 40, "x:5", "@QMUL", BASE_TIME)],
    ))
    store.erase_author("x", "a1")
    assert store.accounts_seen([SUBJECT]) == {}
    store.purge_before(BASE_TIME + timedelta(hours=101))
    remaining = store.accounts_seen([account_subject("x", "a2")])
    assert remaining[account_subject("x", "a2")].posts == 1
    assert store.official_copies(["e" * 40]) == {}
