"""A real HTTP(S) server on loopback that behaves like CDNs and like hostile servers, and a
fetcher whose address policy admits only that server (names are mapped without DNS)."""

from __future__ import annotations

import gzip
import http.server
import io
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from pipeline.enrich.media import MediaFetcher

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]

# Test names -> addresses; nothing here is ever looked up in DNS.
NAMES: dict[str, list[str]] = {
    "cdn.test": ["127.0.0.1"],
    "other.test": ["127.0.0.1"],
    "evil.test": ["10.0.0.5"],
    "internal.test": ["10.0.0.7"],
    "metadata.test": ["169.254.169.254"],
    "cgnat.test": ["100.64.0.9"],
    "mixed.test": ["127.0.0.1", "192.168.1.20"],
    "v6-ula.test": ["fd00::5"],
    "v6-mapped.test": ["::ffff:127.0.0.2"],
}


def fake_resolver(host: str, port: int) -> list[str]:
    if host not in NAMES:
        raise OSError(f"unknown test name {host}")
    return NAMES[host]


def image_bytes(fmt: str, size: tuple[int, int] = (48, 32), color: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit PNG of width x height black pixels: tens of kilobytes on the wire,
    hundreds of megapixels once decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", b"".join(parts)),
            _png_chunk(b"IEND", b""),
        ]
    )


@dataclass
class Served:
    path: str
    headers: dict[str, str]


@dataclass
class LoopbackServer:
    port: int
    routes: dict[str, Handler]
    requests: list[Served] = field(default_factory=list)
    scheme: str = "http"

    def url(self, path: str, host: str = "cdn.test") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)


def _make_handler(server: LoopbackServer) -> type[http.server.BaseHTTPRequestHandler]:
    class RouteHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server.requests.append(Served(self.path, dict(self.headers.items())))
            handler = server.routes.get(self.path)
            if handler is None:
                send(self, 404, b"not here", "text/plain")
                return
            try:
                handler(self)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the fetcher hung up, as it should on a refused body

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return RouteHandler


def send(
    h: http.server.BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str | None,
    headers: dict[str, str] | None = None,
) -> None:
    h.send_response(status)
    if content_type:
        h.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    if "Content-Length" not in (headers or {}):
        h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def redirect(location: str, status: int = 302) -> Handler:
    return lambda h: send(h, status, b"", None, {"Location": location})


def image(body: bytes, content_type: str) -> Handler:
    return lambda h: send(h, 200, body, content_type)


def endless_chunked(h: http.server.BaseHTTPRequestHandler) -> None:
    """PNG magic, then chunks for ever: no Content-Length to check up front."""
    h.send_response(200)
    h.send_header("Content-Type", "image/png")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    block = b"\x89PNG\r\n\x1a\n" + b"\x00" * (64 * 1024 - 8)
    for _ in range(2000):  # 128 MiB, far past any cap used here
        h.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
    h.wfile.write(b"0\r\n\r\n")


def close_delimited(h: http.server.BaseHTTPRequestHandler) -> None:
    """HTTP/1.0-style body that ends when the server closes: again no length up front."""
    h.close_connection = True
    h.send_response(200)
    h.send_header("Content-Type", "image/png")
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(b"\x89PNG\r\n\x1a\n")
    for _ in range(2000):
        h.wfile.write(b"\x00" * 64 * 1024)


def lying_gzip(h: http.server.BaseHTTPRequestHandler) -> None:
    """A Content-Length of a few kilobytes for a gzip body that inflates to 32 MiB."""
    raw = b"\x89PNG\r\n\x1a\n" + b"\x00" * (32 * 1024 * 1024)
    body = gzip.compress(raw, compresslevel=9)
    send(h, 200, body, "image/png", {"Content-Encoding": "gzip", "Content-Length": str(len(body))})


def huge_declared(h: http.server.BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "image/png")
    h.send_header("Content-Length", str(10**9))
    h.end_headers()
    h.wfile.write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 1024)


def slow_headers(delay: float) -> Handler:
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(delay)
        send(h, 200, image_bytes("PNG"), "image/png")

    return handler


def drip_headers(interval: float) -> Handler:
    """Sends the status line and headers a byte at a time: every read of them succeeds in time,
    the response never gets to its body."""

    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n" + b"X-Padding: " + b"p" * 200
        for i in range(len(head)):
            try:
                h.wfile.write(head[i : i + 1])
                h.wfile.flush()
            except OSError:
                return  # the client gave up, as it should
            time.sleep(interval)

    return handler


def drip(body: bytes, interval: float) -> Handler:
    """Sends a byte at a time: every read succeeds in time, the whole takes for ever."""

    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "image/png")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for i in range(len(body)):
            h.wfile.write(body[i : i + 1])
            h.wfile.flush()
            time.sleep(interval)

    return handler


def flaky(times: int, then: Handler, *, status: int = 503, retry_after: str = "0") -> Handler:
    state = {"left": times}

    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        if state["left"] > 0:
            state["left"] -= 1
            send(h, status, b"busy", "text/plain", {"Retry-After": retry_after})
            return
        then(h)

    return handler


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # refused handshakes and hung-up clients are what these tests provoke


def _serve(
    routes: dict[str, Handler], context: ssl.SSLContext | None = None
) -> Iterator[LoopbackServer]:
    server = LoopbackServer(port=0, routes=routes, scheme="https" if context else "http")
    httpd = _QuietServer(("127.0.0.1", 0), _make_handler(server))
    if context is not None:
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def server() -> Iterator[LoopbackServer]:
    yield from _serve({})


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway CA and a certificate it signed for cdn.test only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Crestwatch test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cdn.test")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("cdn.test")]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    files["ca"].write_bytes(ca_cert.public_bytes(pem))
    files["cert"].write_bytes(cert.public_bytes(pem))
    files["key"].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


@pytest.fixture()
def tls_server(tls_files: dict[str, Path]) -> Iterator[LoopbackServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files["cert"], tls_files["key"])
    sni: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: sni.append(name)  # type: ignore[assignment,misc,func-returns-value]
    for served in _serve({}, context):
        served.sni = sni  # type: ignore[attr-defined]
        yield served


@pytest.fixture()
def fetcher(tmp_path: Path) -> MediaFetcher:
    """Admits only the loopback test server (127.0.0.1), names resolved from NAMES; small
    limits keep the hostile cases fast."""
    return MediaFetcher(
        tmp_path / "media",
        max_bytes=1024 * 1024,
        max_pixels=4_000_000,
        connect_timeout=2.0,
        read_timeout=2.0,
        deadline=5.0,
        tries=1,
        allow_networks=["127.0.0.1/32"],
        resolver=fake_resolver,
    )
