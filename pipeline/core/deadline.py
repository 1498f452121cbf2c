"""Total deadlines for HTTP requests: from connect to the last byte, however slowly it comes.

Socket timeouts bound one read, not a request: a server sending one header byte a second keeps
every read in time and the request going for ever. Here a request runs inside `deadline_at(t)`,
and every socket it uses (a new one as it connects, before TLS or a proxy tunnel is set up on
it; a pooled one as the request starts on it) is shut down once `t` passes. Shutting it down
wakes the blocked read wherever it is (TLS handshake, headers, body); the watchdog's `expired`
tells the caller that was why the request broke.

The connections learn which deadline they are under from a context variable, so one pooled
session serves many requests, each with its own deadline, and a connection reused by the next
request is watched by that request's deadline, not the last one's. Used by the media fetcher
(pipeline/enrich/media.py) and by the platform clients' transports (pipeline/sources/_transport.py),
over requests and httpx alike.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class SocketWatchdog:
    """Shuts down every socket handed to `watch` once `deadline` (time.monotonic) passes."""

    def __init__(self, deadline: float) -> None:
        self.expired = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
            late = self.expired.is_set()
        if late:
            _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired.set()
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket: it wakes a read blocked in another
    # thread without touching the TLS state that thread is using.
    with contextlib.suppress(OSError, ValueError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_ACTIVE: ContextVar[SocketWatchdog | None] = ContextVar("crestwatch_request_deadline",
                                                        default=None)


@contextlib.contextmanager
def deadline_at(deadline: float) -> Iterator[SocketWatchdog]:
    """Every socket used in this block (this thread) is shut down at `deadline`."""
    watchdog = SocketWatchdog(deadline)
    token = _ACTIVE.set(watchdog)
    try:
        yield watchdog
    finally:
        watchdog.cancel()
        _ACTIVE.reset(token)


def watch(sock: socket.socket | None) -> None:
    """Put `sock` under the deadline of the block this runs in, if any."""
    watchdog = _ACTIVE.get()
    if watchdog is not None and sock is not None:
        watchdog.watch(sock)


# -- requests / urllib3 ------------------------------------------------------------------------


def _watched(base: type[HTTPConnection]) -> type[HTTPConnection]:
    class Watched(base):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> socket.socket:
            sock: socket.socket = super()._new_conn()
            watch(sock)
            return sock

        def request(self, *args: Any, **kwargs: Any) -> None:
            # A pooled connection was opened under an earlier request's deadline.
            watch(self.sock)
            super().request(*args, **kwargs)

    Watched.__name__ = f"Watched{base.__name__}"
    return Watched


def _pools(http: type[HTTPConnectionPool], https: type[HTTPSConnectionPool],
           conn: type[HTTPConnection], tls_conn: type[HTTPConnection],
           ) -> dict[str, type[HTTPConnectionPool]]:
    return {
        "http": type(f"Watched{http.__name__}", (http,), {"ConnectionCls": _watched(conn)}),
        "https": type(f"Watched{https.__name__}", (https,),
                      {"ConnectionCls": _watched(tls_conn)}),
    }


_POOLS = _pools(HTTPConnectionPool, HTTPSConnectionPool, HTTPConnection, HTTPSConnection)


def _socks_pools() -> dict[str, type[HTTPConnectionPool]] | None:
    """The SOCKS proxy's pools, watched the same way (their connections speak to the proxy, so
    they are wrapped, not replaced); None without PySocks, where requests refuses SOCKS anyway."""
    try:
        from urllib3.contrib import socks
    except ImportError:
        return None
    return _pools(socks.SOCKSHTTPConnectionPool, socks.SOCKSHTTPSConnectionPool,
                  socks.SOCKSConnection, socks.SOCKSHTTPSConnection)


class WatchedAdapter(HTTPAdapter):
    """A requests adapter whose connections, direct or through an HTTP or SOCKS proxy, are under
    the deadline of the `deadline_at` block a request is sent in (and under none outside one)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        pools = _socks_pools() if proxy.lower().startswith("socks") else _POOLS
        if pools is not None:
            manager.pool_classes_by_scheme = pools
        return manager


# -- httpx / httpcore --------------------------------------------------------------------------


class _WatchedStream(httpcore.NetworkStream):
    """A connection's stream that puts its TCP socket under the current deadline on every read
    and write: the first request on it and every later one that reuses it."""

    def __init__(self, inner: httpcore.NetworkStream, raw: socket.socket) -> None:
        self._inner = inner
        self._raw = raw

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        watch(self._raw)
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        watch(self._raw)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        watch(self._raw)
        return _WatchedStream(self._inner.start_tls(ssl_context, server_hostname, timeout),
                              self._raw)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _WatchedBackend(httpcore.SyncBackend):
    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        stream = super().connect_tcp(host, port, timeout, local_address, socket_options)
        raw = stream.get_extra_info("socket")
        watch(raw)
        return _WatchedStream(stream, raw)


def watched_httpx_transport(**kwargs: Any) -> httpx.HTTPTransport:
    """An httpx transport whose connections are under the current `deadline_at` block.

    httpx takes no network backend of its own, so the one of the connection pool it builds
    (direct or proxy) is replaced; tests/unit/sources/test_transport.py holds it to the
    deadline, so a change in httpx that bypassed it would fail there."""
    transport = httpx.HTTPTransport(**kwargs)
    transport._pool._network_backend = _WatchedBackend()  # noqa: SLF001 - see docstring
    return transport
