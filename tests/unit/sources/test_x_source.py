"""The X collector through tweepy's real Client against replayed API v2 search responses."""

from __future__ import annotations

import json
import logging
import time

import pytest
import responses

from pipeline.core.config import OrgConfig, SourceConfig
from pipeline.sources import build_source
from pipeline.sources._queries import X_QUERY_LIMIT, x_hygiene_queries, x_search_queries
from pipeline.sources._retry import Retrier
from pipeline.sources._secrets import Credentials
from pipeline.sources.x import XSource, classify
from tests.unit.sources.conftest import NO_SLEEP, run, run_twice, stored_ids
from tests.unit.sources.x_replay import BASE_ID, XSearchReplay, tweet, user

TOKEN = "AAAAAAAAAAAAAAAAAAAAAxTestBearerTokenValue0123456789"


def one_query(config: OrgConfig) -> OrgConfig:
    """The example config with search words that fit one X query, for simple paging tests."""
    cfg = config.model_copy(deep=True)
    cfg.organisation.aliases = []
    cfg.organisation.hashtags = []
    cfg.accounts = [a for a in cfg.accounts if a.platform == "x"][:1]
    return cfg


def make(config: OrgConfig, *, on_rate_limit: str = "defer", sleeps: list[float] | None = None,
         **kwargs: object) -> XSource:
    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    retrier = Retrier(classify, on_rate_limit=on_rate_limit, sleep=sleep)  # type: ignore[arg-type]
    return XSource(config, Credentials({"bearer_token": TOKEN}, source="x"), retrier=retrier,
                   page_size=10, **kwargs)  # type: ignore[arg-type]


@pytest.fixture()
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_pages_normalises_and_second_run_adds_nothing(config, sqlite_store, rsps):
    cfg = one_query(config)
    tweets = [tweet(n) for n in range(1, 26)]
    tweets[0] = tweet(1, attachments={"media_keys": ["3_1", "7_2"]},
                      referenced_tweets=[{"type": "replied_to", "id": "1859"},
                                         {"type": "quoted", "id": "1858"}])
    replay = XSearchReplay(rsps, tweets, media=[
        {"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/a.jpg"},
        {"media_key": "7_2", "type": "video",
         "preview_image_url": "https://pbs.twimg.com/ext_tw_video_thumb/b.jpg"},
    ])
    runs = run_twice(lambda: make(cfg), sqlite_store, cfg)
    assert runs.first.posts_read == 25 and runs.first.ok
    assert len(replay.calls) == 4  # three pages, then one empty pass on the second run
    assert replay.calls[1]["next_token"] == "tok10"
    assert replay.calls[3]["since_id"] == str(BASE_ID + 25)
    assert runs.second.posts_read == 0 and runs.after_second == runs.after_first
    assert len(runs.after_first) == 25

    post = sqlite_store.get_post(f"x:{BASE_ID + 1}")
    assert post.url == f"https://x.com/student_ana/status/{BASE_ID + 1}"
    assert post.author.handle == "student_ana" and post.author.followers == 120
    assert post.author.description == "Physics at Queen Mary"
    assert [m.url for m in post.media] == ["https://pbs.twimg.com/media/a.jpg",
                                          "https://pbs.twimg.com/ext_tw_video_thumb/b.jpg"]
    assert [m.type for m in post.media] == ["image", "video"]
    assert (post.in_reply_to, post.quoted) == ("1859", "1858")
    assert post.metrics["like_count"] == 1
    extra = post.model_extra
    assert extra["conversation_id"] == str(BASE_ID + 1)
    assert extra["edit_history_tweet_ids"] == [str(BASE_ID + 1)]
    assert extra["mentions_registry"] == ["QMUL"]
    query = replay.calls[0]
    assert "author_id" in query["expansions"] and "public_metrics" in query["user.fields"]
    assert query["query"].endswith("-is:retweet lang:en")


def test_deleted_author_missing_fields_and_non_latin_text(config, sqlite_store, rsps):
    cfg = one_query(config)
    bare = {"id": str(BASE_ID + 3), "text": "🎓 Queen Mary 🎉", "author_id": "777",
            "created_at": "2026-11-20T10:00:00.000Z"}
    XSearchReplay(rsps, [
        tweet(1, text="جامعة كوين ماري في لندن #QMUL", lang="ar"),
        tweet(2, text="伦敦玛丽女王大学 QMUL 开学了", lang="zh"),
        bare,
    ], users=[user()], errors=[{
        "value": "777", "detail": "Could not find user with id: [777].",
        "title": "Not Found Error", "resource_type": "user", "parameter": "id",
        "resource_id": "777", "type": "https://api.twitter.com/2/problems/resource-not-found"}])
    summary = run(make(cfg), sqlite_store, cfg)
    assert summary.posts_read == 3 and not summary.skipped
    arabic = sqlite_store.get_post(f"x:{BASE_ID + 1}")
    assert arabic.text.startswith("جامعة") and arabic.lang == "ar"
    assert sqlite_store.get_post(f"x:{BASE_ID + 2}").text == "伦敦玛丽女王大学 QMUL 开学了"
    orphan = sqlite_store.get_post(f"x:{BASE_ID + 3}")
    assert orphan.text == "🎓 Queen Mary 🎉" and orphan.lang is None and orphan.media == []
    assert orphan.author.handle == "777" and orphan.author.model_extra["unavailable"] is True
    assert orphan.url == f"https://x.com/i/web/status/{BASE_ID + 3}"


def test_malformed_tweet_is_reported_and_skipped(config, sqlite_store, rsps):
    cfg = one_query(config)
    broken = tweet(2)
    del broken["created_at"]
    odd_id = tweet(4, id="not-a-snowflake")  # stored, but never used as a checkpoint mark
    replay = XSearchReplay(rsps, [tweet(1), broken, tweet(3)])
    replay.tweets.append(odd_id)
    summary = run(make(cfg), sqlite_store, cfg)
    assert summary.posts_read == 3
    assert len(summary.skipped) == 1
    assert str(BASE_ID + 2) in summary.skipped[0] and "created_at" in summary.skipped[0]
    assert len(stored_ids(sqlite_store)) == 3
    (marks,) = json.loads(sqlite_store.get_checkpoint("x")).values()
    assert marks == {"floor": str(BASE_ID + 3)}


def test_crash_mid_pass_resumes_without_skipping(config, sqlite_store, rsps):
    cfg = one_query(config)
    tweets = [tweet(n) for n in range(1, 31)]
    replay = XSearchReplay(rsps, tweets)
    # Page 2 keeps failing: the first run stores page 1 and stops.
    replay.faults = {n: (503, {}) for n in range(2, 6)}
    first = run(make(cfg), sqlite_store, cfg)
    assert first.posts_read == 10
    assert "gave up after 4 tries: HTTP 503" in first.errors[0]
    saved = json.loads(sqlite_store.get_checkpoint("x"))
    (stream,) = saved.values()
    assert stream == {"top": str(BASE_ID + 30), "resume": str(BASE_ID + 21)}
    # New posts arrive before the next run; it finishes the old pass first, then moves on.
    tweets += [tweet(31), tweet(32)]
    second = run(make(cfg), sqlite_store, cfg)
    assert second.ok and second.posts_read == 20
    assert replay.calls[5]["until_id"] == str(BASE_ID + 21) and "since_id" not in replay.calls[5]
    third = run(make(cfg), sqlite_store, cfg)
    assert third.posts_read == 2
    assert len(stored_ids(sqlite_store)) == 32
    (stream,) = json.loads(sqlite_store.get_checkpoint("x")).values()
    assert stream == {"floor": str(BASE_ID + 32)}


def test_server_error_then_success_is_retried_with_backoff(config, sqlite_store, rsps):
    cfg = one_query(config)
    replay = XSearchReplay(rsps, [tweet(1), tweet(2)])
    replay.faults = {1: (500, {}), 2: (502, {})}
    sleeps: list[float] = []
    summary = run(make(cfg, sleeps=sleeps), sqlite_store, cfg)
    assert summary.ok and summary.posts_read == 2
    assert len(sleeps) == 2 and all(0 <= s <= 30 for s in sleeps)


def test_rate_limit_defer_stops_cleanly_and_keeps_checkpoint(config, sqlite_store, rsps):
    cfg = one_query(config)
    replay = XSearchReplay(rsps, [tweet(n) for n in range(1, 16)])
    reset = int(time.time()) + 600
    replay.faults = {2: (429, {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                               "x-rate-limit-reset": str(reset)})}
    summary = run(make(cfg), sqlite_store, cfg)
    assert summary.posts_read == 10
    assert "rate limited (HTTP 429" in summary.errors[0] and "next run" in summary.errors[0]
    assert len(replay.calls) == 2  # deferred, not retried
    assert "resume" in next(iter(json.loads(sqlite_store.get_checkpoint("x")).values()))


def test_rate_limit_wait_sleeps_until_reset(config, sqlite_store, rsps):
    cfg = one_query(config)
    replay = XSearchReplay(rsps, [tweet(1)])
    reset = int(time.time()) + 120
    replay.faults = {1: (429, {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)})}
    sleeps: list[float] = []
    summary = run(make(cfg, on_rate_limit="wait", sleeps=sleeps), sqlite_store, cfg)
    assert summary.ok and summary.posts_read == 1
    assert len(sleeps) == 1 and 110 <= sleeps[0] <= 122


def test_token_never_in_errors_or_logs(config, sqlite_store, rsps, caplog):
    cfg = one_query(config)
    rsps.add(responses.GET, "https://api.twitter.com/2/tweets/search/recent", status=401,
             json={"title": "Unauthorized", "type": "about:blank", "status": 401,
                   "detail": "Unauthorized"})
    caplog.set_level(logging.DEBUG)
    summary = run(make(cfg), sqlite_store, cfg)
    assert summary.errors and "HTTP 401" in summary.errors[0]
    assert TOKEN not in " ".join(summary.errors)
    assert TOKEN not in caplog.text
    assert "Bearer <withheld>" in caplog.text  # tweepy's own debug line, redacted
    with pytest.raises(Exception) as info:
        make(cfg).retrier.call(lambda: make(cfg).client.search_recent_tweets("QMUL"))
    assert TOKEN not in str(info.value) and "HTTP 401" in str(info.value)


def test_queries_respect_the_length_limit_and_cover_every_word(config):
    cfg = config.model_copy(deep=True)
    cfg.search["x"].terms += [f"Queen Mary research group number {n}" for n in range(40)]
    queries = x_search_queries(cfg)
    assert len(queries) > 1
    assert all(len(q) <= X_QUERY_LIMIT and q.endswith("-is:retweet lang:en") for q in queries)
    joined = " ".join(queries)
    for word in ['"Queen Mary University"', "#QMUL", "#QueenMary", "@QMULNews",
                 '"Queen Mary research group number 39"', "QMUL"]:
        assert word in joined
    assert " QM " not in f" {joined} "  # too short to search alone
    assert x_hygiene_queries(cfg) == [
        "(from:QMUL OR to:QMUL OR from:QMULNews OR to:QMULNews OR from:QMULSU OR to:QMULSU "
        "OR from:QMULLibrary OR to:QMULLibrary)"]


def test_hygiene_source_marks_posts_and_uses_its_own_checkpoint(config, sqlite_store, rsps,
                                                               monkeypatch):
    cfg = one_query(config)
    replay = XSearchReplay(rsps, [tweet(1, author="19094651"), tweet(2)],
                           users=[user(), user("19094651", "QMUL")])
    monkeypatch.setenv("CRESTWATCH_X_BEARER_TOKEN", TOKEN)
    spec = SourceConfig(name="x-hygiene", platform="x", kind="hygiene")
    source = build_source(cfg, spec)
    assert isinstance(source, XSource)
    source.retrier.sleep = NO_SLEEP
    summary = run(source, sqlite_store, cfg)
    assert summary.posts_read == 2
    assert replay.calls[0]["query"] == "(from:QMUL OR to:QMUL)"
    post = sqlite_store.get_post(f"x:{BASE_ID + 1}")
    assert post.model_extra["collected_for"] == "account_hygiene"
    assert post.author.handle == "QMUL"
    assert sqlite_store.get_checkpoint("x-hygiene") and sqlite_store.get_checkpoint("x") is None


def test_missing_credentials_name_the_variable_not_a_value(config, monkeypatch):
    monkeypatch.delenv("CRESTWATCH_X_BEARER_TOKEN", raising=False)
    with pytest.raises(ValueError, match="bearer_token"):
        build_source(config, SourceConfig(name="x", platform="x"))
    source = build_source(config, SourceConfig(name="x", platform="x"),
                          credentials={"password": TOKEN})
    assert isinstance(source, XSource) and TOKEN not in repr(vars(source))


def test_page_cap_applies_per_query_and_the_rest_waits(config, sqlite_store, rsps):
    cfg = one_query(config)
    cfg.search["x"].terms += [f"Queen Mary research group number {n}" for n in range(15)]
    queries = x_search_queries(cfg)
    assert len(queries) == 2
    replay = XSearchReplay(rsps, [tweet(n) for n in range(1, 16)])
    first = run(make(cfg, max_pages=1), sqlite_store, cfg)
    assert first.ok and first.posts_read == 20  # one page from each query
    assert [c["query"] for c in replay.calls] == queries
    marks = json.loads(sqlite_store.get_checkpoint("x"))
    assert all(m == {"top": str(BASE_ID + 15), "resume": str(BASE_ID + 6)}
               for m in marks.values())
    second = run(make(cfg, max_pages=1), sqlite_store, cfg)
    assert second.posts_read == 10 and len(stored_ids(sqlite_store)) == 15
    marks = json.loads(sqlite_store.get_checkpoint("x"))
    assert all(m == {"floor": str(BASE_ID + 15)} for m in marks.values())
