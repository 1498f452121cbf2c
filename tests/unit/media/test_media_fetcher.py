"""The guarded media fetcher against a real HTTP server on loopback, playing CDN and attacker."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from PIL import Image

from pipeline.enrich.media import MediaFetcher

from .conftest import (
    LoopbackServer,
    bomb_png,
    close_delimited,
    drip,
    endless_chunked,
    fake_resolver,
    flaky,
    huge_declared,
    image,
    image_bytes,
    lying_gzip,
    redirect,
    send,
    slow_headers,
)


@pytest.mark.parametrize(
    ("fmt", "mime", "ext"),
    [
        ("PNG", "image/png", "png"),
        ("JPEG", "image/jpeg", "jpg"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_fetches_each_allowed_type_and_stores_it_by_content(
    server: LoopbackServer, fetcher: MediaFetcher, fmt: str, mime: str, ext: str
) -> None:
    body = image_bytes(fmt)
    server.routes["/img"] = image(body, f"{mime}; charset=binary")
    result = fetcher.fetch(server.url("/img"))
    digest = hashlib.sha256(body).hexdigest()
    assert result.ok, result.reason
    assert result.sha256 == digest
    assert result.path == fetcher.media_dir / digest[:2] / f"{digest}.{ext}"
    assert result.path.read_bytes() == body
    assert (result.mime, result.width, result.height) == (mime, 48, 32)


def test_request_names_the_host_and_the_project_while_connecting_to_the_checked_address(
    server: LoopbackServer, fetcher: MediaFetcher
) -> None:
    server.routes["/img"] = image(image_bytes("PNG"), "image/png")
    # "cdn.test" exists only in the injected resolver: if anything resolved it again, the
    # test network block would refuse the lookup.
    assert fetcher.fetch(server.url("/img")).ok
    headers = server.requests[-1].headers
    assert headers["Host"] == f"cdn.test:{server.port}"
    assert headers["User-Agent"].startswith("Crestwatch/")
    assert "+https://github.com/crestwatch/crestwatch" in headers["User-Agent"]


def test_same_image_from_two_urls_is_stored_once(
    server: LoopbackServer, fetcher: MediaFetcher
) -> None:
    body = image_bytes("PNG")
    server.routes["/a.png"] = image(body, "image/png")
    server.routes["/b.png"] = image(body, "image/png")
    first, second = fetcher.fetch(server.url("/a.png")), fetcher.fetch(server.url("/b.png"))
    assert first.ok and second.ok
    assert first.path == second.path
    stored = [p for p in fetcher.media_dir.rglob("*") if p.is_file()]
    assert stored == [first.path]


# -- addresses and redirects -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://evil.test/a.png", "refused: private address 10.0.0.5"),
        ("http://metadata.test/latest/meta-data/", "refused: link-local address 169.254.169.254"),
        ("http://cgnat.test/a.png", "refused: carrier-grade NAT address 100.64.0.9"),
        ("http://mixed.test/a.png", "refused: private address 192.168.1.20"),
        ("http://v6-ula.test/a.png", "refused: private address fd00::5"),
        (
            "http://v6-mapped.test/a.png",
            "refused: loopback (IPv4 127.0.0.2 inside IPv6) address ::ffff:",
        ),
        ("http://169.254.169.254/latest/meta-data/", "refused: link-local address 169.254.169.254"),
        ("http://[::1]/a.png", "refused: loopback address ::1"),
        ("http://[fe80::1]/a.png", "refused: link-local address fe80::1"),
        (
            "http://[::ffff:10.0.0.5]/a.png",
            "refused: private (IPv4 10.0.0.5 inside IPv6) address ::ffff:",
        ),
        ("http://nowhere.test/a.png", "refused: cannot resolve nowhere.test"),
        ("ftp://cdn.test/a.png", "refused: scheme 'ftp' is not http(s)"),
        ("file:///etc/passwd", "refused: scheme 'file' is not http(s)"),
        ("gopher://cdn.test/", "refused: scheme 'gopher' is not http(s)"),
        ("cdn.test/a.png", "refused: scheme '(none)' is not http(s)"),
        ("http://user:secret@cdn.test/a.png", "refused: URL carries credentials"),
        ("http:///a.png", "refused: "),
    ],
)
def test_refused_before_any_connection(fetcher: MediaFetcher, url: str, reason: str) -> None:
    result = fetcher.fetch(url)
    assert not result.ok
    assert result.reason is not None and result.reason.startswith(reason), result.reason
    assert "secret" not in result.reason


def test_public_name_resolving_to_a_private_address_is_refused(
    server: LoopbackServer, tmp_path: Path
) -> None:
    # The default policy (no allow-list) refuses even the test server's real loopback address.
    server.routes["/img"] = image(image_bytes("PNG"), "image/png")
    strict = MediaFetcher(tmp_path / "m", resolver=fake_resolver, tries=1)
    result = strict.fetch(server.url("/img"))
    assert (result.ok, result.kind) == (False, "address")
    assert result.reason == "refused: loopback address 127.0.0.1"
    assert server.requests == []


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        (
            "http://169.254.169.254/latest/meta-data/iam/",
            "refused: link-local address 169.254.169.254",
        ),
        ("//169.254.169.254/latest/", "refused: link-local address 169.254.169.254"),
        ("http://internal.test/secret.png", "refused: private address 10.0.0.7"),
        ("http://[::1]:8080/a.png", "refused: loopback address ::1"),
        ("ftp://cdn.test/a.png", "refused: scheme 'ftp' is not http(s)"),
        ("file:///etc/passwd", "refused: scheme 'file' is not http(s)"),
    ],
)
def test_every_redirect_hop_is_checked_again(
    server: LoopbackServer, fetcher: MediaFetcher, location: str, reason: str
) -> None:
    server.routes["/go"] = redirect(location)
    result = fetcher.fetch(server.url("/go"))
    assert (result.ok, result.reason, result.redirects) == (False, reason, 1)
    assert server.hits("/go") == 1


def test_follows_up_to_three_redirects_then_refuses(
    server: LoopbackServer, fetcher: MediaFetcher
) -> None:
    server.routes["/img"] = image(image_bytes("PNG"), "image/png")
    for hop in range(1, 5):
        target = "/img" if hop == 1 else f"/r{hop - 1}"
        server.routes[f"/r{hop}"] = redirect(server.url(target, host="other.test"), status=301)
    three = fetcher.fetch(server.url("/r3"))
    assert three.ok and three.redirects == 3
    assert three.final_url == server.url("/img", host="other.test")
    four = fetcher.fetch(server.url("/r4"))
    assert (four.ok, four.kind) == (False, "redirects")
    assert four.reason == "refused: too many redirects (more than 3)"
    assert server.hits("/img") == 1  # the fourth redirect was not followed


def test_redirect_loop_ends_as_too_many_redirects(
    server: LoopbackServer, fetcher: MediaFetcher
) -> None:
    server.routes["/loop"] = redirect("/loop", status=307)
    result = fetcher.fetch(server.url("/loop"))
    assert result.kind == "redirects"
    assert server.hits("/loop") == 4


# -- size ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        (endless_chunked, "refused: too large (more than 1048576 bytes)"),
        (close_delimited, "refused: too large (more than 1048576 bytes)"),
        (lying_gzip, "refused: too large (more than 1048576 bytes)"),
        (huge_declared, "refused: too large (Content-Length 1000000000 > 1048576 bytes)"),
    ],
    ids=[
        "chunked-no-length",
        "close-delimited-no-length",
        "gzip-inflates-past-length",
        "declared-too-large",
    ],
)
def test_size_cap_stops_the_download(
    server: LoopbackServer,
    fetcher: MediaFetcher,
    handler,
    reason: str,  # type: ignore[no-untyped-def]
) -> None:
    server.routes["/big"] = handler
    started = time.monotonic()
    result = fetcher.fetch(server.url("/big"))
    assert (result.ok, result.kind, result.reason) == (False, "size", reason)
    # Aborted as soon as the cap was crossed: at most one read past it.
    assert result.size <= fetcher.max_bytes + 64 * 1024
    assert time.monotonic() - started < 3
    assert not any(p.is_file() for p in fetcher.media_dir.rglob("*"))


def test_declared_length_is_refused_before_reading_the_body(
    server: LoopbackServer, fetcher: MediaFetcher
) -> None:
    server.routes["/big"] = huge_declared
    assert fetcher.fetch(server.url("/big")).size == 0


# -- type, magic bytes, decoding -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (
            b"<html>hi</html>",
            "text/html",
            "refused: Content-Type text/html is not an allowed image",
        ),
        (b"\x89PNG\r\n\x1a\n", None, "refused: Content-Type (none) is not an allowed image"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            "image/svg+xml",
            "refused: Content-Type image/svg+xml is not an allowed image",
        ),
        (
            b"<html><body>not a picture</body></html>",
            "image/png",
            "refused: content is not an image (declared image/png)",
        ),
        (image_bytes("JPEG"), "image/png", "refused: declared image/png but content is image/jpeg"),
        (image_bytes("GIF"), "image/webp", "refused: declared image/webp but content is image/gif"),
        (b"\x89PNG", "image/png", "refused: content is not an image (declared image/png)"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png", "refused: cannot decode image"),
        (image_bytes("PNG")[:60], "image/png", "refused: cannot decode image"),
        (image_bytes("JPEG", (400, 300))[:900], "image/jpeg", "refused: cannot decode image"),
    ],
    ids=[
        "html",
        "no-type",
        "svg",
        "fake-magic",
        "jpeg-as-png",
        "gif-as-webp",
        "too-short",
        "png-garbage",
        "png-truncated",
        "jpeg-truncated",
    ],
)
def test_type_and_magic_must_agree_and_decode(
    server: LoopbackServer,
    fetcher: MediaFetcher,
    body: bytes,
    content_type: str | None,
    reason: str,
) -> None:
    server.routes["/x"] = lambda h: send(h, 200, body, content_type)
    result = fetcher.fetch(server.url("/x"))
    assert not result.ok
    assert result.reason is not None and result.reason.startswith(reason), result.reason
    assert not any(p.is_file() for p in fetcher.media_dir.rglob("*"))


def test_jpg_alias_is_accepted(server: LoopbackServer, fetcher: MediaFetcher) -> None:
    server.routes["/x"] = image(image_bytes("JPEG"), "image/jpg")
    assert fetcher.fetch(server.url("/x")).ok


def test_decompression_bomb_is_refused(server: LoopbackServer, fetcher: MediaFetcher) -> None:
    bomb = bomb_png()
    assert len(bomb) < 100_000  # small on the wire ...
    server.routes["/bomb.png"] = image(bomb, "image/png")
    saved = Image.MAX_IMAGE_PIXELS
    result = fetcher.fetch(server.url("/bomb.png"))
    assert (result.ok, result.kind) == (False, "decode")
    assert result.reason is not None and result.reason.startswith("refused: decompression bomb")
    # ... 20000 x 20000 once decoded, against this fetcher's own limit.
    assert result.reason == "refused: decompression bomb (400000000 pixels > 4000000)"
    assert Image.MAX_IMAGE_PIXELS == saved  # the per-fetcher limit did not leak


def test_pixel_limit_is_per_fetcher(
    server: LoopbackServer, fetcher: MediaFetcher, tmp_path: Path
) -> None:
    server.routes["/x.png"] = image(image_bytes("PNG", (100, 100)), "image/png")
    tight = MediaFetcher(
        tmp_path / "tight",
        max_pixels=5_000,
        allow_networks=["127.0.0.1/32"],
        resolver=fake_resolver,
        tries=1,
    )
    refused = tight.fetch(server.url("/x.png"))
    assert refused.reason == "refused: decompression bomb (10000 pixels > 5000)"
    assert fetcher.fetch(server.url("/x.png")).ok


# -- time ------------------------------------------------------------------------------------


def test_read_timeout_waiting_for_headers(server: LoopbackServer, tmp_path: Path) -> None:
    server.routes["/slow"] = slow_headers(1.5)
    quick = MediaFetcher(
        tmp_path / "m",
        read_timeout=0.3,
        deadline=5,
        tries=1,
        allow_networks=["127.0.0.1/32"],
        resolver=fake_resolver,
    )
    started = time.monotonic()
    result = quick.fetch(server.url("/slow"))
    assert (result.ok, result.kind) == (False, "timeout")
    assert result.reason == "refused: timed out waiting for cdn.test"
    assert time.monotonic() - started < 1.2


def test_deadline_cuts_off_a_server_that_drips(server: LoopbackServer, tmp_path: Path) -> None:
    # Every byte arrives well within the read timeout; only the total deadline can stop it.
    server.routes["/drip"] = drip(image_bytes("PNG"), interval=0.05)
    quick = MediaFetcher(
        tmp_path / "m",
        read_timeout=2,
        deadline=0.8,
        tries=1,
        allow_networks=["127.0.0.1/32"],
        resolver=fake_resolver,
    )
    started = time.monotonic()
    result = quick.fetch(server.url("/drip"))
    elapsed = time.monotonic() - started
    assert (result.ok, result.kind) == (False, "timeout")
    assert result.reason == "refused: timed out (fetch took longer than 0.8 s)"
    assert 0.7 < elapsed < 1.5
    assert 0 < result.size < len(image_bytes("PNG"))


# -- HTTP errors and retries -----------------------------------------------------------------


def test_transient_errors_are_retried_within_the_deadline(
    server: LoopbackServer, tmp_path: Path
) -> None:
    server.routes["/busy"] = flaky(1, image(image_bytes("PNG"), "image/png"))
    patient = MediaFetcher(
        tmp_path / "m", tries=2, allow_networks=["127.0.0.1/32"], resolver=fake_resolver
    )
    assert patient.fetch(server.url("/busy")).ok
    assert server.hits("/busy") == 2


def test_retry_after_beyond_the_deadline_gives_up_at_once(
    server: LoopbackServer, tmp_path: Path
) -> None:
    server.routes["/busy"] = flaky(5, image(b"", "image/png"), status=429, retry_after="3600")
    patient = MediaFetcher(
        tmp_path / "m", tries=3, allow_networks=["127.0.0.1/32"], resolver=fake_resolver
    )
    started = time.monotonic()
    result = patient.fetch(server.url("/busy"))
    assert result.reason == "failed: HTTP 429, Retry-After 3600 s"
    assert server.hits("/busy") == 1
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("status", [404, 403, 410])
def test_client_errors_are_reported_not_retried(
    server: LoopbackServer, fetcher: MediaFetcher, status: int
) -> None:
    server.routes["/gone"] = lambda h: send(h, status, b"no", "text/plain")
    result = fetcher.fetch(server.url("/gone"))
    assert (result.kind, result.reason) == ("http", f"failed: HTTP {status}")
    assert server.hits("/gone") == 1


def test_closed_port_is_a_connection_failure(fetcher: MediaFetcher) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = fetcher.fetch(f"http://cdn.test:{port}/a.png")
    assert (result.kind, result.reason) == ("connection", "failed: cannot connect to cdn.test")


# -- TLS with a pinned address ---------------------------------------------------------------


def test_https_keeps_sni_and_certificate_check_on_the_host_name(
    tls_server: LoopbackServer, tls_files: dict[str, Path], tmp_path: Path
) -> None:
    tls_server.routes["/img.png"] = image(image_bytes("PNG"), "image/png")
    secure = MediaFetcher(
        tmp_path / "m",
        verify=str(tls_files["ca"]),
        tries=1,
        allow_networks=["127.0.0.1/32"],
        resolver=fake_resolver,
    )
    result = secure.fetch(tls_server.url("/img.png"))
    assert result.ok, result.reason
    assert tls_server.sni == ["cdn.test"]  # type: ignore[attr-defined]
    assert tls_server.requests[-1].headers["Host"] == f"cdn.test:{tls_server.port}"
    # Same address, other name: the certificate (for cdn.test only) must not be accepted.
    wrong = secure.fetch(tls_server.url("/img.png", host="other.test"))
    assert (wrong.ok, wrong.kind) == (False, "tls")
    assert wrong.reason == (
        "failed: TLS error with other.test: hostname 'other.test' doesn't match 'cdn.test'"
    )
    # And an unknown issuer is refused too.
    untrusted = MediaFetcher(
        tmp_path / "u", tries=1, allow_networks=["127.0.0.1/32"], resolver=fake_resolver
    ).fetch(tls_server.url("/img.png"))
    assert untrusted.reason == (
        "failed: TLS error with cdn.test: unable to get local issuer certificate"
    )


# -- the test network block ------------------------------------------------------------------


def test_loopback_is_reachable_under_the_test_network_block(
    server: LoopbackServer, tmp_path: Path
) -> None:
    # No injected resolver: the IP literal and "localhost" go through the real socket calls
    # that tests/conftest.py guards, which must let loopback through.
    server.routes["/img"] = image(image_bytes("PNG"), "image/png")
    loopback = MediaFetcher(tmp_path / "m", tries=1, allow_networks=["127.0.0.0/8", "::1/128"])
    assert loopback.fetch(f"http://127.0.0.1:{server.port}/img").ok
    assert loopback.fetch(f"http://localhost:{server.port}/img").ok


def test_a_lookup_the_test_block_refuses_ends_the_fetch_without_raising(tmp_path: Path) -> None:
    # The default resolver asks getaddrinfo, which tests/conftest.py refuses for real names.
    result = MediaFetcher(tmp_path / "m", tries=1).fetch("http://cdn.example.org/a.png")
    assert (result.ok, result.path) == (False, None)
    assert result.reason is not None and result.reason.startswith("failed: unexpected")
    assert not (tmp_path / "m").exists()
