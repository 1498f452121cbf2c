"""Media fetcher: what a page costs with and without the worker pool, and how little of a
hostile body is read before it is refused, measured in one run against a loopback server.

    .venv/bin/python bench/bench_media.py [--images 24] [--latency 0.1] [--workers 4]

The server answers every image after `--latency` seconds (a distant CDN); hostile routes send
128 MiB bodies without a usable length, a decompression bomb, and a byte-at-a-time drip.
"""

from __future__ import annotations

import argparse
import http.server
import io
import logging
import struct
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from pipeline.core.models import Post  # noqa: E402
from pipeline.enrich.media import MediaFetcher  # noqa: E402

HUGE = 128 * 1024 * 1024


def _png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (seed % 256, (seed * 7) % 256, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def _bomb() -> bytes:
    width = height = 20_000
    row = b"\x00" * (1 + width // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    latency = 0.1
    images: dict[str, bytes] = {}
    sent: dict[str, int] = {}

    def _head(self, length: int | None, *, chunked: bool = False) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        if length is not None:
            self.send_header("Content-Length", str(length))
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self) -> None:
        if self.path in self.images:
            time.sleep(self.latency)
            body = self.images[self.path]
            self._head(len(body))
            self.wfile.write(body)
        elif self.path == "/chunked":
            self._head(None, chunked=True)
            block = b"\x89PNG\r\n\x1a\n" + b"\x00" * (64 * 1024 - 8)
            for _ in range(HUGE // len(block)):
                self.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                self.sent["/chunked"] = self.sent.get("/chunked", 0) + len(block)
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/drip":
            body = self.images["/0.png"]
            self._head(len(body))
            for i in range(len(body)):
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
                time.sleep(0.01)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    _Handler.latency = args.latency
    _Handler.images = {f"/{i}.png": _png(i) for i in range(args.images)}
    _Handler.images["/bomb.png"] = _bomb()
    httpd = _Server(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]

    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    def url(path: str) -> str:
        return f"http://cdn.bench:{port}{path}"

    def posts() -> list[Post]:
        return [
            Post.model_validate({
                "platform": "bench", "id": str(i), "created_at": "2026-01-01T00:00:00Z",
                "author": {"id": "a", "handle": "a"}, "media": [{"url": url(f"/{i}.png")}],
            })
            for i in range(args.images)
        ]

    with tempfile.TemporaryDirectory() as tmp:
        def fetcher(workers: int, **limits: object) -> MediaFetcher:
            return MediaFetcher(
                Path(tmp) / f"w{workers}", workers=workers, tries=1, resolver=resolver,
                allow_networks=["127.0.0.1/32"], **limits,  # type: ignore[arg-type]
            )

        timings = {}
        for workers in (1, args.workers):
            page = posts()
            started = time.perf_counter()
            fetcher(workers).fetch_media(page)
            timings[workers] = time.perf_counter() - started
            assert all(p.media[0].path for p in page), "every image should be stored"
        sequential, pooled = timings[1], timings[args.workers]
        print(f"page of {args.images} images, {args.latency * 1000:.0f} ms server latency each")
        print(f"  1 worker:  {sequential:.2f} s ({args.images / sequential:.1f} images/s)")
        print(f"  {args.workers} workers: {pooled:.2f} s ({args.images / pooled:.1f} images/s)")
        print(f"  speed-up: {sequential / pooled:.2f}x")

        guarded = fetcher(1)
        started = time.perf_counter()
        big = guarded.fetch(url("/chunked"))
        took = time.perf_counter() - started
        print(f"128 MiB chunked body, cap {guarded.max_bytes} bytes: {big.reason}")
        print(f"  read {big.size} bytes = {big.size / HUGE:.3f} of the body offered, {took:.2f} s")

        started = time.perf_counter()
        bomb = guarded.fetch(url("/bomb.png"))
        took = time.perf_counter() - started
        print(f"decompression bomb ({len(_Handler.images['/bomb.png'])} bytes): {bomb.reason}")
        print(f"  refused in {took:.2f} s")

        deadline = 1.0
        started = time.perf_counter()
        drip = fetcher(1, deadline=deadline).fetch(url("/drip"))
        took = time.perf_counter() - started
        print(f"byte-at-a-time drip, deadline {deadline:g} s: {drip.reason}")
        print(f"  stopped after {took:.2f} s = {took / deadline:.2f}x the deadline")
    httpd.shutdown()


if __name__ == "__main__":
    main()
