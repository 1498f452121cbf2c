"""The Mastodon collector through Mastodon.py against replayed Mastodon API responses."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import responses

from pipeline.core.config import OrgConfig, SourceConfig
from pipeline.sources import build_source
from pipeline.sources._secrets import Credentials
from pipeline.sources.mastodon import MastodonSource
from tests.unit.sources.conftest import NO_SLEEP, run, run_twice, stored_ids
from tests.unit.sources.mastodon_replay import (
    T0,
    MastodonReplay,
    account,
    image,
    local_id,
    status,
)

TOKEN = "mastodon-test-token-5f2b9c0e7a1d4e3f"


def small(config: OrgConfig,
          instances: tuple[str, ...] = ("https://mastodon.social",)) -> OrgConfig:
    cfg = config.model_copy(deep=True)
    cfg.organisation.aliases = []
    cfg.organisation.hashtags = []
    cfg.organisation.name = "QMUL"
    search = cfg.search["mastodon"]
    search.instances = list(instances)
    search.hashtags = ["QMUL"]
    search.terms = ["QMUL"]
    return cfg


def make(cfg: OrgConfig, *, token: str | None = None, sleeps: list[float] | None = None,
         on_rate_limit: str = "defer", kind: str = "search") -> MastodonSource:
    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    creds = Credentials({"access_token": token} if token else {}, source="mastodon")
    return MastodonSource(cfg, creds, page_size=20, sleep=sleep, kind=kind,  # type: ignore[arg-type]
                          on_rate_limit=on_rate_limit,  # type: ignore[arg-type]
                          now=lambda: T0 + timedelta(hours=1))


@pytest.fixture()
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_hashtag_timeline_pages_oldest_first_and_second_run_adds_nothing(
        config, sqlite_store, rsps):
    cfg = small(config)
    replay = MastodonReplay(rsps, "mastodon.social")
    replay.tagged["qmul"] = [status(n) for n in range(1, 46)]
    runs = run_twice(lambda: make(cfg), sqlite_store, cfg)
    assert runs.first.ok and runs.first.posts_read == 45
    assert runs.second.posts_read == 0 and runs.after_second == runs.after_first
    mins = [c[1]["min_id"] for c in replay.calls]
    assert mins[1] == local_id(20) and mins[2] == local_id(40)
    # The first run ends on an empty page (a short page is not the end), and the second run
    # starts where the first ended.
    assert mins[3] == local_id(45) and mins[4] == local_id(45) and len(replay.calls) == 5
    assert all("Authorization" not in c[2] for c in replay.calls)  # no token: anonymous


def test_statuses_are_normalised(config, sqlite_store, rsps):
    cfg = small(config)
    replay = MastodonReplay(rsps, "mastodon.social")
    suspended = account("troll@evil.example", account_id="109000000000000099",
                        suspended=True, fields=[], note="", display_name="")
    replay.tagged["qmul"] = [
        status(1, media_attachments=[image(1)], in_reply_to_id=local_id(0),
               in_reply_to_account_id="1"),
        status(2, content="<p>جامعة كوين ماري <a href=\"https://mastodon.social/tags/QMUL\">"
                          "#QMUL</a></p>", language="ar"),
        status(3, content="<p>伦敦玛丽女王大学 🎓🎉 #QMUL</p>", language=None, url=None,
               acct=suspended),
    ]
    summary = run(make(cfg), sqlite_store, cfg)
    assert summary.posts_read == 3 and not summary.skipped
    uri = f"https://mastodon.social/users/ana/statuses/{local_id(1)}"
    post = sqlite_store.get_post(f"mastodon:{uri}")
    assert post.text == "Seminar 1 at #QMUL\nsee you there"
    assert post.url == f"https://mastodon.social/@ana/{local_id(1)}"
    assert post.in_reply_to == local_id(0)
    assert post.media[0].url.endswith("/original/1.jpeg") and post.media[0].type == "image"
    assert post.media[0].model_extra["alt"] == "Poster for the seminar"
    author = post.author
    assert (author.handle, author.followers, author.verified) == ("ana@mastodon.social", 51, True)
    assert author.description == "Physics at Queen Mary"
    assert post.metrics == {"replies_count": 0, "reblogs_count": 1, "favourites_count": 1}
    assert post.model_extra["local_id"] == local_id(1)
    assert post.model_extra["tags"] == [{"name": "qmul", "url": "https://mastodon.social/tags/qmul"}]
    texts = {p.lang: p.text for p in map(sqlite_store.get_post, stored_ids(sqlite_store))}
    assert texts["ar"] == "جامعة كوين ماري #QMUL"
    assert texts[None] == "伦敦玛丽女王大学 🎓🎉 #QMUL"
    troll = [p for p in map(sqlite_store.get_post, stored_ids(sqlite_store)) if p.lang is None][0]
    assert troll.author.handle == "troll@evil.example"
    assert troll.author.model_extra["suspended"] is True and troll.author.display_name is None
    assert troll.url.startswith("https://mastodon.social/users/ana/") is False


def test_malformed_status_is_reported_and_skipped(config, sqlite_store, rsps):
    cfg = small(config)
    replay = MastodonReplay(rsps, "mastodon.social")
    broken = status(2)
    del broken["account"]
    replay.tagged["qmul"] = [status(1), broken, status(3)]
    summary = run(make(cfg), sqlite_store, cfg)
    assert summary.posts_read == 2 and len(summary.skipped) == 1
    assert local_id(2) in summary.skipped[0] and "account" in summary.skipped[0]


def test_crash_mid_run_resumes_without_skipping(config, sqlite_store, rsps):
    cfg = small(config)
    replay = MastodonReplay(rsps, "mastodon.social")
    replay.tagged["qmul"] = [status(n) for n in range(1, 46)]
    replay.faults = {n: (503, {}) for n in range(2, 6)}
    first = run(make(cfg), sqlite_store, cfg)
    assert first.posts_read == 20 and "gave up after 4 tries: HTTP 503" in first.errors[0]
    saved = json.loads(sqlite_store.get_checkpoint("mastodon"))
    assert saved == {"https://mastodon.social #QMUL": {"floor": local_id(20)}}
    second = run(make(cfg), sqlite_store, cfg)
    assert second.ok and second.posts_read == 25
    assert len(stored_ids(sqlite_store)) == 45


def test_server_error_then_success(config, sqlite_store, rsps):
    cfg = small(config)
    replay = MastodonReplay(rsps, "mastodon.social")
    replay.tagged["qmul"] = [status(1)]
    replay.faults = {1: (500, {}), 2: (504, {})}
    sleeps: list[float] = []
    summary = run(make(cfg, sleeps=sleeps), sqlite_store, cfg)
    assert summary.ok and summary.posts_read == 1 and len(sleeps) == 2


@pytest.mark.parametrize("mode", ["defer", "wait"])
def test_rate_limit_reset_header(config, sqlite_store, rsps, mode):
    cfg = small(config)
    replay = MastodonReplay(rsps, "mastodon.social")
    replay.tagged["qmul"] = [status(n) for n in range(1, 26)]
    from datetime import UTC, datetime

    reset = (datetime.now(UTC) + timedelta(seconds=300)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    replay.faults = {2: (429, {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                               "X-RateLimit-Reset": reset})}
    sleeps: list[float] = []
    summary = run(make(cfg, sleeps=sleeps, on_rate_limit=mode), sqlite_store, cfg)
    if mode == "defer":
        assert summary.posts_read == 20 and "rate limited (HTTP 429" in summary.errors[0]
        assert sleeps == [] and len(replay.calls) == 2
    else:
        assert summary.ok and summary.posts_read == 25
        assert len(sleeps) == 1 and 290 <= sleeps[0] <= 302


def test_token_goes_only_to_its_instance_and_never_into_errors(config, sqlite_store, rsps,
                                                               caplog):
    cfg = small(config, ("https://mastodon.social", "https://mastodon.ac.uk"))
    home = MastodonReplay(rsps, "mastodon.social")
    other = MastodonReplay(rsps, "mastodon.ac.uk")
    home.tagged["qmul"] = [status(1)]
    home.searchable = [status(2, content="<p>QMUL open day</p>")]
    other.tagged["qmul"] = [status(3, host="mastodon.ac.uk")]
    summary = run(make(cfg, token=TOKEN), sqlite_store, cfg)
    assert summary.ok and summary.posts_read == 3
    assert all(c[2].get("Authorization") == f"Bearer {TOKEN}" for c in home.calls)
    assert all("Authorization" not in c[2] for c in other.calls)
    search = [c for c in home.calls if c[0] == "/api/v2/search"][0]
    assert search[1]["q"] == "QMUL" and search[1]["type"] == "statuses"

    home.faults = {len(home.calls) + n: (401, {}) for n in range(1, 5)}
    caplog.set_level(logging.DEBUG)
    failed = run(make(cfg, token=TOKEN), sqlite_store, cfg)
    assert "request refused: HTTP 401" in failed.errors[0]
    assert TOKEN not in " ".join(failed.errors) and TOKEN not in caplog.text


def test_account_hygiene_collects_own_posts_and_replies(config, sqlite_store, rsps, monkeypatch):
    cfg = small(config)
    cfg.accounts = [a for a in cfg.accounts if a.handle == "qmul@mastodon.ac.uk"]
    replay = MastodonReplay(rsps, "mastodon.ac.uk")
    qmul = account("qmul", account_id="110000000000000001")
    own = [status(1, host="mastodon.ac.uk", acct=qmul, replies_count=1),
           status(2, host="mastodon.ac.uk", acct=qmul)]
    replay.by_account["110000000000000001"] = own
    replay.contexts[local_id(1)] = [status(5, in_reply_to_id=local_id(1),
                                           content="<p>Any news on the strike?</p>")]
    monkeypatch.delenv("CRESTWATCH_MASTODON_ACCESS_TOKEN", raising=False)
    source = build_source(cfg, SourceConfig(name="mastodon-hygiene", platform="mastodon",
                                            kind="hygiene"))
    assert isinstance(source, MastodonSource)
    source.sleep = NO_SLEEP
    source.now = lambda: T0 + timedelta(days=20)
    runs = run_twice(lambda: source, sqlite_store, cfg)
    assert runs.first.posts_read == 3 and runs.second.posts_read == 0
    assert runs.after_first == runs.after_second
    posts = [sqlite_store.get_post(i) for i in runs.after_first]
    assert {p.model_extra["hygiene_account"] for p in posts} == {"qmul@mastodon.ac.uk"}
    reply = [p for p in posts if p.text == "Any news on the strike?"][0]
    assert reply.in_reply_to == local_id(1) and reply.author.handle == "ana@mastodon.ac.uk"
    assert json.loads(sqlite_store.get_checkpoint("mastodon-hygiene")) == {
        "https://mastodon.ac.uk account:qmul@mastodon.ac.uk": {"floor": local_id(2)}}


def test_hygiene_reports_a_registered_account_that_is_gone(config, sqlite_store, rsps):
    cfg = small(config)
    cfg.accounts = [a.model_copy(update={"platform_id": None}) for a in cfg.accounts
                    if a.platform == "mastodon"]
    replay = MastodonReplay(rsps, "mastodon.ac.uk")  # lookup answers 404 for everyone
    source = make(cfg, kind="hygiene")
    summary = run(source, sqlite_store, cfg)
    assert summary.ok and summary.posts_read == 0
    assert [c[0] for c in replay.calls] == ["/api/v1/accounts/lookup"] * 2
    assert summary.skipped == [
        "mastodon:0: qmul@mastodon.ac.uk: registered account not found (404)",
        "mastodon:0: qmulcompsci@mastodon.ac.uk: registered account not found (404)"]


def test_search_second_run_resumes_from_its_floor(config, sqlite_store, rsps):
    """The second pass sends min_id, which Mastodon.py only allows once it knows the server
    version; the collector names one, and must still be allowed to use it."""
    cfg = small(config)
    cfg.search["mastodon"].hashtags = []
    replay = MastodonReplay(rsps, "mastodon.social")
    replay.searchable = [status(n, content=f"<p>QMUL open day {n}</p>") for n in range(1, 4)]
    runs = run_twice(lambda: make(cfg, token=TOKEN), sqlite_store, cfg)
    assert runs.first.ok and runs.second.ok, runs.second.errors
    assert runs.first.posts_read == 3 and runs.second.posts_read == 0
    searches = [c[1] for c in replay.calls if c[0] == "/api/v2/search"]
    assert "min_id" not in searches[0] and searches[-1]["min_id"] == local_id(3)


def test_hygiene_reports_a_thread_that_is_gone_and_reads_the_rest(config, sqlite_store, rsps):
    cfg = small(config)
    cfg.accounts = [a.model_copy(update={"platform_id": "110000000000000001"})
                    for a in cfg.accounts if a.handle == "qmul@mastodon.ac.uk"]
    replay = MastodonReplay(rsps, "mastodon.ac.uk")
    qmul = account("qmul", account_id="110000000000000001")
    replay.by_account["110000000000000001"] = [
        status(n, host="mastodon.ac.uk", acct=qmul, replies_count=1) for n in (1, 2)]
    replay.contexts[local_id(2)] = [status(5, in_reply_to_id=local_id(2))]
    replay.deleted.add(local_id(1))
    source = make(cfg, kind="hygiene")
    source.now = lambda: T0 + timedelta(days=20)
    summary = run(source, sqlite_store, cfg)
    assert summary.ok and summary.posts_read == 3
    gone = f"https://mastodon.ac.uk/users/qmul/statuses/{local_id(1)}"
    assert summary.skipped == [f"mastodon:0: {gone}: replies not read (HTTP 404)"]


def test_no_instance_lookup_before_each_hashtag_timeline(config, sqlite_store, rsps):
    """Mastodon.py asks /api/v2/instance before a hashtag timeline until an answer is cached;
    the collector needs none of it."""
    cfg = small(config, instances=("https://mastodon.social", "https://mastodon.ac.uk"))
    cfg.search["mastodon"].hashtags = ["QMUL", "QueenMary"]
    replays = [MastodonReplay(rsps, host) for host in ("mastodon.social", "mastodon.ac.uk")]
    for replay in replays:
        replay.tagged["qmul"] = [status(n) for n in range(1, 5)]
    assert run(make(cfg), sqlite_store, cfg).ok
    assert [r.instance_calls for r in replays] == [0, 0]
    # Per instance: #QMUL's page and the empty page after it, #QueenMary's empty page.
    assert [len(r.calls) for r in replays] == [3, 3]
