"""The HTTP layer under every platform client: one connect timeout, one deadline for the whole
answer (body included), and one rule for what counts as an answer at all.

The client libraries (tweepy, praw, Mastodon.py over requests; atproto over httpx) each wait
differently: tweepy not at all, prawcore and Mastodon.py per socket read, so a server that trickles
its body a little at a time holds a request for as long as it likes. Here every request

- gets `connect` seconds to connect and `deadline` seconds in all, from connect to the last
  byte of the body: its sockets are shut down when the deadline passes
  (pipeline/core/deadline.py), which wakes a read blocked on a server trickling its headers or
  its body, through a proxy too;
- is read in full before the library sees it, so a connection cut mid-body, a truncated JSON
  body or an HTML page served with status 200 (a captive portal, a proxy's error page) is raised
  here as `BadAnswer` with a short reason, and never reaches the library as an empty page.

Answers with an error status (429, 5xx, 4xx) go through untouched: the library reads them and
the collector's classifier judges them. The adapters honour the usual proxy environment
variables, as the libraries did.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
import requests
import urllib3

from pipeline.core.deadline import (
    SocketWatchdog,
    WatchedAdapter,
    deadline_at,
    watched_httpx_transport,
)

DEFAULT_CONNECT = 10.0  # seconds to open a connection (and to finish TLS)
DEFAULT_DEADLINE = 60.0  # seconds for a whole request: connection, first byte, whole body


class BadAnswer(Exception):
    """A request that did not come back as a well-formed page; always worth another try.

    `reason` is in the project's words and never holds a URL, a header or any of the body.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Timeouts:
    connect: float = DEFAULT_CONNECT
    deadline: float = DEFAULT_DEADLINE

    def __post_init__(self) -> None:
        if not 0 < self.connect < self.deadline:
            raise ValueError("connect_timeout must be positive and shorter than the deadline")

    @property
    def first_byte(self) -> float:
        """Silence allowed before the answer starts: what the deadline leaves after connecting."""
        return self.deadline - self.connect

    def describe_late(self) -> str:
        return f"no complete answer within {self.deadline:g} s"


def check_page(status: int, content_type: str | None, body: bytes) -> None:
    """A successful answer must be JSON, whole: raise `BadAnswer` if it is not."""
    if not 200 <= status < 300:
        return
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind and "json" not in kind:
        raise BadAnswer(f"HTTP {status} answered with {kind}, not JSON")
    if not body.strip():
        raise BadAnswer(f"HTTP {status} with an empty body")
    try:
        json.loads(body)
    except ValueError:
        raise BadAnswer(f"HTTP {status} body is not complete JSON "
                        f"({len(body)} bytes received)") from None


NO_ANSWER = "connection failed or cut before the answer"
CUT_ANSWER = "connection cut in the middle of the answer"


def _late_or(watchdog: SocketWatchdog, limits: Timeouts, reason: str) -> BadAnswer:
    """The deadline when it is what shut the socket, whatever the shut socket broke."""
    return BadAnswer(limits.describe_late() if watchdog.expired.is_set() else reason)


# -- requests (tweepy, praw/prawcore, Mastodon.py) ------------------------------------------------


class DeadlineAdapter(WatchedAdapter):
    """A requests adapter that applies `Timeouts` and the well-formed-page rule to every request,
    whatever timeout the library asked for (tweepy asks for none)."""

    def __init__(self, timeouts: Timeouts, **kwargs: Any) -> None:
        self.timeouts = timeouts
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        limits = self.timeouts
        with deadline_at(time.monotonic() + limits.deadline) as watchdog:
            try:
                response = super().send(request, stream=True, verify=verify, cert=cert,
                                        proxies=proxies,
                                        timeout=(limits.connect, limits.first_byte))
            except requests.exceptions.ConnectTimeout:
                raise BadAnswer(f"no connection within {limits.connect:g} s") from None
            except requests.exceptions.ReadTimeout:
                raise BadAnswer(limits.describe_late()) from None
            except requests.exceptions.SSLError:
                raise _late_or(watchdog, limits, "TLS handshake failed") from None
            except (requests.ConnectionError, urllib3.exceptions.HTTPError, OSError):
                raise _late_or(watchdog, limits, NO_ANSWER) from None
            try:
                body = response.content
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError,
                    ValueError):
                response.close()
                raise _late_or(watchdog, limits, CUT_ANSWER) from None
            if watchdog.expired.is_set():
                response.close()
                raise BadAnswer(limits.describe_late())
        check_page(response.status_code, response.headers.get("Content-Type"), body)
        return response


def requests_session(timeouts: Timeouts, session: requests.Session | None = None
                     ) -> requests.Session:
    """`session` (or a new one) with the deadline adapter on http and https."""
    session = session or requests.Session()
    adapter = DeadlineAdapter(timeouts)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


# -- httpx (atproto) -------------------------------------------------------------------------


class DeadlineTransport(httpx.BaseTransport):
    """An httpx transport that applies `Timeouts` and the well-formed-page rule.

    httpx leaves proxies from the environment out once a transport is given, so the proxy for
    the client's base URL is looked up here, the way requests does it (NO_PROXY honoured).
    """

    def __init__(self, timeouts: Timeouts, *, base_url: str | None = None,
                 inner: httpx.BaseTransport | None = None) -> None:
        self.timeouts = timeouts
        proxy = None
        if base_url and inner is None:
            found = requests.utils.get_environ_proxies(base_url)
            proxy = found.get(httpx.URL(base_url).scheme) or found.get("all")
        self.inner = inner or watched_httpx_transport(proxy=proxy)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        limits = self.timeouts
        request.extensions = {**request.extensions, "timeout": {
            "connect": limits.connect, "read": limits.first_byte,
            "write": limits.first_byte, "pool": limits.connect}}
        with deadline_at(time.monotonic() + limits.deadline) as watchdog:
            try:
                response = self.inner.handle_request(request)
            except httpx.ConnectTimeout:
                raise BadAnswer(f"no connection within {limits.connect:g} s") from None
            except httpx.TimeoutException:
                raise BadAnswer(limits.describe_late()) from None
            except httpx.TransportError:
                raise _late_or(watchdog, limits, NO_ANSWER) from None
            try:
                body = response.read()
            except (httpx.TransportError, httpx.StreamError, OSError):
                response.close()
                raise _late_or(watchdog, limits, CUT_ANSWER) from None
            if watchdog.expired.is_set():
                response.close()
                raise BadAnswer(limits.describe_late())
        check_page(response.status_code, response.headers.get("content-type"), body)
        return response

    def close(self) -> None:
        self.inner.close()


def find_bad_answer(exc: BaseException) -> BadAnswer | None:
    """The `BadAnswer` behind `exc`: the libraries wrap what the transport raised (prawcore in
    RequestException.original_exception, Mastodon.py as the context of MastodonNetworkError)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, BadAnswer):
            return current
        original = getattr(current, "original_exception", None)
        todo += [current.__cause__, current.__context__,
                 original if isinstance(original, BaseException) else None]
    return None
