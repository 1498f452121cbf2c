"""The work history (pipeline/core/works.py) behaves the same in both stores: recorded once
however often a page is written, a post read again replaces its record, shingle counts within
the memory period, image features byte for byte, erased with the person, purged by
retention."""

from __future__ import annotations

import os
from datetime import timedelta

from pipeline.core.history import HistoryUpdate
from pipeline.core.works import RememberedWork, ShingleQuery, Work, WorkImage, work_author
from tests.factories import BASE_TIME

BIG = 2**63 - 1  # shingle hashes use all 63 bits


def work(n: int, author: str = "a1", *, hours: int = 0, shingles: int = 0) -> Work:
    return Work(f"x:{n}", work_author("x", author), f"@{author}", f"Name {author}", "x",
                BASE_TIME + timedelta(hours=hours), f"https://x.example/{n}", shingles)


def text(n: int, hashes: list[int], author: str = "a1", *, hours: int = 0) -> RememberedWork:
    return RememberedWork(work(n, author, hours=hours, shingles=len(hashes)), hashes)


def image(post_id: str, media_index: int) -> WorkImage:
    return WorkImage(post_id, media_index, 640, 480, os.urandom(8 * 30), os.urandom(32 * 30))


def test_works_are_recorded_once_and_read_by_id(store):
    update = HistoryUpdate(works=[text(1, [1, 2, 3, BIG]), text(2, [2, 3], "a2", hours=1)])
    store.record_history(update)
    store.record_history(update)  # a page written twice adds nothing
    found = store.works(["x:1", "x:2", "x:9"])
    assert found == {"x:1": work(1, shingles=4), "x:2": work(2, "a2", hours=1, shingles=2)}
    assert store.shared_shingles([2, 3, BIG, 7], since=BASE_TIME) == {"x:1": 3, "x:2": 2}


def test_shared_shingles_keep_the_memory_period_and_the_most_shared_first(store):
    store.record_history(HistoryUpdate(works=[
        text(1, [1, 2, 3], hours=0), text(2, [1, 2], "a2", hours=5),
        text(3, [1], "a3", hours=6), text(4, [9], "a4", hours=7)]))
    since = BASE_TIME + timedelta(hours=5)
    assert store.shared_shingles([1, 2, 3], since=since) == {"x:2": 2, "x:3": 1}
    assert store.shared_shingles([1, 2, 3], since=BASE_TIME, limit=2) == {"x:1": 3, "x:2": 2}
    assert store.shared_shingles([5], since=BASE_TIME) == {}


def test_shared_shingles_each_answers_as_one_query_per_post(store):
    store.record_history(HistoryUpdate(works=[
        text(1, [1, 2, 3], hours=0), text(2, [1, 2], "a2", hours=5),
        text(3, [1], "a3", hours=6)]))
    later = BASE_TIME + timedelta(hours=5)
    queries = [ShingleQuery([1, 2, 3], BASE_TIME), ShingleQuery([], BASE_TIME),
               ShingleQuery([1, 2, 3], later), ShingleQuery([7], BASE_TIME),
               ShingleQuery([3, 3], BASE_TIME)]
    assert store.shared_shingles_each(queries) == [
        {"x:1": 3, "x:2": 2, "x:3": 1}, {}, {"x:2": 2, "x:3": 1}, {}, {"x:1": 1}]
    assert store.shared_shingles_each(queries, limit=1)[0] == {"x:1": 3}
    assert store.shared_shingles_each([]) == []


def test_a_query_lists_only_works_sharing_enough_and_near_copies_when_asked(store):
    """The reposted-work detector's own cut, asked of the store: at least `at_least` shared
    hashes, and with `min_overlap`, that share of the smaller text's shingles."""
    store.record_history(HistoryUpdate(works=[
        text(1, list(range(1, 11))),  # ten hashes: shares 1-8 with the query
        text(2, [1, 2, 3, 4, 99], "a2"),  # five: shares four of them
        text(3, [1, 2], "a3"),  # shares two
        text(4, list(range(1, 41)) + list(range(200, 240)), "a4")]))  # 80: shares 1-8
    query = list(range(1, 9))
    assert store.shared_shingles_each([ShingleQuery(query, BASE_TIME, at_least=3)]) == [
        {"x:1": 8, "x:4": 8, "x:2": 4}]
    near = store.shared_shingles_each([ShingleQuery(query, BASE_TIME, 3, min_overlap=0.8)])
    # x:1 8 of min(8, 10); x:2 4 of min(8, 5) = 0.8; x:4 8 of min(8, 80) as well.
    assert near == [{"x:1": 8, "x:4": 8, "x:2": 4}]
    # With no minimum count, a short work wholly inside the post is a near-copy too (x:3, two
    # of its two); x:2 (0.8) is not one at 0.9.
    strict = store.shared_shingles_each([ShingleQuery(query, BASE_TIME, 1, min_overlap=0.9)])
    assert strict == [{"x:1": 8, "x:4": 8, "x:3": 2}]
    assert store.shared_shingles_each([ShingleQuery(query, BASE_TIME, 3, 0.9)]) == [
        {"x:1": 8, "x:4": 8}]
    # The limit counts the works sharing the most, before the overlap cut.
    assert store.shared_shingles_each([ShingleQuery([1, 2, 3, 4, 99], BASE_TIME, 1, 0.9)],
                                      limit=2) == [{"x:2": 5}]


def test_a_post_read_again_replaces_its_record(store):
    store.record_history(HistoryUpdate(works=[RememberedWork(
        work(1, shingles=2), [1, 2], [image("x:1", 0), image("x:1", 1)])]))
    edited = RememberedWork(work(1, shingles=2), [3, 4], [image("x:1", 0)])
    store.record_history(HistoryUpdate(works=[edited]))
    assert store.shared_shingles([1, 2], since=BASE_TIME) == {}
    assert store.shared_shingles([3, 4], since=BASE_TIME) == {"x:1": 2}
    assert store.work_images(since=BASE_TIME) == list(edited.images)


def test_image_features_come_back_byte_for_byte_oldest_first(store):
    first = [image("x:2", 0), image("x:2", 1)]
    second = [image("x:1", 0)]
    store.record_history(HistoryUpdate(works=[
        RememberedWork(work(2, hours=1), (), first),
        RememberedWork(work(1, "a2", hours=2), (), second),
        text(3, [1], "a3", hours=3),  # text only: no image
    ]))
    assert store.work_images(since=BASE_TIME) == first + second
    assert store.work_images(since=BASE_TIME + timedelta(hours=2)) == second
    assert store.works(["x:2"])["x:2"].shingles == 0
    # Only the works asked for (the reposts detector's shortlist), still oldest first.
    assert store.work_images(since=BASE_TIME, post_ids=["x:1", "x:2", "x:9"]) == first + second
    assert store.work_images(since=BASE_TIME, post_ids=["x:1", "x:3"]) == second
    assert store.work_images(since=BASE_TIME + timedelta(hours=2), post_ids=["x:2"]) == []
    assert store.work_images(since=BASE_TIME, post_ids=[]) == []


def test_visual_words_are_shingles_of_their_own_sign(store):
    """An image's words (negative) and a text's shingles (non-negative) share one search, and
    neither counts for the other."""
    words = [-(2**40), -3, -1]
    store.record_history(HistoryUpdate(works=[
        RememberedWork(work(1, shingles=2), [1, 2, *words], [image("x:1", 0)]),
        text(2, [1, 2], "a2", hours=1),
        RememberedWork(work(3, "a3", hours=2), [-3], [image("x:3", 0)]),
    ]))
    assert store.shared_shingles([1, 2], since=BASE_TIME) == {"x:1": 2, "x:2": 2}
    assert store.shared_shingles([-1, -3, -(2**40), -7], since=BASE_TIME) == {"x:1": 3, "x:3": 1}
    assert store.shared_shingles([-3], since=BASE_TIME, limit=1) == {"x:1": 1}
    assert store.works(["x:1"])["x:1"].shingles == 2
    # As many as an image and its mirror are looked up by (two tables of 200 descriptors each).
    many = [-n for n in range(10, 810)]
    store.record_history(HistoryUpdate(works=[
        RememberedWork(work(4, "a4", hours=3), many[::2], [image("x:4", 0)])]))
    assert store.shared_shingles(many, since=BASE_TIME)["x:4"] == 400


def test_erasure_and_retention_reach_the_works(store):
    store.record_history(HistoryUpdate(works=[
        RememberedWork(work(1, shingles=1), [1], [image("x:1", 0)]),
        text(2, [1], "a2", hours=100), text(3, [1], "a2", hours=102),
    ]))
    assert store.erase_author("x", "a1") == 1
    assert store.works(["x:1"]) == {}
    assert store.work_images(since=BASE_TIME) == []
    assert store.shared_shingles([1], since=BASE_TIME) == {"x:2": 1, "x:3": 1}
    assert store.purge_before(BASE_TIME + timedelta(hours=101)) == 1
    assert set(store.works(["x:2", "x:3"])) == {"x:3"}
    assert store.shared_shingles([1], since=BASE_TIME) == {"x:3": 1}
