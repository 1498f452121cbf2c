"""Media through an HTTP proxy: a deployment whose only way out is a proxy still fetches images,
and the proxy is asked for the address the policy checked, never for the name (which it would
resolve again, past the check)."""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipeline.enrich.media import MediaFetcher

from .conftest import LoopbackServer, fake_resolver, image, image_bytes


@dataclass
class Proxy:
    port: int
    asked: list[tuple[str, str, str]] = field(default_factory=list)  # method, target, Host

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _relay(a: socket.socket, b: socket.socket) -> None:
    sockets = [a, b]
    while True:
        ready, _, _ = select.select(sockets, [], [], 5)
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            (b if sock is a else a).sendall(data)


def _proxy_handler(proxy: Proxy) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            try:
                self._proxy()
            except OSError:
                pass  # either end hung up (a refused certificate closes the tunnel)

        def _proxy(self) -> None:
            client: socket.socket = self.request
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = client.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            host = next((line.split(":", 1)[1].strip() for line in lines[1:]
                         if line.lower().startswith("host:")), "")
            proxy.asked.append((method, target, host))
            if method == "CONNECT":
                name, _, port = target.rpartition(":")
                upstream = socket.create_connection((name.strip("[]"), int(port)), timeout=5)
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:  # absolute-form: http://address:port/path
                where = target.split("://", 1)[1].split("/", 1)
                name, _, port = where[0].rpartition(":")
                upstream = socket.create_connection((name.strip("[]"), int(port or 80)),
                                                    timeout=5)
                path = "/" + (where[1] if len(where) > 1 else "")
                first = f"{method} {path} HTTP/1.1\r\n".encode()
                upstream.sendall(first + "\r\n".join(lines[1:]).encode() + b"\r\n\r\n" + rest)
            with upstream:
                _relay(client, upstream)

    return Handler


@pytest.fixture()
def proxy() -> Iterator[Proxy]:
    found = Proxy(port=0)
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _proxy_handler(found))
    server.daemon_threads = True
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


def fetcher(tmp_path: Path, **kwargs: object) -> MediaFetcher:
    return MediaFetcher(tmp_path / "media", tries=1, allow_networks=["127.0.0.1/32"],
                        resolver=fake_resolver, **kwargs)  # type: ignore[arg-type]


def test_http_media_through_the_environments_proxy_names_the_checked_address(
    server: LoopbackServer, proxy: Proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.routes["/img.png"] = image(image_bytes("PNG"), "image/png")
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    result = fetcher(tmp_path).fetch(server.url("/img.png"))
    assert result.ok, result.reason
    assert proxy.asked == [
        ("GET", f"http://127.0.0.1:{server.port}/img.png", f"cdn.test:{server.port}")]
    assert server.requests[-1].headers["Host"] == f"cdn.test:{server.port}"


def test_https_media_is_tunnelled_to_the_checked_address_with_the_name_in_tls(
    tls_server: LoopbackServer, tls_files: dict[str, Path], proxy: Proxy, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    tls_server.routes["/img.png"] = image(image_bytes("PNG"), "image/png")
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    secure = fetcher(tmp_path, verify=str(tls_files["ca"]))
    result = secure.fetch(tls_server.url("/img.png"))
    assert result.ok, result.reason
    assert [a[:2] for a in proxy.asked] == [("CONNECT", f"127.0.0.1:{tls_server.port}")]
    assert tls_server.sni == ["cdn.test"]  # type: ignore[attr-defined]
    # The certificate is still checked against the name, through the tunnel too.
    wrong = secure.fetch(tls_server.url("/img.png", host="other.test"))
    assert (wrong.ok, wrong.kind) == (False, "tls")


def test_the_configured_proxy_wins_and_the_address_checks_still_refuse(
    server: LoopbackServer, proxy: Proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.routes["/img.png"] = image(image_bytes("PNG"), "image/png")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    through = fetcher(tmp_path, proxy=proxy.url)
    assert through.fetch(server.url("/img.png")).ok
    # A name that resolves to a private address is refused before the proxy hears of it.
    refused = through.fetch(f"http://evil.test:{server.port}/img.png")
    assert (refused.ok, refused.kind) == (False, "address")
    assert refused.reason == "refused: private address 10.0.0.5"
    assert len(proxy.asked) == 1


def test_no_proxy_is_honoured_and_a_dead_proxy_is_a_clear_failure(
    server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.routes["/img.png"] = image(image_bytes("PNG"), "image/png")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "cdn.test")
    assert fetcher(tmp_path).fetch(server.url("/img.png")).ok
    monkeypatch.delenv("NO_PROXY")
    dead = fetcher(tmp_path).fetch(server.url("/img.png"))
    assert (dead.ok, dead.kind) == (False, "connection")
    assert dead.reason == "failed: the proxy did not connect to cdn.test"
