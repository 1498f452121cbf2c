"""Checkpoint marks, the retry policy, credential lookup and log redaction shared by collectors."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.config import SourceConfig
from pipeline.sources._retry import Fault, RequestRefused, Retrier
from pipeline.sources._secrets import Credentials, redact_client_logs, resolve_credentials
from pipeline.sources._sweep import Checkpoint, Sweep
from pipeline.sources._transport import BadAnswer
from pipeline.sources.base import SourceStopped
from pipeline.sources.collectors import build_collector, connection_credentials


class Boom(Exception):
    def __init__(self, fault: Fault | None) -> None:
        super().__init__("secret-token-in-library-message")
        self.fault = fault


def classify(exc: BaseException) -> Fault | None:
    return exc.fault if isinstance(exc, Boom) else None


def failing(*faults: Fault | None, result: str = "ok"):
    calls = []

    def call() -> str:
        calls.append(1)
        if len(calls) <= len(faults):
            raise Boom(faults[len(calls) - 1])
        return result

    return call, calls


def test_sweep_marks_move_only_when_a_pass_finishes():
    start = Sweep(floor="10")
    mid = start.advanced("30", "21", key=int)
    assert (mid.floor, mid.top, mid.resume) == ("10", "30", "21") and mid.in_progress
    later = mid.advanced("25", "15", key=int)
    assert later.top == "30" and later.resume == "15"
    assert later.finished("12", key=int) == Sweep(floor="30")
    assert Sweep().finished(None) == Sweep()  # an empty first pass leaves no mark


def test_checkpoint_round_trip_and_bad_input():
    state = Checkpoint().with_stream("b", Sweep(floor="1")).with_stream("a", Sweep(top=2, resume=3))
    text = state.dumps()
    assert text == '{"a": {"resume": 3, "top": 2}, "b": {"floor": "1"}}'
    assert Checkpoint.parse(text).get("a") == Sweep(top=2, resume=3)
    assert Checkpoint.parse(None).get("x") == Sweep()
    with pytest.raises(ValueError, match="not JSON"):
        Checkpoint.parse("12345abc")


@pytest.mark.parametrize(
    ("faults", "mode", "calls", "sleeps", "reason"),
    [
        # (what each attempt raises, on_rate_limit, requests made, sleeps, SourceStopped text)
        ([Fault("transient", "HTTP 503")] * 2, "defer", 3, 2, None),
        ([Fault("transient", "HTTP 500")] * 4, "defer", 4, 3, "gave up after 4 tries: HTTP 500"),
        ([Fault("fatal", "HTTP 403")], "defer", 1, 0, "request refused: HTTP 403"),
        ([Fault("rate_limit", "HTTP 429", 2_000_000_000.0)], "defer", 1, 0,
         "window resets at 2033-05-18T03:33:20Z"),
        ([Fault("rate_limit", "HTTP 429", 2_000_000_000.0)], "wait", 1, 0,
         "the wait exceeds 900s"),  # far beyond the cap: stop instead of waiting
        ([Fault("rate_limit", "HTTP 429", None)], "wait", 2, 1, None),  # no reset: 60 s
    ],
)
def test_retrier_table(faults, mode, calls, sleeps, reason):
    slept: list[float] = []
    retrier = Retrier(classify, on_rate_limit=mode, sleep=slept.append,
                      clock=lambda: 1_000_000_000.0)
    call, made = failing(*faults)
    if reason is None:
        assert retrier.call(call) == "ok"
    else:
        with pytest.raises(SourceStopped) as info:
            retrier.call(call)
        assert reason in str(info.value)
        assert "secret-token" not in str(info.value) and info.value.__cause__ is None
    assert len(made) == calls and len(slept) == sleeps
    if faults[0].kind == "rate_limit" and sleeps:
        assert slept == [60.0]  # no reset time given: a minute


def test_unclassified_exceptions_are_not_retried_and_stop_only_this_call(caplog):
    retrier = Retrier(classify, sleep=lambda s: None)
    call, made = failing(None)
    with caplog.at_level(logging.DEBUG), pytest.raises(RequestRefused) as stopped:
        retrier.call(call)
    assert len(made) == 1
    # A SourceStopped: the runner stops this source and runs the others.
    assert isinstance(stopped.value, SourceStopped)
    assert str(stopped.value) == "stopped on an unexpected Boom (see the log)"
    assert stopped.value.detail == "unexpected Boom"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["unexpected Boom from a client library call"]
    assert all("secret-token" not in r.getMessage() for r in errors)


def test_bad_answers_are_retried_on_every_platform_even_when_wrapped():
    """The transport's BadAnswer is a retryable fault whatever the platform classifier says,
    also when the library wrapped it (prawcore keeps it as original_exception, Mastodon.py as
    the context of its own error)."""

    class Wrapped(Exception):
        def __init__(self, original: BaseException) -> None:
            super().__init__("library text")
            self.original_exception = original

    def context_wrapped() -> None:
        try:
            raise BadAnswer("HTTP 200 answered with text/html, not JSON")
        except BadAnswer:
            raise RuntimeError("Could not complete request: ...")  # noqa: B904

    raised = [Wrapped(BadAnswer("connection cut in the middle of the answer")), None]
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise raised[0]  # type: ignore[misc]
        if len(calls) == 2:
            context_wrapped()
        return "page"

    assert Retrier(classify, sleep=lambda s: None).call(call) == "page"
    assert len(calls) == 3
    with pytest.raises(SourceStopped) as stopped:
        Retrier(classify, sleep=lambda s: None).call(context_wrapped)
    assert str(stopped.value) == "gave up after 4 tries: HTTP 200 answered with text/html, not JSON"


def test_credentials_from_connection_fields_and_environment(monkeypatch):
    assert connection_credentials("reddit", {"login": "id", "password": "pw",
                                             "extra": {"user_agent": "ua"}}) == {
        "user_agent": "ua", "client_id": "id", "client_secret": "pw"}
    assert connection_credentials("bluesky", {"login": "me.bsky.social", "password": "app"}) == {
        "handle": "me.bsky.social", "app_password": "app"}
    monkeypatch.setenv("ACME_X_BEARER_TOKEN", "from-env")
    creds = resolve_credentials(("bearer_token",), source="x", env_prefix="ACME_X")
    assert creds.get("bearer_token") == "from-env"
    assert "from-env" not in repr(creds) and "from-env" not in str(creds)
    given = resolve_credentials(("bearer_token",), source="x", env_prefix="ACME_X", given={})
    with pytest.raises(ValueError, match=r"missing credentials bearer_token"):
        given.require("bearer_token", hint="X bearer token")


def test_every_platform_builds_a_hygiene_collector(example_config):
    # Values unlike any other test's: the log redaction they register is process-wide.
    fields = {"x": {"password": "hygiene-x-bearer"},
              "reddit": {"login": "hygiene-reddit-id", "password": "hygiene-reddit-key",
                         "extra": {"user_agent": "hygiene-reddit-agent"}},
              "bluesky": {"login": "hygiene.bsky.social", "password": "hygiene-app-pass"},
              "mastodon": {"password": "hygiene-mastodon-token"}}
    for platform, connection in fields.items():
        spec = SourceConfig(name=f"{platform}-hygiene", platform=platform,  # type: ignore[arg-type]
                            kind="hygiene")
        source = build_collector(example_config, spec, credentials=connection)
        assert (source.platform, getattr(source, "kind", None)) == (platform, "hygiene")


def test_client_library_debug_lines_are_redacted(caplog):
    logger = logging.getLogger("tweepy.client.redaction-check")
    redact_client_logs(Credentials({"bearer_token": "AAAA-very-secret"}, source="x"))
    caplog.set_level(logging.DEBUG)
    logger.debug("Headers: %s", {"Authorization": "Bearer AAAA-very-secret"})
    assert "AAAA-very-secret" not in caplog.text and "Bearer <withheld>" in caplog.text


def test_every_example_collector_builds_from_connection_fields(example_config):
    from pipeline.sources import build_source

    fields = {"login": "id-or-handle", "password": "secret-value",
              "extra": {"user_agent": "crestwatch/0.1"}}
    live = [s for s in example_config.sources if s.platform != "jsonl"]
    assert {s.platform for s in live} == {"x", "reddit", "bluesky", "mastodon"}
    assert not any(s.enabled for s in live)  # off until credentials exist
    for spec in live:
        source = build_source(example_config, spec, credentials=fields)
        assert source.name == spec.name and source.platform == spec.platform
        assert "secret-value" not in repr(vars(source))


# Atoms as the query builders make them: trimmed, never blank.
_atoms = st.text(alphabet="abcdefgh #@\"", min_size=1, max_size=60).map(str.strip).filter(bool)


@given(st.lists(_atoms, max_size=40),
       st.integers(min_value=80, max_value=512))
def test_packed_queries_fit_the_limit_and_keep_every_word_once(atoms, limit):
    from pipeline.sources._queries import pack_or_queries

    queries = pack_or_queries(atoms, "-is:retweet", limit)
    assert all(len(q) <= limit for q in queries)
    inner = [q.removesuffix(" -is:retweet") for q in queries]
    unpacked = [a for q in inner for a in
                (q[1:-1].split(" OR ") if q.startswith("(") and " OR " in q else [q])]
    assert unpacked == atoms


def test_a_corrupt_checkpoint_stops_only_that_source(example_config, sqlite_store):
    from pipeline.policy.engine import Policy
    from pipeline.run.runner import run_pass
    from pipeline.sources.x import XSource

    source = XSource(example_config, Credentials({"bearer_token": "t0ken"}, source="x"))
    sqlite_store.set_checkpoint("x", "12")  # e.g. a line count left by a JSONL source
    summary = run_pass([source], store=sqlite_store, detectors=[],
                       policy=Policy(example_config))
    assert summary.errors == [
        "x: the saved checkpoint is not a JSON object; clear it to start over"]
    assert sqlite_store.get_checkpoint("x") == "12"
