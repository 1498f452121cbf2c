"""Serve the evidence images to the brand team's browser, so Kibana's links open.

A logo hit's `evidence.image_url` is a `file://` link unless the logo detector has an
`evidence_base_url`; a browser opening Kibana cannot follow `file://` links into a container's
volume. This server answers `GET <base>/<detector>/<name>.png` from `<data>/evidence` and
nothing else: no folder listings (the file names are hashes of the images, and a listing would
hand anyone who reaches the port every evidence image at once), no file outside the folder,
no file that is not an image, no other method.

`crestwatch evidence-server` runs it; docker-compose runs it as the `evidence` service on
loopback, behind the same proxy as Kibana.
"""

from __future__ import annotations

import logging
import mimetypes
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

# What the detectors write there (detectors/logo/evidence.py writes PNG).
SERVED_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})


def resolve_request(root: Path, request_path: str) -> Path | None:
    """The file a request path names inside `root`, or None for anything that is not an
    evidence image there (a folder, a link leading out, `..`, another kind of file)."""
    relative = unquote(urlsplit(request_path).path).lstrip("/")
    if not relative or "\x00" in relative:
        return None
    root = root.resolve()
    try:
        target = (root / relative).resolve()
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(root) or target.suffix.lower() not in SERVED_SUFFIXES:
        return None
    return target if target.is_file() else None


def make_handler(root: Path) -> type[BaseHTTPRequestHandler]:
    class EvidenceHandler(BaseHTTPRequestHandler):
        server_version = "crestwatch-evidence"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._answer(with_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(with_body=False)

        def _answer(self, *, with_body: bool) -> None:
            target = resolve_request(root, self.path)
            if target is None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            body = target.read_bytes()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type",
                             mimetypes.guess_type(target.name)[0] or "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            # Personal data of the public: never kept by a shared cache, never sniffed as HTML.
            self.send_header("Cache-Control", "private, max-age=3600")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            log.info("evidence %s", format % args)

    return EvidenceHandler


def make_server(root: Path, host: str, port: int) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), make_handler(root))
