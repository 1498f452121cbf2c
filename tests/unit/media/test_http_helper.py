"""The one HTTP helper: sessions, the retry policy, and the pinned-address adapter."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

import httpx
import pytest
import requests

from pipeline.core.http import (
    USER_AGENT,
    PinnedAddressAdapter,
    TransientHTTPError,
    get_with_retry,
    new_session,
    parse_retry_after,
    retry_policy,
)

from .conftest import LoopbackServer, flaky, send


class Sleeps(list[float]):
    """Records the waits a policy asks for instead of sleeping them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_session_says_who_it_is_and_has_default_timeouts(server: LoopbackServer) -> None:
    server.routes["/"] = lambda h: send(h, 200, b"ok", "text/plain")
    session = new_session(connect_timeout=1.5, read_timeout=7.0)
    assert session.get(f"http://127.0.0.1:{server.port}/").text == "ok"
    assert server.requests[-1].headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("Crestwatch/0.")
    assert USER_AGENT.endswith(" (+https://github.com/crestwatch/crestwatch)")
    assert session.timeout == (1.5, 7.0)  # type: ignore[attr-defined]


def test_session_timeout_applies_when_the_caller_gives_none(server: LoopbackServer) -> None:
    server.routes["/slow"] = lambda h: (time.sleep(1.0), send(h, 200, b"late", "text/plain"))
    session = new_session(read_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        session.get(f"http://127.0.0.1:{server.port}/slow")
    assert time.monotonic() - started < 0.9


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Mon, 23 Nov 2026 12:00:30 GMT", 30.0),
        ("Mon, 23 Nov 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == seconds


def test_transient_statuses_are_retried_with_retry_after(server: LoopbackServer) -> None:
    server.routes["/busy"] = flaky(2, lambda h: send(h, 200, b"ok", "text/plain"), retry_after="2")
    sleeps = Sleeps()
    response = get_with_retry(
        new_session(),
        f"http://127.0.0.1:{server.port}/busy",
        policy=retry_policy(tries=3, sleep=sleeps),
    )
    assert response.text == "ok"
    assert sleeps == [2.0, 2.0]  # the server's Retry-After, not the backoff
    assert server.hits("/busy") == 3


def test_backoff_is_exponential_with_jitter_and_capped(server: LoopbackServer) -> None:
    server.routes["/down"] = lambda h: send(h, 502, b"bad gateway", "text/plain")
    sleeps = Sleeps()
    with pytest.raises(TransientHTTPError, match="HTTP 502"):
        get_with_retry(
            new_session(),
            f"http://127.0.0.1:{server.port}/down",
            policy=retry_policy(tries=6, initial_wait=0.5, max_wait=3.0, sleep=sleeps),
        )
    assert server.hits("/down") == 6
    assert len(sleeps) == 5
    caps = [min(3.0, 0.5 * 2**n) for n in range(1, 6)]  # 1, 2, 3, 3, 3
    assert all(0 <= s <= cap for s, cap in zip(sleeps, caps, strict=True))
    assert len(set(sleeps)) > 1  # jittered, not a fixed schedule


def test_retry_after_longer_than_the_policy_allows_stops_at_once(server: LoopbackServer) -> None:
    server.routes["/limited"] = flaky(
        9, lambda h: send(h, 200, b"", None), status=429, retry_after="900"
    )
    sleeps = Sleeps()
    with pytest.raises(TransientHTTPError) as caught:
        get_with_retry(
            new_session(),
            f"http://127.0.0.1:{server.port}/limited",
            policy=retry_policy(tries=4, max_wait=60, sleep=sleeps),
        )
    assert (caught.value.status_code, caught.value.retry_after) == (429, 900.0)
    assert sleeps == [] and server.hits("/limited") == 1


def test_client_errors_come_back_unretried(server: LoopbackServer) -> None:
    server.routes["/missing"] = lambda h: send(h, 404, b"no", "text/plain")
    sleeps = Sleeps()
    response = get_with_retry(
        new_session(),
        f"http://127.0.0.1:{server.port}/missing",
        policy=retry_policy(sleep=sleeps),
    )
    assert response.status_code == 404 and sleeps == []


def test_connection_errors_are_retried_then_raised() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    with pytest.raises(requests.ConnectionError):
        get_with_retry(
            new_session(), f"http://127.0.0.1:{port}/", policy=retry_policy(tries=3, sleep=sleeps)
        )
    assert len(sleeps) == 2


def test_policy_wraps_other_clients_too(server: LoopbackServer) -> None:
    # httpx (used by platform SDKs) gets the same policy through raise_for_transient.
    from pipeline.core.http import raise_for_transient

    server.routes["/busy"] = flaky(1, lambda h: send(h, 200, b"ok", "text/plain"))
    sleeps = Sleeps()
    with httpx.Client() as client:
        for attempt in retry_policy(tries=2, sleep=sleeps):
            with attempt:
                response = client.get(f"http://127.0.0.1:{server.port}/busy")
                raise_for_transient(response)
    assert response.text == "ok" and sleeps == [0.0]


def test_deadline_bounds_the_waits() -> None:
    sleeps = Sleeps()
    calls = []

    def always_busy() -> None:
        calls.append(1)
        raise TransientHTTPError(503, retry_after=20)

    with pytest.raises(TransientHTTPError):
        retry_policy(tries=5, max_wait=30, deadline=time.monotonic() + 0.5, sleep=sleeps)(
            always_busy
        )
    assert sleeps and all(s <= 0.5 for s in sleeps)


def test_pinned_adapter_connects_to_the_pinned_address_and_keeps_the_host(
    server: LoopbackServer,
) -> None:
    server.routes["/"] = lambda h: send(h, 200, b"pinned", "text/plain")
    session = new_session()
    session.mount("http://", PinnedAddressAdapter("127.0.0.1"))
    # "rebind.test" is never resolved: the test network block would refuse the lookup.
    response = session.get(f"http://rebind.test:{server.port}/")
    assert response.text == "pinned"
    assert server.requests[-1].headers["Host"] == f"rebind.test:{server.port}"
