"""The collectors' HTTP layer on its own: what counts as a well-formed answer, the timeouts'
settings, and the proxy the httpx transport takes from the environment."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from pydantic import ValidationError

from pipeline.core.config import SourceConfig
from pipeline.sources._transport import (
    BadAnswer,
    DeadlineTransport,
    Timeouts,
    check_page,
    requests_session,
)
from tests.unit.sources.loopback import Fault, LoopbackServer


@pytest.mark.parametrize(("status", "content_type", "body", "reason"), [
    (200, "application/json; charset=utf-8", b'{"data": []}', None),
    (200, None, b"[1, 2]", None),
    (200, "text/html; charset=utf-8", b"<html></html>",
     "HTTP 200 answered with text/html, not JSON"),
    (200, "text/plain", b'{"data": []}', "HTTP 200 answered with text/plain, not JSON"),
    (200, "application/json", b'{"data": [{"id": "1", "te', "HTTP 200 body is not complete JSON "
     "(25 bytes received)"),
    (204, "application/json", b"  ", "HTTP 204 with an empty body"),
    # Error statuses are the library's and the classifier's to judge, whatever their body.
    (503, "text/html", b"<html>busy</html>", None),
    (429, None, b"", None),
])
def test_what_counts_as_a_well_formed_answer(status, content_type, body, reason):
    if reason is None:
        check_page(status, content_type, body)
        return
    with pytest.raises(BadAnswer) as raised:
        check_page(status, content_type, body)
    assert raised.value.reason == reason


def test_connect_timeout_must_be_shorter_than_the_deadline():
    assert Timeouts().connect == 10 and Timeouts().deadline == 60
    assert Timeouts(2, 5).first_byte == 3
    with pytest.raises(ValueError, match="shorter than the deadline"):
        Timeouts(5, 5)
    spec = SourceConfig(name="x", platform="x", connect_timeout=3, deadline=20)
    assert (spec.connect_timeout, spec.deadline) == (3, 20)
    with pytest.raises(ValidationError, match="connect_timeout must be shorter than deadline"):
        SourceConfig(name="x", platform="x", connect_timeout=60)


def test_the_httpx_transport_takes_the_environments_proxy_for_its_base_url(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.ac.uk:3128")
    proxied = DeadlineTransport(Timeouts(), base_url="https://bsky.social/xrpc")
    assert type(proxied.inner._pool).__name__ == "HTTPProxy"
    monkeypatch.setenv("NO_PROXY", "bsky.social")
    direct = DeadlineTransport(Timeouts(), base_url="https://bsky.social/xrpc")
    assert type(direct.inner._pool).__name__ == "ConnectionPool"


@pytest.mark.parametrize("fault", [
    Fault("trickle", trickle_bytes=8, trickle_every=0.1),  # the body, 8 bytes at a time
    Fault("headers", trickle_every=0.1),  # the headers, a byte at a time
], ids=["body", "headers"])
def test_both_transports_cut_a_trickled_answer_at_the_deadline(fault):
    """Straight against the loopback server: requests and httpx alike give up at the deadline,
    not when the trickle ends (it would take minutes). Each read comes within the first-byte
    timeout; the deadline counts from connect to the last byte, headers included."""
    timeouts = Timeouts(0.2, 0.8)
    with LoopbackServer() as server:
        server.requests_routes.add_callback(
            "GET", "https://127.0.0.1/slow", lambda request: (200, {
                "Content-Type": "application/json"}, '{"data": "' + "x" * 4000 + '"}'))
        server.inject("/slow", fault, times=None)
        url = f"http://127.0.0.1:{server.port}/slow"
        with pytest.raises(BadAnswer, match="no complete answer within 0.8 s"):
            requests_session(timeouts).get(url, headers={"Host": "127.0.0.1"})
        client = httpx.Client(transport=DeadlineTransport(timeouts))
        with pytest.raises(BadAnswer, match="no complete answer within 0.8 s"):
            client.get(url, headers={"Host": "127.0.0.1"})
        held = [e.held for e in server.exchanges]
    assert len(held) == 2 and all(0.7 <= h <= 1.4 for h in held), held


class _KeepAliveServer:
    """Answers the first request on a connection in full and keeps the connection open; drips
    the headers of the next one. Counts the connections it accepted."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    @staticmethod
    def _talk(conn: socket.socket) -> None:
        body = b'{"data": []}'
        with conn:
            try:
                for n in range(2):
                    request = b""
                    while b"\r\n\r\n" not in request:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        request += chunk
                    if n == 0:
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                        continue
                    for byte in b"HTTP/1.1 200 OK\r\nX-Pad: " + b"p" * 400:
                        conn.sendall(bytes([byte]))
                        time.sleep(0.1)
            except OSError:
                return

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize("client", ["requests", "httpx"])
def test_a_reused_connection_is_held_to_the_next_requests_deadline(client):
    """The second request goes over the first one's pooled connection: the deadline that
    watches it is the second request's, though the socket was opened under the first's."""
    timeouts = Timeouts(0.2, 0.8)
    server = _KeepAliveServer()
    url = f"http://127.0.0.1:{server.port}/page"
    get = (requests_session(timeouts).get if client == "requests"
           else httpx.Client(transport=DeadlineTransport(timeouts)).get)
    try:
        assert get(url).json() == {"data": []}
        started = time.monotonic()
        with pytest.raises(BadAnswer, match="no complete answer within 0.8 s"):
            get(url)
        assert time.monotonic() - started < 1.4
        assert server.connections == 1
    finally:
        server.close()


def test_a_closed_port_is_a_bad_answer_not_a_library_error():
    with pytest.raises(BadAnswer, match="connection failed or cut before the answer"):
        requests_session(Timeouts(0.5, 2)).get("http://127.0.0.1:9/")
