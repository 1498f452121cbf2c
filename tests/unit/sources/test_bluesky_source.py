"""The Bluesky collector through the real atproto client against replayed XRPC responses."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest
import respx

from pipeline.config import OrgConfig, SourceConfig
from pipeline.sources import build_source
from pipeline.sources._retry import Retrier
from pipeline.sources._secrets import Credentials
from pipeline.sources.bluesky import BlueskySource, classify
from tests.unit.sources.bluesky_replay import XRPC, BlueskyReplay, author, post_view
from tests.unit.sources.conftest import run, run_twice, stored_ids

PASSWORD = "abcd-efgh-ijkl-mnop"


def one_query(config: OrgConfig) -> OrgConfig:
    cfg = config.model_copy(deep=True)
    cfg.organisation.aliases = []
    cfg.organisation.hashtags = []
    cfg.organisation.name = "QMUL"
    cfg.search["bluesky"].terms = ["QMUL"]
    cfg.search["bluesky"].hashtags = []
    cfg.accounts = [a for a in cfg.accounts if a.platform != "bluesky"]
    return cfg


def make(cfg: OrgConfig, *, sleeps: list[float] | None = None, mode: str = "defer",
         page_size: int = 10) -> BlueskySource:
    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    creds = Credentials({"handle": "crestwatch.bsky.social", "app_password": PASSWORD},
                        source="bluesky")
    return BlueskySource(cfg, creds, page_size=page_size,
                         retrier=Retrier(classify, on_rate_limit=mode, sleep=sleep))  # type: ignore[arg-type]


@pytest.fixture()
def router():
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def test_pages_normalise_and_second_run_adds_nothing(config, sqlite_store, router):
    cfg = one_query(config)
    posts = [post_view(n) for n in range(1, 26)]
    replay = BlueskyReplay(router, posts)
    runs = run_twice(lambda: make(cfg), sqlite_store, cfg)
    assert runs.first.ok and runs.first.posts_read == 25
    assert len(runs.after_first) == 25 and runs.after_second == runs.after_first
    assert runs.second.posts_read == 1  # `since` is inclusive: the newest is read again
    assert replay.logins[0] == {"identifier": "crestwatch.bsky.social", "password": PASSWORD}
    assert all(a and a.startswith("Bearer ey") for a in replay.auth)
    assert [s.get("cursor") for s in replay.searches[:3]] == [None, "10", "20"]
    assert replay.searches[0]["sort"] == "latest" and replay.searches[0]["q"] == "QMUL"
    assert replay.searches[3]["since"] == "2026-11-20T09:25:00.000Z"


def test_post_fields_images_replies_quotes_and_non_latin(config, sqlite_store, router):
    cfg = one_query(config)
    gone = author("did:plc:gone0000000000000000000", "handle.invalid")
    img_view = {"$type": "app.bsky.embed.images#view", "images": [{
        "thumb": "https://cdn.bsky.app/img/feed_thumbnail/plain/did:plc:ana/bafkreiimg@jpeg",
        "fullsize": "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:ana/bafkreiimg@jpeg",
        "alt": "Campus poster", "aspectRatio": {"width": 4, "height": 3}}]}
    quoted = "at://did:plc:other/app.bsky.feed.post/3lquoted"
    first = post_view(1, reply={"root": {"uri": "at://did:plc:x/app.bsky.feed.post/3lroot",
                                         "cid": "bafyroot"},
                                "parent": {"uri": "at://did:plc:x/app.bsky.feed.post/3lpar",
                                           "cid": "bafypar"}})
    first["embed"] = {"$type": "app.bsky.embed.recordWithMedia#view", "media": img_view,
                      "record": {"$type": "app.bsky.embed.record#view", "record": {
                          "$type": "app.bsky.embed.record#viewRecord", "uri": quoted,
                          "cid": "bafyq", "author": author(), "value": {}, "indexedAt":
                          "2026-11-19T00:00:00.000Z"}}}
    blob_only = post_view(2, text="جامعة كوين ماري QMUL", langs=["ar"], embed={
        "$type": "app.bsky.embed.images", "images": [{"alt": "", "image": {
            "$type": "blob", "ref": {"$link": "bafkreiblob"}, "mimeType": "image/jpeg",
            "size": 1234}}]})
    bare = post_view(3, text="伦敦玛丽女王大学 QMUL 🎉", who=gone)
    del bare["record"]["langs"]
    for key in ("replyCount", "repostCount", "likeCount", "quoteCount"):
        del bare[key]
    BlueskyReplay(router, [first, blob_only, bare])
    summary = run(make(cfg), sqlite_store, cfg)
    assert summary.posts_read == 3 and not summary.skipped
    post = sqlite_store.get_post(f"bluesky:{first['uri']}")
    assert post.url == "https://bsky.app/profile/ana.bsky.social/post/3lbq000000001"
    assert post.in_reply_to == "at://did:plc:x/app.bsky.feed.post/3lpar"
    assert post.quoted == quoted
    assert post.media[0].url.endswith("feed_fullsize/plain/did:plc:ana/bafkreiimg@jpeg")
    assert post.author.description == "Maths at Queen Mary 🎓" and post.author.followers == 310
    arabic = sqlite_store.get_post(f"bluesky:{blob_only['uri']}")
    assert arabic.lang == "ar" and arabic.text.startswith("جامعة")
    assert arabic.media[0].url == ("https://cdn.bsky.app/img/feed_fullsize/plain/"
                                   "did:plc:ana000000000000000000/bafkreiblob@jpeg")
    orphan = sqlite_store.get_post(f"bluesky:{bare['uri']}")
    assert orphan.text == "伦敦玛丽女王大学 QMUL 🎉"
    assert orphan.lang is None and orphan.metrics == {}
    assert orphan.author.model_extra["profile_unavailable"] is True
    assert orphan.author.handle == "handle.invalid" and orphan.author.followers is None


def test_malformed_post_is_reported_and_skipped(config, sqlite_store, router):
    cfg = one_query(config)
    broken = post_view(2)
    del broken["record"]["createdAt"]
    BlueskyReplay(router, [post_view(1), broken, post_view(3)])
    summary = run(make(cfg), sqlite_store, cfg)
    assert summary.posts_read == 2 and len(summary.skipped) == 1
    assert broken["uri"] in summary.skipped[0] and "createdAt" in summary.skipped[0]


def test_crash_mid_pass_resumes_without_skipping(config, sqlite_store, router):
    cfg = one_query(config)
    replay = BlueskyReplay(router, [post_view(n) for n in range(1, 26)])
    replay.faults = {n: (502, {}) for n in range(2, 6)}
    first = run(make(cfg), sqlite_store, cfg)
    assert first.posts_read == 10 and "gave up after 4 tries: HTTP 502" in first.errors[0]
    (marks,) = json.loads(sqlite_store.get_checkpoint("bluesky")).values()
    assert marks == {"top": "2026-11-20T09:25:00.000Z", "resume": "2026-11-20T09:16:00.001Z"}
    second = run(make(cfg), sqlite_store, cfg)
    assert second.ok and len(stored_ids(sqlite_store)) == 25
    assert replay.searches[5]["until"] == "2026-11-20T09:16:00.001Z"
    (marks,) = json.loads(sqlite_store.get_checkpoint("bluesky")).values()
    assert marks == {"floor": "2026-11-20T09:25:00.000Z"}


def test_rate_limit_defers_with_reset_time(config, sqlite_store, router):
    cfg = one_query(config)
    replay = BlueskyReplay(router, [post_view(n) for n in range(1, 26)])
    reset = int(time.time()) + 300
    replay.faults = {2: (429, {"ratelimit-limit": "3000", "ratelimit-remaining": "0",
                               "ratelimit-reset": str(reset), "ratelimit-policy": "3000;w=300"})}
    summary = run(make(cfg), sqlite_store, cfg)
    assert summary.posts_read == 10 and "rate limited (HTTP 429" in summary.errors[0]
    assert len(replay.searches) == 2
    sleeps: list[float] = []
    replay.faults = {4: (429, {"ratelimit-reset": str(reset)})}
    waited = run(make(cfg, sleeps=sleeps, mode="wait"), sqlite_store, cfg)
    assert waited.ok and len(sleeps) == 1 and 290 <= sleeps[0] <= 302
    assert len(stored_ids(sqlite_store)) == 25


def test_password_never_in_errors_or_logs(config, sqlite_store, router, caplog, monkeypatch):
    cfg = one_query(config)
    router.post(f"{XRPC}/com.atproto.server.createSession").mock(return_value=httpx.Response(
        401, json={"error": "AuthenticationRequired", "message": "Invalid identifier or password"}))
    monkeypatch.setenv("CRESTWATCH_BLUESKY_HANDLE", "crestwatch.bsky.social")
    monkeypatch.setenv("CRESTWATCH_BLUESKY_APP_PASSWORD", PASSWORD)
    caplog.set_level(logging.DEBUG)
    source = build_source(cfg, SourceConfig(name="bluesky", platform="bluesky"))
    summary = run(source, sqlite_store, cfg)
    assert "request refused: HTTP 401" in summary.errors[0]
    assert PASSWORD not in " ".join(summary.errors) and PASSWORD not in caplog.text


def test_queries_cover_terms_hashtags_and_account_mentions(config):
    source = BlueskySource(config, Credentials({"handle": "h", "app_password": "p"}, source="b"))
    assert "#QMUL" in source.queries and "Queen Mary University" in source.queries
    assert "mentions:qmul.ac.uk" in source.queries
    assert "mentions:qmulcareers.bsky.social" in source.queries
