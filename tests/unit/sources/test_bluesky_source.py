"""The Bluesky collector through the real atproto client against replayed XRPC responses."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest
import respx

from pipeline.core.config import OrgConfig, SourceConfig
from pipeline.sources import build_source
from pipeline.sources._retry import Retrier
from pipeline.sources._secrets import Credentials
from pipeline.sources.bluesky import BlueskySource, classify
from tests.unit.sources.bluesky_replay import (
    XRPC,
    BlueskyReplay,
    author,
    feed_item,
    post_view,
    profile,
)
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
         page_size: int = 10, kind: str = "search") -> BlueskySource:
    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    creds = Credentials({"handle": "crestwatch.bsky.social", "app_password": PASSWORD},
                        source="bluesky")
    return BlueskySource(cfg, creds, page_size=page_size, kind=kind,  # type: ignore[arg-type]
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


QMUL_DID = "did:plc:qmulofficial0000000000"


def hygiene_config(config: OrgConfig) -> OrgConfig:
    cfg = one_query(config)
    registered = [a for a in config.accounts if a.platform == "bluesky"]
    # The careers account comes first and is gone: the official one is still read after it.
    cfg.accounts = sorted(registered, key=lambda a: a.handle != "qmulcareers.bsky.social")
    return cfg


def own_feed(replay: BlueskyReplay) -> list[dict]:
    qmul = author(QMUL_DID, "qmul.ac.uk")
    own = [post_view(n, who=qmul, text=f"Term notice {n}") for n in range(1, 8)]
    own[0]["replyCount"] = 1
    broken = own[3]
    del broken["record"]["createdAt"]  # malformed: reported and skipped
    reshared = post_view(30, text="Someone else's post, reposted")
    replay.feeds[QMUL_DID] = [feed_item(v) for v in own] + [
        feed_item(reshared, repost_by=qmul)]
    reply = post_view(20, text="Is the library open on Sunday?", reply={
        "root": {"uri": own[0]["uri"], "cid": own[0]["cid"]},
        "parent": {"uri": own[0]["uri"], "cid": own[0]["cid"]}})
    nested = post_view(21, who=qmul, text="Yes, 10 to 6", reply={
        "root": {"uri": own[0]["uri"], "cid": own[0]["cid"]},
        "parent": {"uri": reply["uri"], "cid": reply["cid"]}})
    replay.threads = {own[0]["uri"]: [reply], reply["uri"]: [nested]}
    replay.profiles = [profile(), profile(QMUL_DID, "qmul.ac.uk")]
    return own


def test_account_hygiene_reads_own_posts_and_replies_and_second_run_adds_nothing(
        config, sqlite_store, router, monkeypatch):
    cfg = hygiene_config(config)
    replay = BlueskyReplay(router, [])
    own = own_feed(replay)
    monkeypatch.setenv("CRESTWATCH_BLUESKY_HANDLE", "crestwatch.bsky.social")
    monkeypatch.setenv("CRESTWATCH_BLUESKY_APP_PASSWORD", PASSWORD)
    built = build_source(cfg, SourceConfig(name="bluesky-hygiene", platform="bluesky",
                                           kind="hygiene"))
    assert isinstance(built, BlueskySource) and built.kind == "hygiene"
    runs = run_twice(lambda: make(cfg, kind="hygiene", page_size=3), sqlite_store, cfg)
    # 6 well-formed own posts + a reply and the account's answer to it; no repost.
    assert runs.first.posts_read == 8 and len(runs.after_first) == 8
    assert runs.second.posts_read == 0 and runs.after_second == runs.after_first
    assert runs.first.ok
    assert runs.first.skipped[0] == ("bluesky:0: qmulcareers.bsky.social: registered account "
                                     "not available (HTTP 400 InvalidRequest)")
    assert "malformed item skipped" in runs.first.skipped[1] and own[3]["uri"] in \
        runs.first.skipped[1]
    posts = [sqlite_store.get_post(i) for i in runs.after_first]
    assert {p.model_extra["collected_for"] for p in posts} == {"account_hygiene"}
    assert {p.model_extra["hygiene_account"] for p in posts} == {"qmul.ac.uk"}
    assert all("reposted" not in p.text for p in posts)
    reply = next(p for p in posts if p.text == "Is the library open on Sunday?")
    assert reply.in_reply_to == own[0]["uri"] and reply.author.handle == "ana.bsky.social"
    assert reply.author.followers == 310  # completed with getProfiles
    qmul_calls = [c for c in replay.feed_calls if c["actor"] == QMUL_DID]
    assert [c.get("cursor") for c in qmul_calls] == [None, "3", "6", None]
    assert qmul_calls[0]["filter"] == "posts_with_replies"
    assert replay.thread_calls == [own[0]["uri"]]  # only the post that has replies
    saved = json.loads(sqlite_store.get_checkpoint("bluesky"))
    assert saved == {"author:qmul.ac.uk": {"floor": ["2026-11-20T09:07:00.000Z",
                                                     [own[6]["uri"]]]}}


def test_hygiene_rate_limit_defers_and_the_next_run_resumes(config, sqlite_store, router):
    cfg = hygiene_config(config)
    cfg.accounts = [a for a in cfg.accounts if a.handle == "qmul.ac.uk"]
    replay = BlueskyReplay(router, [])
    own_feed(replay)
    replay.feed_faults = {2: (429, {"ratelimit-reset": str(int(time.time()) + 600)})}
    first = run(make(cfg, kind="hygiene", page_size=3), sqlite_store, cfg)
    assert not first.ok and "rate limited (HTTP 429" in first.errors[0]
    assert first.posts_read == 2  # the first page: the newest three, one of them a repost
    saved = json.loads(sqlite_store.get_checkpoint("bluesky"))
    assert saved["author:qmul.ac.uk"]["resume"] == "3"
    rest = run(make(cfg, kind="hygiene", page_size=3), sqlite_store, cfg)
    assert rest.ok and len(stored_ids(sqlite_store)) == 8


def test_created_at_without_a_time_zone_is_stored_as_utc(config, sqlite_store, router):
    cfg = one_query(config)
    naive = post_view(1, text="QMUL open day")
    naive["record"]["createdAt"] = "2026-11-20T09:01:00.000"
    BlueskyReplay(router, [naive, post_view(2, text="QMUL library")])
    summary = run(make(cfg), sqlite_store, cfg)
    assert summary.ok and not summary.skipped
    post = sqlite_store.get_post(f"bluesky:{naive['uri']}")
    assert post.created_at.isoformat() == "2026-11-20T09:01:00+00:00"


def test_short_pages_with_a_cursor_are_read_to_the_end(config, sqlite_store, router):
    """The AppView sends fewer posts than asked for (moderation, deletions) and a cursor: only
    the missing cursor ends the pass, so the oldest posts are read in the same run."""
    cfg = one_query(config)
    replay = BlueskyReplay(router, [post_view(n, text=f"QMUL {n}") for n in range(1, 24)])
    source = make(cfg, page_size=10)
    real = replay._search

    def fewer(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        params["limit"] = "7"
        return real(httpx.Request("GET", request.url.copy_with(params=params)))

    router.get(f"{XRPC}/app.bsky.feed.searchPosts").mock(side_effect=fewer)
    runs = run_twice(lambda: source, sqlite_store, cfg)
    assert runs.first.ok and len(runs.after_first) == 23
    assert [s.get("cursor") for s in replay.searches[:4]] == [None, "7", "14", "21"]
    assert runs.after_second == runs.after_first
