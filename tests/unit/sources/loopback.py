"""A real HTTP server on 127.0.0.1 that answers with the platform replays and injects faults
on the wire: cut connections, truncated or HTML bodies, bodies trickled past the deadline,
servers that never answer, error statuses.

The client libraries keep their own base URLs (tweepy cannot be given another one), so
`route_to(server)` points the lowest layer of requests and httpx at the loopback: each request
keeps its Host header and is sent over a plain socket to this server, which rebuilds the
original URL from it. Everything above that layer is the production path, the project's
deadline adapter and transport included.

The replays register their callbacks here exactly as they do with `responses` and `respx`:
`LoopbackServer.requests_routes` stands in for a `responses.RequestsMock`, and
`LoopbackServer.httpx_routes` for a `respx` router.
"""

from __future__ import annotations

import json
import re
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter

Answer = tuple[int, dict[str, str], bytes]

HTML = (b"<!DOCTYPE html><html><head><title>Sign in to the network</title></head>"
        b"<body><p>Please accept the terms of use.</p></body></html>")


@dataclass
class Fault:
    """What the server does instead of (or to) the replay's answer.

    kind: "status" (answer `status` with `headers` and a JSON error body), "html" (an HTML page
    with status 200), "truncated" (the first half of the real JSON body, as a complete HTTP
    message), "reset" (the headers and half the body, then a TCP reset), "drop" (close without
    answering), "trickle" (the real answer, `trickle_bytes` every `trickle_every` seconds),
    "headers" (the status line and headers, one byte every `trickle_every` seconds, never
    reaching the body),
    "silent" (read the request, never answer), "short" (the real answer to the same request
    asking for half as many items: a page shorter than the page size, cursor and all).
    """

    kind: str
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    trickle_bytes: int = 16
    trickle_every: float = 0.2


@dataclass
class Plan:
    """Inject `fault` into requests whose path matches `path`: the `nth` one (1-based), and the
    ones after it while `times` lasts (None: every one from the nth on)."""

    path: str
    fault: Fault
    nth: int = 1
    times: int | None = 1
    seen: int = 0

    def applies(self, path: str) -> bool:
        if not re.search(self.path, path):
            return False
        self.seen += 1
        if self.seen < self.nth:
            return False
        return self.times is None or self.seen < self.nth + self.times


@dataclass
class Exchange:
    """One request as the server saw it, with when the client hung up."""

    method: str
    url: str
    fault: str | None
    started: float
    ended: float | None = None

    @property
    def held(self) -> float:
        return (self.ended or time.monotonic()) - self.started


class _ResponsesStyleRequest:
    """The parts of a requests PreparedRequest the replays' callbacks read."""

    def __init__(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        self.method, self.url, self.headers, self.body = method, url, headers, body


class RequestsRoutes:
    """`add_callback` as on a responses.RequestsMock."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server

    def add_callback(self, method: str, url: str | re.Pattern[str],
                     callback: Callable[[Any], tuple[int, dict[str, str], str]],
                     content_type: str = "text/plain", **_: Any) -> None:
        def answer(method: str, full: str, headers: dict[str, str], body: bytes) -> Answer:
            status, out, text = callback(_ResponsesStyleRequest(method, full, headers, body))
            out = {"Content-Type": content_type, **out}
            return status, out, text.encode() if isinstance(text, str) else text

        self.server.routes.append((method, url, answer))


class _HttpxRoute:
    def __init__(self, server: LoopbackServer, method: str, url: str) -> None:
        self.server, self.method, self.url = server, method, url

    def mock(self, side_effect: Callable[[httpx.Request], httpx.Response]) -> _HttpxRoute:
        def answer(method: str, full: str, headers: dict[str, str], body: bytes) -> Answer:
            response = side_effect(httpx.Request(method, full, headers=headers, content=body))
            return response.status_code, dict(response.headers), response.content

        self.server.routes.append((self.method, self.url, answer))
        return self


class HttpxRoutes:
    """`get(url).mock(side_effect=...)` and `post(...)` as on a respx router."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server

    def get(self, url: str) -> _HttpxRoute:
        return _HttpxRoute(self.server, "GET", url)

    def post(self, url: str) -> _HttpxRoute:
        return _HttpxRoute(self.server, "POST", url)


def _halve_limit(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, str(max(1, int(v) // 2)) if k in ("limit", "max_results") else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _matches(pattern: str | re.Pattern[str], url: str) -> bool:
    if isinstance(pattern, re.Pattern):
        return bool(pattern.match(url))
    return url.split("?")[0].rstrip("/") == pattern.rstrip("/")


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
        lower = {k.lower(): v for k, v in headers.items()}
        length = int(lower.get("content-length", "0") or 0)
        while len(body) < length:
            body += conn.recv(65536)
        full = f"https://{lower.get('host', 'localhost')}{target}"
        self.server.owner.serve(conn, method, full, headers, body)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LoopbackServer


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: list[tuple[str, str | re.Pattern[str], Callable[..., Answer]]] = []
        self.plans: list[Plan] = []
        self.exchanges: list[Exchange] = []
        self.requests_routes = RequestsRoutes(self)
        self.httpx_routes = HttpxRoutes(self)
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def inject(self, path: str, fault: Fault, *, nth: int = 1, times: int | None = 1) -> Plan:
        plan = Plan(path, fault, nth, times)
        self.plans.append(plan)
        return plan

    def clear_faults(self) -> None:
        self.plans.clear()

    def urls(self, fault: str | None = None) -> list[str]:
        return [e.url for e in self.exchanges if fault is None or e.fault == fault]

    # -- answering ------------------------------------------------------------------------------

    def _answer(self, method: str, full: str, headers: dict[str, str], body: bytes) -> Answer:
        for route_method, pattern, answer in self.routes:
            if route_method == method and _matches(pattern, full):
                return answer(method, full, headers, body)
        return 404, {"Content-Type": "application/json"}, b'{"error": "no such route"}'

    def serve(self, conn: socket.socket, method: str, full: str, headers: dict[str, str],
              body: bytes) -> None:
        path = urlsplit(full).path
        with self._lock:
            fault = next((p.fault for p in self.plans if p.applies(path)), None)
            exchange = Exchange(method, full, fault.kind if fault else None, time.monotonic())
            self.exchanges.append(exchange)
            if fault is not None and fault.kind == "short":
                full, fault = _halve_limit(full), None
            if fault is None or fault.kind in ("truncated", "reset", "trickle"):
                status, out, payload = self._answer(method, full, headers, body)
        try:
            if fault is None:
                self._send(conn, status, out, payload)
            elif fault.kind == "status":
                error = json.dumps({"error": f"HTTP {fault.status}",
                                    "message": "injected"}).encode()
                self._send(conn, fault.status,
                           {"Content-Type": "application/json", **fault.headers}, error)
            elif fault.kind == "html":
                self._send(conn, 200, {"Content-Type": "text/html; charset=utf-8"}, HTML)
            elif fault.kind == "truncated":
                self._send(conn, status, out, payload[: len(payload) // 2])
            elif fault.kind == "reset":
                self._send(conn, status, out, payload, stop_after=len(payload) // 2)
                # Linger 0: closing sends a TCP reset instead of an orderly end.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
            elif fault.kind == "trickle":
                self._send(conn, status, out, payload, trickle=fault)
                self._wait_for_hangup(conn)
            elif fault.kind == "headers":
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"p" * 400
                for i in range(len(head)):
                    conn.sendall(head[i:i + 1])
                    threading.Event().wait(fault.trickle_every)
            elif fault.kind == "silent":
                self._wait_for_hangup(conn)
            # "drop": nothing at all; the socket is closed on return.
        except OSError:
            pass  # the client hung up (its deadline cut the answer off)
        finally:
            exchange.ended = time.monotonic()

    @staticmethod
    def _send(conn: socket.socket, status: int, headers: dict[str, str], payload: bytes, *,
              stop_after: int | None = None, trickle: Fault | None = None) -> None:
        drop = {"content-length", "transfer-encoding", "connection", "content-encoding"}
        lines = [f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}"]
        lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in drop]
        lines += [f"Content-Length: {len(payload)}", "Connection: close"]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if trickle is not None:
            for start in range(0, len(payload), trickle.trickle_bytes):
                conn.sendall(payload[start:start + trickle.trickle_bytes])
                # Not time.sleep: tests replace that to keep client libraries from pausing.
                threading.Event().wait(trickle.trickle_every)
            return
        conn.sendall(payload if stop_after is None else payload[:stop_after])

    @staticmethod
    def _wait_for_hangup(conn: socket.socket, limit: float = 30.0) -> None:
        """Block until the client closes its end (or `limit` passes), to time how long the
        client held on."""
        conn.settimeout(limit)
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass


# -- pointing the real clients at the server -------------------------------------------------------


@contextmanager
def route_to(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Send every requests and httpx request to `server`, keeping its Host header."""
    loopback = f"http://127.0.0.1:{server.port}"
    real_send = HTTPAdapter.send
    real_handle = httpx.HTTPTransport.handle_request

    def send(self: HTTPAdapter, request: requests.PreparedRequest, *args: Any,
             **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        request.headers["Host"] = parts.netloc
        request.url = loopback + parts.path + (f"?{parts.query}" if parts.query else "")
        kwargs["proxies"] = {}
        return real_send(self, request, *args, **kwargs)

    def handle(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        request.headers["Host"] = request.url.netloc.decode()
        request.url = httpx.URL(loopback + request.url.raw_path.decode())
        return real_handle(self, request)

    monkeypatch.setattr(HTTPAdapter, "send", send)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle)
    yield
