"""The Reddit collector through praw/prawcore against replayed Reddit API responses."""

from __future__ import annotations

import json
import logging

import prawcore
import pytest
import responses

from pipeline.core.config import OrgConfig, SourceConfig
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
         page_size: int = 10, kind: str = "search") -> RedditSource:
    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    creds = Credentials({"client_id": "cw-client-id", "client_secret": SECRET,
                         "user_agent": "crestwatch-tests/0.1"}, source="reddit")
    return RedditSource(cfg, creds, page_size=page_size, kind=kind,  # type: ignore[arg-type]
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


def hygiene_config(config: OrgConfig) -> OrgConfig:
    cfg = small(config)
    official = next(a for a in config.accounts if a.platform == "reddit")
    # A registered account that no longer exists comes first: the next one is still read.
    cfg.accounts = [official.model_copy(update={"handle": "u/QMUL_Gone"}), official]
    return cfg


def own_posts(replay: RedditReplay) -> None:
    mine = [submission(n, author="QMUL_Official") for n in range(1, 8)]
    mine[0]["data"]["num_comments"] = 1
    replay.things = mine
    replay.comments["1g00001"] = [comment("r01", "t3_1g00001", "t3_1g00001", "When is it?")]
    own = [comment(f"o0{n}", "t3_9zother", "t3_9zother", f"Thanks, we will look into it {n}",
                   n=600 + n, author="QMUL_Official") for n in range(1, 4)]
    replay.users["QMUL_Official"] = mine + own
    replay.replies["o01"] = [
        comment("r02", "t1_o01", "t3_9zother", "You said that last term", n=700,
                replies={"kind": "Listing", "data": {"children": [comment(
                    "r03", "t1_r02", "t3_9zother", "Agreed", n=701)]}})]


def test_account_hygiene_reads_own_posts_and_replies_and_second_run_adds_nothing(
        config, sqlite_store, rsps, monkeypatch):
    cfg = hygiene_config(config)
    replay = RedditReplay(rsps, [])
    own_posts(replay)
    for key, value in {"CLIENT_ID": "cw-client-id", "CLIENT_SECRET": SECRET,
                       "USER_AGENT": "crestwatch-tests/0.1"}.items():
        monkeypatch.setenv(f"CRESTWATCH_REDDIT_{key}", value)
    built = build_source(cfg, SourceConfig(name="reddit-hygiene", platform="reddit",
                                           kind="hygiene"))
    assert isinstance(built, RedditSource) and built.kind == "hygiene"
    runs = run_twice(lambda: make(cfg, kind="hygiene", page_size=3), sqlite_store, cfg)
    # 7 own submissions + 1 comment on them, 3 own comments + a reply and a reply to it.
    assert runs.first.posts_read == 13 and len(runs.after_first) == 13
    assert runs.second.posts_read == 0 and runs.after_second == runs.after_first
    assert runs.first.skipped == ["reddit:0: u/QMUL_Gone: registered account not found (404)"]
    assert runs.first.ok
    posts = [sqlite_store.get_post(i) for i in runs.after_first]
    assert {p.model_extra["collected_for"] for p in posts} == {"account_hygiene"}
    assert {p.model_extra["hygiene_account"] for p in posts} == {"QMUL_Official"}
    reply = sqlite_store.get_post("reddit:t1_r03")
    assert reply.in_reply_to == "t1_r02" and reply.author.handle == "bob_reply"
    submitted = [params for path, params in replay.user_calls
                 if path == "/user/QMUL_Official/submitted"]
    assert [c.get("after") for c in submitted[:3]] == [None, "t3_1g00005", "t3_1g00002"]
    assert submitted[0]["sort"] == "new" and "q" not in submitted[0]
    saved = json.loads(sqlite_store.get_checkpoint("reddit"))
    assert saved["u/QMUL_Official submitted"] == {"floor": [T0 + 60 * 7, ["t3_1g00007"]]}
    assert saved["u/QMUL_Official comments"] == {"floor": [T0 + 3600 + 603, ["t1_o03"]]}
    assert SECRET not in json.dumps(saved)


def test_hygiene_skips_a_malformed_item_and_resumes_an_unfinished_pass(
        config, sqlite_store, rsps):
    cfg = hygiene_config(config)
    cfg.accounts = cfg.accounts[1:]
    replay = RedditReplay(rsps, [])
    own_posts(replay)
    replay.users["QMUL_Official"].append(submission(9, author="QMUL_Official", permalink=None,
                                                    created_utc="yesterday"))
    # The first run stops after one page per listing (as a crash would): marks to resume from.
    cut = make(cfg, kind="hygiene", page_size=3)
    cut.max_pages = 1
    first = run(cut, sqlite_store, cfg)
    assert first.ok and first.posts_read == 3 + 3 + 2  # 3 submissions; 3 comments, 2 replies
    saved = json.loads(sqlite_store.get_checkpoint("reddit"))
    assert saved["u/QMUL_Official submitted"]["resume"] == "t3_1g00005"
    rest = run(make(cfg, kind="hygiene", page_size=3), sqlite_store, cfg)
    assert rest.posts_read == 5  # submissions 4..1 and the comment on 1; nothing skipped
    assert len(rest.skipped) == 1 and "t3_1g00009" in rest.skipped[0]
    assert "malformed item skipped" in rest.skipped[0]
    assert len(stored_ids(sqlite_store)) == 13
    assert run(make(cfg, kind="hygiene", page_size=3), sqlite_store, cfg).posts_read == 0


def test_hygiene_rate_limit_defers_the_rest(config, sqlite_store, rsps):
    cfg = hygiene_config(config)
    cfg.accounts = cfg.accounts[1:]
    replay = RedditReplay(rsps, [])
    own_posts(replay)
    calls = []
    rsps.add_callback(responses.GET, "https://oauth.reddit.com/user/QMUL_Official/comments",
                      callback=lambda request: calls.append(request) or (
                          429, {"x-ratelimit-reset": "120"}, "{}"))
    summary = run(make(cfg, kind="hygiene", page_size=3), sqlite_store, cfg)
    assert not summary.ok and "rate limited (HTTP 429" in summary.errors[0]
    assert summary.posts_read == 8  # the submissions listing was read and stored


def test_comments_without_permalink_get_one_from_link_and_comment_ids(config, sqlite_store, rsps):
    cfg = small(config)
    replay = RedditReplay(rsps, [submission(1, num_comments=2)])
    bare = comment("m01", "t3_1g00001", "t3_1g00001", "Pooley is fine", n=1)
    del bare["data"]["permalink"]
    replay.comments["1g00001"] = [bare, comment("m02", "t1_m01", "t3_1g00001", "Agreed", n=2)]
    assert run(make(cfg), sqlite_store, cfg).ok
    assert sqlite_store.get_post("reddit:t1_m01").url == \
        "https://www.reddit.com/r/QMUL/comments/1g00001/_/m01/"
    assert sqlite_store.get_post("reddit:t1_m02").url == \
        "https://www.reddit.com/r/QMUL/comments/1g00001/x/m02/"


@pytest.mark.parametrize("status", [403, 404])
def test_a_comment_tree_that_is_gone_is_reported_and_the_source_goes_on(
        config, sqlite_store, rsps, status):
    cfg = small(config)
    things = [submission(n, num_comments=1) for n in range(1, 4)]
    replay = RedditReplay(rsps, things)
    for n in (1, 3):
        link = f"t3_1g{n:05d}"
        replay.comments[f"1g{n:05d}"] = [comment(f"m{n}", link, link, "Reply", n=n)]
    replay.refused["1g00002"] = status
    runs = run_twice(lambda: make(cfg), sqlite_store, cfg)
    assert runs.first.ok
    assert sorted(runs.after_first) == sorted(
        [f"reddit:t3_1g{n:05d}" for n in range(1, 4)] + ["reddit:t1_m1", "reddit:t1_m3"])
    assert any(f"t3_1g00002: comments not read (HTTP {status})" in s
               for s in runs.first.skipped), runs.first.skipped
    assert runs.second.ok and runs.after_second == runs.after_first
