"""The project's one HTTP helper: sessions that say who they are and never wait forever, and one
retry policy (exponential backoff with jitter, Retry-After honoured) for any code that calls out.

    session = new_session()
    response = get_with_retry(session, url)

`retry_policy()` is a plain tenacity `Retrying`, so code that talks HTTP through another client
library (httpx, a platform SDK) wraps its call the same way and calls `raise_for_transient(...)`
on the response it gets back.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import requests
import tenacity

from pipeline.core.deadline import WatchedAdapter

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return version("crestwatch")
    except PackageNotFoundError:  # running from a bare checkout
        return "0+unknown"


USER_AGENT = f"Crestwatch/{_version()} (+https://github.com/crestwatch/crestwatch)"
DEFAULT_CONNECT_TIMEOUT = 5.0  # seconds to establish a connection
DEFAULT_READ_TIMEOUT = 30.0  # seconds of silence tolerated between bytes
DEFAULT_TRIES = 4
DEFAULT_INITIAL_WAIT = 0.5
DEFAULT_MAX_WAIT = 30.0

Timeout = tuple[float, float]


class _TimeoutSession(requests.Session):
    """A session with a default (connect, read) timeout: requests itself has none, and a call
    without one can hang for ever on a server that accepts and then says nothing."""

    def __init__(self, timeout: Timeout) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


def new_session(
    *,
    user_agent: str = USER_AGENT,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> requests.Session:
    """A `requests.Session` with the project's User-Agent and default timeouts."""
    session = _TimeoutSession((connect_timeout, read_timeout))
    session.headers["User-Agent"] = user_agent
    return session


class _HasStatus(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


class TransientHTTPError(Exception):
    """A 429 or 5xx answer worth retrying. The message names only the status: URLs can carry
    tokens, and exception messages end up in logs."""

    def __init__(self, status_code: int, retry_after: float | None = None) -> None:
        self.status_code = status_code
        self.retry_after = retry_after
        hint = f", Retry-After {retry_after:g} s" if retry_after is not None else ""
        super().__init__(f"HTTP {status_code}{hint}")


def is_transient_status(status_code: int) -> bool:
    return status_code == 429 or 500 <= status_code <= 599


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def raise_for_transient(response: _HasStatus) -> None:
    """Raise `TransientHTTPError` for 429 and 5xx (a requests or httpx response alike)."""
    if not is_transient_status(response.status_code):
        return
    retry_after = None
    if response.status_code in (429, 503):
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
    raise TransientHTTPError(response.status_code, retry_after)


def is_transient(exc: BaseException) -> bool:
    """Errors a later attempt may not meet: 429/5xx, refused or dropped connections, timeouts.
    TLS failures are not among them: a bad certificate stays bad."""
    if isinstance(exc, TransientHTTPError):
        return True
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    return isinstance(exc, httpx.TransportError)


AskedWait = Callable[[BaseException], float | None]


def _retry_after(exc: BaseException) -> float | None:
    return getattr(exc, "retry_after", None)


def _asked(retry_state: tenacity.RetryCallState, asked_wait: AskedWait) -> float | None:
    exc = retry_state.outcome.exception() if retry_state.outcome else None
    return asked_wait(exc) if exc is not None else None


class _WaitRetryAfter(tenacity.wait.wait_base):
    """The server's Retry-After when it gave one, else exponential backoff with full jitter;
    never past the caller's deadline."""

    def __init__(self, initial: float, maximum: float, deadline: float | None,
                 asked_wait: AskedWait) -> None:
        self.backoff = tenacity.wait_random_exponential(multiplier=initial, max=maximum)
        self.deadline = deadline
        self.asked_wait = asked_wait

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        asked = _asked(retry_state, self.asked_wait)
        wait = float(asked) if asked is not None else self.backoff(retry_state)
        if self.deadline is not None:
            wait = min(wait, max(0.0, self.deadline - time.monotonic()))
        return wait


class _StopWhen(tenacity.stop.stop_base):
    """Give up when the deadline has passed, or when the server asks for a longer pause than
    the policy allows (waiting less than it asked would only earn another 429)."""

    def __init__(self, max_wait: float, deadline: float | None, asked_wait: AskedWait) -> None:
        self.max_wait = max_wait
        self.deadline = deadline
        self.asked_wait = asked_wait

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return True
        asked = _asked(retry_state, self.asked_wait)
        return asked is not None and asked > self.max_wait


def _describe(exc: BaseException) -> str:
    # Only the class and status: requests' own messages repeat the URL, query string and all.
    if isinstance(exc, TransientHTTPError):
        return str(exc)
    return type(exc).__name__


def _retry_logger(
    describe: Callable[[BaseException], str],
) -> Callable[[tenacity.RetryCallState], None]:
    def log_retry(retry_state: tenacity.RetryCallState) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        log.info(
            "attempt %d failed (%s); retrying in %.1f s",
            retry_state.attempt_number, describe(exc) if exc else "no result", wait,
        )

    return log_retry


def retry_policy(
    *,
    tries: int = DEFAULT_TRIES,
    initial_wait: float = DEFAULT_INITIAL_WAIT,
    max_wait: float = DEFAULT_MAX_WAIT,
    deadline: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    retry_if: Callable[[BaseException], bool] = is_transient,
    asked_wait: AskedWait = _retry_after,
    max_asked_wait: float | None = None,
    describe: Callable[[BaseException], str] = _describe,
) -> tenacity.Retrying:
    """Retry failures that `retry_if` accepts (by default `is_transient`) up to `tries`
    attempts in all.

    Waits grow exponentially from `initial_wait` with full jitter, capped at `max_wait`. A wait
    the server asked for (`asked_wait`: by default a 429/503's Retry-After) is used instead, and
    one longer than `max_asked_wait` (default `max_wait`) ends the retries at once. `deadline` is
    a `time.monotonic()` instant no wait may cross. Each retry is logged with `describe(error)`,
    which must never repeat a URL or credential. The last error is re-raised when the policy
    gives up.
    """
    if tries < 1:
        raise ValueError("tries must be at least 1")
    longest_asked = max_wait if max_asked_wait is None else max_asked_wait
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(retry_if),
        stop=tenacity.stop_after_attempt(tries) | _StopWhen(longest_asked, deadline, asked_wait),
        wait=_WaitRetryAfter(initial_wait, max_wait, deadline, asked_wait),
        before_sleep=_retry_logger(describe),
        sleep=sleep,
        reraise=True,
    )


def get_with_retry(
    session: requests.Session,
    url: str,
    *,
    policy: tenacity.Retrying | None = None,
    **kwargs: Any,
) -> requests.Response:
    """GET under the retry policy. Raises `TransientHTTPError` if every attempt got 429/5xx,
    or the last connection error/timeout; other statuses are returned for the caller to judge."""
    for attempt in policy or retry_policy():
        with attempt:
            response = session.get(url, **kwargs)
            try:
                raise_for_transient(response)
            except TransientHTTPError:
                response.close()
                raise
    return response


class PinnedAddressAdapter(WatchedAdapter):
    """Connects to one IP address decided beforehand, whatever the URL's host would resolve
    to by the time the socket opens, while the Host header, TLS SNI and the certificate check
    still use the URL's host name.

    This closes the DNS-rebinding window of "resolve, check, then let the library resolve
    again": the address that passed the check is the address connected to. Mount it on a
    session used for one host only (the media fetcher mounts one per request). Sent inside a
    `deadline_at` block, its connections are shut down at that deadline (WatchedAdapter).
    """

    def __init__(self, address: str, **kwargs: Any) -> None:
        self.address = address
        super().__init__(**kwargs)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[Any, Any]:
        # Plain dicts: the stubs' TypedDicts leave out the TLS keys urllib3 accepts and set below.
        host_params: dict[str, Any]
        pool_kwargs: dict[str, Any]
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(  # type: ignore[assignment]
            request, verify, cert
        )
        hostname = host_params["host"]
        host_params["host"] = self.address
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = hostname
            pool_kwargs["assert_hostname"] = hostname
        return host_params, pool_kwargs

    def request_url(self, request: requests.PreparedRequest, proxies: Any) -> str:
        # Through an HTTP proxy a plain-http request names its target in full, and the proxy
        # would resolve that name again: name the checked address instead (the Host header
        # keeps the name). An https request is tunnelled with CONNECT to the pinned address
        # already, as the pool's host is that address.
        url = super().request_url(request, proxies)
        parts = urlsplit(url)
        if not parts.scheme or not parts.hostname:
            return url
        literal = f"[{self.address}]" if ":" in self.address else self.address
        netloc = literal if parts.port is None else f"{literal}:{parts.port}"
        return parts._replace(netloc=netloc).geturl()

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        # Without an explicit Host header the connection would announce the bare IP address.
        netloc = urlsplit(request.url or "").netloc.rpartition("@")[2]
        request.headers.setdefault("Host", netloc)
