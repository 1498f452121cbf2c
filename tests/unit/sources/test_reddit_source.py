"""The Reddit collector through praw/prawcore against replayed Reddit API responses."""

from __future__ import annotations

import json
import logging

import prawcore
import pytest
import responses

from pipeline.config import OrgConfig, SourceConfig
from pipeline.sources import build_source
from pipeline.sources._retry import Retrier
from pipeline.sources._secrets import Credentials
from pipeline.sources.reddit import RedditSource, classify
from tests.unit.sources.conftest import run, run_twice, stored_ids
from tests.unit.sources.reddit_replay import T0, TOKEN_URL, RedditReplay, comment, submission

SECRET = "reddit-client-secret-9f8e7d6c5b4a"


def small(config: OrgConfig) -> OrgConfig:
    cfg = config.model_copy(deep=True)
    cfg.organisation.aliases = []
    cfg.organisation.hashtags = []
    cfg.organisation.name = "QMUL"
    cfg.search["reddit"].terms = ["QMUL"]
    cfg.search["reddit"].subreddits = ["QMUL", "london"]
    cfg.accounts = []
    return cfg


def make(cfg: OrgConfig, *, mode: str = "defer", sleeps: list[float] | None = None,
         page_size: int = 10) -> RedditSource:
    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    creds = Credentials({"client_id": "cw-client-id", "client_secret": SECRET,
                         "user_agent": "crestwatch-tests/0.1"}, source="reddit")
    return RedditSource(cfg, creds, page_size=page_size,
                        retrier=Retrier(classify, on_rate_limit=mode, sleep=sleep))  # type: ignore[arg-type]


@pytest.fixture()
def rsps(monkeypatch):
    # prawcore paces and retries with time.sleep; the replay answers at once.
    monkeypatch.setattr(prawcore.sessions.time, "sleep", lambda seconds: None)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_both_streams_page_and_second_run_adds_nothing(config, sqlite_store, rsps):
    cfg = small(config)
    things = [submission(n, sub="QMUL" if n % 2 else "london") for n in range(1, 16)]
    things += [submission(n, sub="UniUK") for n in range(16, 19)]
    replay = RedditReplay(rsps, things)
    runs = run_twice(lambda: make(cfg), sqlite_store, cfg)
    assert runs.first.ok and len(runs.after_first) == 18
    assert runs.second.posts_read == 0 and runs.after_second == runs.after_first
    paths = [p for p, _ in replay.searches]
    assert paths[:2] == ["/r/QMUL+london/search", "/r/QMUL+london/search"]
    assert replay.searches[0][1]["restrict_sr"] == "on" and replay.searches[0][1]["sort"] == "new"
    assert "restrict_sr" not in replay.searches[2][1] and paths[2] == "/search"
    assert replay.searches[1][1]["after"] == "t3_1g00006"
    assert replay.token_requests >= 1
    saved = json.loads(sqlite_store.get_checkpoint("reddit"))
    assert saved["all"] == {"floor": [T0 + 60 * 18, ["t3_1g00018"]]}
    assert saved["r/QMUL+london"] == {"floor": [T0 + 60 * 15, ["t3_1g00015"]]}


def test_posts_at_the_same_second_are_neither_skipped_nor_duplicated(config, sqlite_store, rsps):
    cfg = small(config)
    same = T0 + 600
    things = [submission(1, created=same), submission(2, created=same)]
    replay = RedditReplay(rsps, things)
    run(make(cfg), sqlite_store, cfg)
    assert json.loads(sqlite_store.get_checkpoint("reddit"))["all"] == {
        "floor": [same, ["t3_1g00001", "t3_1g00002"]]}
    things.append(submission(3, created=same))  # indexed late, same second
    second = run(make(cfg), sqlite_store, cfg)
    assert second.posts_read == 2  # the new one, found by each stream
    assert len(stored_ids(sqlite_store)) == 3
    assert len(replay.searches) == 4


def test_fields_comments_media_deleted_authors_and_non_latin(config, sqlite_store, rsps):
    cfg = small(config)
    things = [
        submission(1, num_comments=2, title="كلية كوين ماري QMUL", selftext="مرحبا 👋"),
        submission(2, author=None, title="伦敦玛丽女王大学 QMUL", selftext="",
                   post_hint="image", url="https://i.redd.it/abc123.jpeg", is_self=False),
        submission(3, is_gallery=True, media_metadata={
            "x1": {"status": "valid", "e": "Image", "m": "image/jpg",
                   "s": {"y": 600, "x": 800, "u": "https://preview.redd.it/x1.jpg?width=800"}}},
            crosspost_parent="t3_1f99999"),
    ]
    replay = RedditReplay(rsps, things)
    replay.comments["1g00001"] = [
        comment("m01", "t3_1g00001", "t3_1g00001", "Yes, it's fine", n=1),
        comment("m02", "t3_1g00001", "t3_1g00001", "[removed]", n=2),
    ]
    summary = run(make(cfg), sqlite_store, cfg)
    assert summary.ok and not summary.skipped
    assert len(stored_ids(sqlite_store)) == 5
    first = sqlite_store.get_post("reddit:t3_1g00001")
    assert first.text == "كلية كوين ماري QMUL\n\nمرحبا 👋"
    assert first.url == "https://www.reddit.com/r/QMUL/comments/1g00001/question_1/"
    assert first.author.handle == "ana_student" and first.author.id == "t2_ana01"
    assert first.model_extra["subreddit"] == "QMUL" and first.metrics["num_comments"] == 2
    assert first.created_at.timestamp() == T0 + 60
    reply = sqlite_store.get_post("reddit:t1_m01")
    assert reply.text == "Yes, it's fine" and reply.in_reply_to == "t3_1g00001"
    assert reply.model_extra["link_id"] == "t3_1g00001"
    image = sqlite_store.get_post("reddit:t3_1g00002")
    assert image.author.handle == "[deleted]" and image.author.model_extra["unavailable"]
    assert [m.url for m in image.media] == ["https://i.redd.it/abc123.jpeg"]
    assert image.text == "伦敦玛丽女王大学 QMUL"
    gallery = sqlite_store.get_post("reddit:t3_1g00003")
    assert [m.url for m in gallery.media] == ["https://preview.redd.it/x1.jpg?width=800"]
    assert gallery.quoted == "t3_1f99999"


def test_malformed_submission_is_reported_and_skipped(config, sqlite_store, rsps):
    cfg = small(config)
    broken = submission(2)
    broken["data"]["created_utc"] = "yesterday"
    RedditReplay(rsps, [submission(1), broken])
    summary = run(make(cfg), sqlite_store, cfg)
    assert len(stored_ids(sqlite_store)) == 1
    assert summary.skipped and "t3_1g00002" in summary.skipped[0]


def test_crash_mid_pass_resumes_without_skipping(config, sqlite_store, rsps):
    cfg = small(config)
    cfg.search["reddit"].subreddits = []
    replay = RedditReplay(rsps, [submission(n) for n in range(1, 26)])
    # Page 2 fails every time: prawcore's three tries times the collector's four.
    replay.faults = {n: (503, {}) for n in range(2, 14)}
    first = run(make(cfg), sqlite_store, cfg)
    assert len(stored_ids(sqlite_store)) == 10
    assert "gave up after 4 tries: HTTP 503" in first.errors[0]
    marks = json.loads(sqlite_store.get_checkpoint("reddit"))["all"]
    assert marks == {"top": [T0 + 60 * 25, ["t3_1g00025"]], "resume": "t3_1g00016"}
    second = run(make(cfg), sqlite_store, cfg)
    assert second.ok and len(stored_ids(sqlite_store)) == 25
    assert json.loads(sqlite_store.get_checkpoint("reddit"))["all"] == {
        "floor": [T0 + 60 * 25, ["t3_1g00025"]]}


def test_rate_limit_defer_and_wait(config, sqlite_store, rsps):
    cfg = small(config)
    cfg.search["reddit"].subreddits = []
    replay = RedditReplay(rsps, [submission(n) for n in range(1, 16)])
    replay.faults = {2: (429, {"x-ratelimit-remaining": "0", "x-ratelimit-used": "100",
                               "x-ratelimit-reset": "240"})}
    deferred = run(make(cfg), sqlite_store, cfg)
    assert "rate limited (HTTP 429" in deferred.errors[0] and len(replay.searches) == 2
    sleeps: list[float] = []
    replay.faults = {3: (429, {"x-ratelimit-reset": "120"})}
    waited = run(make(cfg, mode="wait", sleeps=sleeps), sqlite_store, cfg)
    assert waited.ok and len(stored_ids(sqlite_store)) == 15
    assert len(sleeps) == 1 and 115 <= sleeps[0] <= 122


def test_secret_never_in_errors_or_logs(config, sqlite_store, rsps, caplog, monkeypatch):
    cfg = small(config)
    rsps.add(responses.POST, TOKEN_URL, status=401, json={"message": "Unauthorized",
                                                          "error": 401})
    for key, value in (("CLIENT_ID", "cw-client-id"), ("CLIENT_SECRET", SECRET),
                       ("USER_AGENT", "crestwatch-tests/0.1")):
        monkeypatch.setenv(f"CRESTWATCH_REDDIT_{key}", value)
    caplog.set_level(logging.DEBUG)
    source = build_source(cfg, SourceConfig(name="reddit", platform="reddit"))
    summary = run(source, sqlite_store, cfg)
    assert summary.errors and "HTTP 401" in summary.errors[0]
    assert SECRET not in " ".join(summary.errors) and SECRET not in caplog.text
