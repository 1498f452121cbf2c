"""The fault suite: every collector, through its real client library and the real runner, against
a loopback server that replays the platform's API and breaks it on the wire.

Each row of SCENARIOS is one fault on one platform. Every scenario runs twice into one SQLite
store: the first run meets the fault, the second is clean. After both, the store must hold every
post the platform served exactly once (less only what the scenario makes unreadable for good),
no exception may have left the runner, the source after the faulty one must have run, and no
request may have been held longer than its deadline.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import prawcore
import pytest

from pipeline.core.config import OrgConfig, SourceConfig
from pipeline.core.paths import SAMPLES_DIR
from pipeline.policy.engine import Policy
from pipeline.run.runner import RunSummary, run_pass
from pipeline.sources import build_source
from pipeline.sources.base import Page, Source
from pipeline.sources.jsonl import JsonlSource
from pipeline.store.sqlite import SQLiteStore
from tests.unit.sources import bluesky_replay as bsky
from tests.unit.sources import mastodon_replay as masto
from tests.unit.sources import reddit_replay as rdt
from tests.unit.sources import x_replay as xr
from tests.unit.sources.conftest import NO_SLEEP, stored_ids
from tests.unit.sources.loopback import Fault, LoopbackServer, route_to

CONNECT, DEADLINE = 0.3, 1.5  # short, so that faults that wait out the deadline stay quick
SLACK = 0.6  # scheduling on a busy machine
CANARY = SAMPLES_DIR / "impersonation.jsonl"


# -- the four platforms: config, data served, where a mid-paging fault goes ------------------------


@dataclass
class Platform:
    name: str
    page: str  # path (regex) of the paging request a fault hits, the second time it is made
    rate_limit: Callable[[], dict[str, str]]  # a 429's reset headers, in the platform's form
    env: dict[str, str]
    served: set[str] = field(default_factory=set)  # doc ids of every post the replay serves

    def config(self, config: OrgConfig) -> OrgConfig:
        cfg = config.model_copy(deep=True)
        cfg.organisation.aliases = []
        cfg.organisation.hashtags = []
        cfg.organisation.name = "QMUL"
        for search in cfg.search.values():
            search.terms = ["QMUL"]
            search.hashtags = []
        cfg.accounts = []
        return cfg

    def serve(self, server: LoopbackServer) -> None:
        raise NotImplementedError

    def tune(self, source: Any) -> None:
        """Small pages, so that every pass spans several; no real sleeping between retries."""
        source.page_size = 10
        source.retrier.sleep = NO_SLEEP


class X(Platform):
    def __init__(self) -> None:
        super().__init__("x", r"^/2/tweets/search/recent$",
                         lambda: {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                                  "x-rate-limit-reset": str(int(time.time()) + 600)},
                         {"CRESTWATCH_X_BEARER_TOKEN": "AAAAAAAAAAAAAAAAAAAAAxFaultSuite0123"})

    def serve(self, server: LoopbackServer) -> None:
        tweets = [xr.tweet(n) for n in range(1, 26)]
        xr.XSearchReplay(server.requests_routes, tweets)  # type: ignore[arg-type]
        self.served = {f"x:{t['id']}" for t in tweets}


class Reddit(Platform):
    def __init__(self) -> None:
        super().__init__("reddit", r"/search$",
                         lambda: {"x-ratelimit-remaining": "0", "x-ratelimit-used": "600",
                                  "x-ratelimit-reset": "420"},
                         {"CRESTWATCH_REDDIT_CLIENT_ID": "cw-client-id",
                          "CRESTWATCH_REDDIT_CLIENT_SECRET": "reddit-secret-fault-suite",
                          "CRESTWATCH_REDDIT_USER_AGENT": "crestwatch-fault-suite/0.1"})

    def config(self, config: OrgConfig) -> OrgConfig:
        cfg = super().config(config)
        cfg.search["reddit"].subreddits = ["QMUL", "london"]
        return cfg

    def serve(self, server: LoopbackServer) -> None:
        things = [rdt.submission(n, sub="QMUL" if n % 2 else "london",
                                 num_comments=2 if n % 4 == 0 else 0) for n in range(1, 13)]
        replay = rdt.RedditReplay(server.requests_routes, things)  # type: ignore[arg-type]
        for n in (4, 8, 12):
            link = f"t3_1g{n:05d}"
            replay.comments[f"1g{n:05d}"] = [
                rdt.comment(f"c{n}a", link, link, f"Reply {n}a", n=n),
                rdt.comment(f"c{n}b", f"t1_c{n}a", link, f"Reply {n}b", n=n + 1),
            ]
        self.served = {f"reddit:{t['data']['name']}" for t in things} | {
            f"reddit:{c['data']['name']}" for cs in replay.comments.values() for c in cs}

    def tune(self, source: Any) -> None:
        super().tune(source)
        source.page_size = 5


class Bluesky(Platform):
    def __init__(self) -> None:
        super().__init__("bluesky", r"/app\.bsky\.feed\.searchPosts$",
                         lambda: {"ratelimit-limit": "3000", "ratelimit-remaining": "0",
                                  "ratelimit-reset": str(int(time.time()) + 300)},
                         {"CRESTWATCH_BLUESKY_HANDLE": "crestwatch.bsky.social",
                          "CRESTWATCH_BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop"})

    def serve(self, server: LoopbackServer) -> None:
        posts = [bsky.post_view(n, text=f"Open day {n} at QMUL") for n in range(1, 26)]
        bsky.BlueskyReplay(server.httpx_routes, posts)  # type: ignore[arg-type]
        self.served = {f"bluesky:{p['uri']}" for p in posts}


class Mastodon(Platform):
    def __init__(self) -> None:
        super().__init__("mastodon", r"^/api/v1/timelines/tag/",
                         lambda: {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                                  "X-RateLimit-Reset": (datetime.now(UTC) + timedelta(
                                      minutes=5)).isoformat()},
                         {"CRESTWATCH_MASTODON_ACCESS_TOKEN": "mastodon-fault-suite-token"})

    def config(self, config: OrgConfig) -> OrgConfig:
        cfg = super().config(config)
        cfg.search["mastodon"].instances = ["https://mastodon.social"]
        cfg.search["mastodon"].hashtags = ["QMUL"]
        return cfg

    def serve(self, server: LoopbackServer) -> None:
        replay = masto.MastodonReplay(server.requests_routes,  # type: ignore[arg-type]
                                      "mastodon.social")
        replay.tagged["qmul"] = [masto.status(n) for n in range(1, 26)]
        replay.searchable = [masto.status(n, content=f"<p>Queen Mary QMUL talk {n}</p>")
                             for n in range(30, 53)]
        self.served = {f"mastodon:{s['uri']}" for s in
                       replay.tagged["qmul"] + replay.searchable}

    def tune(self, source: Any) -> None:
        source.page_size = 10
        source.sleep = NO_SLEEP
        source.now = lambda: masto.T0 + timedelta(hours=2)


PLATFORMS: dict[str, Callable[[], Platform]] = {
    "x": X, "reddit": Reddit, "bluesky": Bluesky, "mastodon": Mastodon}


# -- the table -----------------------------------------------------------------------------------

ALL = None  # the fault meets every matching request of the first run from the nth on


@dataclass(frozen=True)
class Scenario:
    platform: str
    fault: Fault
    times: int | None = 1
    stops: str | None = None  # first run: the source stops, its reason contains this
    path: str | None = None  # where the fault goes (default: the platform's paging request)
    nth: int = 2
    gone: set[str] = field(default_factory=set)  # posts no run can read (the item is gone)
    skipped: str | None = None  # a skipped item's report contains this
    lasting: bool = False  # the fault is still there on the clean rerun
    wait: bool = False  # on_rate_limit: wait (default: defer)
    marks: tuple[Any, ...] = ()

    @property
    def id(self) -> str:
        times = "once" if self.times == 1 else "always" if self.times is ALL else self.times
        where = f"@{self.path}" if self.path else ""
        what = self.fault.kind if self.fault.kind != "status" else f"http{self.fault.status}"
        return f"{self.platform}-{what}-{times}{where}{'-wait' if self.wait else ''}"


def status(code: int, headers: dict[str, str] | None = None) -> Fault:
    return Fault("status", status=code, headers=headers or {})


GAVE_UP = "gave up after 4 tries: "
HTML_REASON = GAVE_UP + "HTTP 200 answered with text/html, not JSON"
CUT_REASON = GAVE_UP + "connection cut in the middle of the answer"
LATE_REASON = GAVE_UP + f"no complete answer within {DEADLINE:g} s"
SLOW = Fault("trickle", trickle_bytes=32, trickle_every=0.25)
COMMENTS = r"^/comments/1g00008"

# One row per fault, met by each platform's paging request (its second call of the pass).
EVERY_PLATFORM: list[tuple[Fault, int | None, str | None, tuple[Any, ...]]] = [
    # fault,            how often, what the first run's outcome for the source says
    (status(429), 1, "rate limited (HTTP 429, window resets at", ()),
    (status(503), 1, None, ()),
    (status(503), ALL, GAVE_UP + "HTTP 503", ()),
    (status(500), ALL, GAVE_UP + "HTTP 500", ()),
    (Fault("html"), 1, None, ()),
    (Fault("html"), ALL, HTML_REASON, ()),
    (Fault("truncated"), 1, None, ()),
    (Fault("truncated"), ALL, GAVE_UP + "HTTP 200 body is not complete JSON", ()),
    (Fault("reset"), 1, None, ()),
    (Fault("reset"), ALL, CUT_REASON, ()),
    (Fault("drop"), 1, None, ()),
    (Fault("drop"), ALL, GAVE_UP + "connection failed or cut before the answer", ()),
    (SLOW, 1, None, ()),
    (SLOW, ALL, LATE_REASON, (pytest.mark.slow,)),
    (Fault("silent"), 1, None, ()),
    (Fault("short"), ALL, None, ()),
]

SCENARIOS = [
    *[Scenario(p, fault, times, stops, marks=marks)
      for p in PLATFORMS for fault, times, stops, marks in EVERY_PLATFORM],
    # 429 with its reset headers, waited out (on_rate_limit: wait) instead of deferred.
    *[Scenario(p, status(429), wait=True) for p in PLATFORMS],
    # The login itself answered with a portal page.
    Scenario("reddit", Fault("html"), path=r"^/api/v1/access_token$", nth=1),
    Scenario("reddit", Fault("html"), ALL, path=r"^/api/v1/access_token$", nth=1,
             stops=HTML_REASON),
    Scenario("bluesky", Fault("html"), path=r"createSession$", nth=1),
    Scenario("bluesky", Fault("html"), ALL, path=r"createSession$", nth=1, stops=HTML_REASON),
    # Mastodon status search, paged by max_id.
    Scenario("mastodon", Fault("short"), ALL, path=r"^/api/v2/search$"),
    Scenario("mastodon", Fault("truncated"), path=r"^/api/v2/search$"),
    Scenario("mastodon", Fault("html"), ALL, path=r"^/api/v2/search$", nth=1, stops=HTML_REASON),
    # One submission's comment tree is gone or closed: skipped and reported, the rest is read.
    *[Scenario("reddit", status(code), ALL, path=COMMENTS, nth=1, lasting=True,
               gone={"reddit:t1_c8a", "reddit:t1_c8b"}, skipped=f"comments not read (HTTP {code})")
      for code in (403, 404)],
    Scenario("reddit", Fault("html"), path=COMMENTS, nth=1),
    Scenario("reddit", Fault("truncated"), ALL, path=COMMENTS, nth=1,
             stops=GAVE_UP + "HTTP 200 body is not complete JSON"),
]
SCENARIOS = [s for s in SCENARIOS if s.platform in PLATFORMS]


class Recorded(Source):
    """The platform's source, noting the checkpoint of every page it hands the runner."""

    def __init__(self, inner: Source) -> None:
        self.inner, self.name, self.platform = inner, inner.name, inner.platform
        self.checkpoints: list[str] = []

    def pages(self, checkpoint: str | None) -> Iterator[Page]:
        for page in self.inner.pages(checkpoint):
            if page.checkpoint is not None:
                self.checkpoints.append(page.checkpoint)
            yield page


def run_once(sources: list[Source], store: SQLiteStore, config: OrgConfig) -> RunSummary:
    return run_pass(sources, store=store, detectors=[], policy=Policy(config))


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id, marks=s.marks)
                                      for s in SCENARIOS])
def test_fault_then_clean_rerun(scenario: Scenario, config: OrgConfig, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch,
                                caplog: pytest.LogCaptureFixture) -> None:
    platform = PLATFORMS[scenario.platform]()
    for key, value in platform.env.items():
        monkeypatch.setenv(key, value)
    # prawcore paces and retries with time.sleep of its own.
    monkeypatch.setattr(prawcore.sessions.time, "sleep", lambda seconds: None)
    cfg = platform.config(config)
    spec = SourceConfig(name=platform.name, platform=platform.name,  # type: ignore[arg-type]
                        connect_timeout=CONNECT, deadline=DEADLINE,
                        on_rate_limit="wait" if scenario.wait else "defer")
    store = SQLiteStore(tmp_path / "store.sqlite")
    store.setup()
    canary_ids = {json.loads(line)["platform"] + ":" + json.loads(line)["id"]
                  for line in CANARY.read_text().splitlines() if line.strip()}

    def sources() -> list[Source]:
        source = build_source(cfg, spec)
        platform.tune(source)
        return [Recorded(source), JsonlSource(CANARY, name="canary")]

    with LoopbackServer() as server, route_to(server, monkeypatch), \
            caplog.at_level(logging.WARNING, logger="pipeline"):
        platform.serve(server)
        fault = scenario.fault
        if fault.kind == "status" and fault.status == 429:
            fault = Fault("status", status=429, headers=platform.rate_limit())
        server.inject(scenario.path or platform.page, fault, nth=scenario.nth,
                      times=scenario.times)
        first_sources = sources()
        first = run_once(first_sources, store, cfg)
        acknowledged = first_sources[0].checkpoints  # type: ignore[attr-defined]
        after_first = set(stored_ids(store)) - canary_ids
        saved = store.get_checkpoint(platform.name)
        if not scenario.lasting:
            server.clear_faults()
        second = run_once(sources(), store, cfg)
        exchanges = list(server.exchanges)

    expected = platform.served - scenario.gone
    stored = [doc for doc in stored_ids(store) if doc not in canary_ids]
    # Every post exactly once, across the fault and the rerun.
    assert sorted(stored) == sorted(expected), (
        f"lost {sorted(expected - set(stored))[:5]}, unexpected {sorted(set(stored) - expected)}")
    assert after_first <= expected
    # The source after the faulty one ran both times; nothing escaped the runner.
    assert first.sources["canary"].startswith("ok") and second.sources["canary"].startswith("ok")
    if scenario.stops:
        assert not first.ok
        assert scenario.stops in first.sources[platform.name], first.sources
        # The checkpoint is the last acknowledged page's: the failed page moved nothing.
        assert saved == (acknowledged[-1] if acknowledged else None)
    else:
        assert first.ok, first.errors
        assert after_first == expected
    assert second.ok, second.errors
    assert second.sources[platform.name].startswith("ok")
    if scenario.skipped:
        assert any(scenario.skipped in s for s in first.skipped), first.skipped
    # No request was held longer than the deadline (the fault's own requests included).
    longest = max(e.held for e in exchanges)
    assert longest <= DEADLINE + SLACK, f"a request was held {longest:.2f} s"
    if fault.kind in ("trickle", "silent"):
        cut = [e.held for e in exchanges if e.fault == fault.kind]
        assert cut and min(cut) >= DEADLINE - CONNECT - 0.1
    # No traceback, no unexpected error logged by the pipeline.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
