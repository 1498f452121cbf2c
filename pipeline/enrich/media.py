"""The guarded media fetcher: downloads the images posts link to, treating every URL, redirect,
header and byte as hostile, and stores them content-addressed under <data>/media/.

Every fetch either stores an image that Pillow decoded within the limits, or returns the reason
it was refused ("refused: private address 10.0.0.5"); one bad URL never raises. The enricher
`MediaFetcher.fetch_media(posts)` fills `Media.path`/`Media.sha256` or `Media.error`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3
from PIL import Image

from pipeline.core.deadline import SocketWatchdog, deadline_at
from pipeline.core.http import (
    DEFAULT_CONNECT_TIMEOUT,
    PinnedAddressAdapter,
    TransientHTTPError,
    new_session,
    raise_for_transient,
    retry_policy,
)
from pipeline.core.limits import MAX_PIXELS
from pipeline.core.models import Author, Media, Post
from pipeline.enrich.address_policy import AddressPolicy, AddressRefused, IPNetwork, Resolver

if TYPE_CHECKING:
    from pipeline.core.config import OrgConfig

log = logging.getLogger(__name__)

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 15 * MiB
DEFAULT_MAX_REDIRECTS = 3
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_DEADLINE = 30.0  # seconds for one fetch, redirects and retries included
DEFAULT_TRIES = 2
DEFAULT_WORKERS = 4
DEFAULT_PAGE_BUDGET = 120.0  # seconds for all of a page's fetches together

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ImageType:
    mime: str
    extension: str
    pillow_format: str
    magic: Callable[[bytes], bool]


IMAGE_TYPES: dict[str, ImageType] = {
    t.mime: t
    for t in (
        ImageType("image/jpeg", "jpg", "JPEG", lambda b: b.startswith(b"\xff\xd8\xff")),
        ImageType("image/png", "png", "PNG", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
        ImageType("image/gif", "gif", "GIF", lambda b: b[:6] in (b"GIF87a", b"GIF89a")),
        ImageType("image/webp", "webp", "WEBP", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    )
}
# Spellings servers use for the same types.
_MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
_MAGIC_NEEDS = 12  # bytes needed to tell the four types apart

# Pillow's decompression-bomb limit is one process-wide setting, and warning filters are
# process-wide too; decoding under this lock lets each fetcher apply its own limit.
_PILLOW_LIMITS = threading.Lock()


class FetchRefused(Exception):
    """Why one fetch stopped; `kind` is a short machine-readable class (see FetchResult)."""

    def __init__(self, kind: str, reason: str) -> None:
        self.kind = kind
        super().__init__(reason)


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one fetch. `kind` of a refusal is one of: url, address, redirects, http,
    connection, tls, timeout, size, type, decode, error."""

    url: str
    ok: bool
    reason: str | None = None
    kind: str | None = None
    path: Path | None = None
    sha256: str | None = None
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    size: int = 0  # bytes received (decoded), also for refusals
    final_url: str | None = None
    redirects: int = 0


def redact(url: str) -> str:
    """The URL without user info, query or fragment, for logs (signed URLs carry tokens)."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return "<unparseable URL>"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


class MediaFetcher:
    """Fetches images from untrusted URLs within the limits it is built with.

    Defaults: http and https only; public addresses only (`allow_networks` admits chosen
    networks); at most `max_redirects` redirects, each hop checked again; `max_bytes` of
    (decoded) body; Content-Type and magic bytes must both name one of `allowed_types`;
    at most `max_pixels` pixels; `connect_timeout`/`read_timeout` per socket operation and
    `deadline` seconds for the whole fetch; `tries` attempts on 429/5xx/connection errors;
    `page_budget` seconds for all of one page's fetches (`fetch_media`): what is still going or
    not started then is deferred to a later try (`take_deferred`), never dropped.

    `proxy` ("http://proxy.example:3128") sends every fetch through that proxy; without it the
    usual HTTPS_PROXY / HTTP_PROXY / NO_PROXY variables decide. Either way the address checks
    apply to the target itself: its name is resolved and checked here, and the proxy is asked
    for that checked address (CONNECT 203.0.113.7:443), never for the name.
    """

    def __init__(
        self,
        media_dir: Path | str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pixels: int = MAX_PIXELS,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        allowed_types: Collection[str] = tuple(IMAGE_TYPES),
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        tries: int = DEFAULT_TRIES,
        workers: int = DEFAULT_WORKERS,
        allow_networks: Iterable[IPNetwork | str] = (),
        resolver: Resolver | None = None,
        verify: bool | str = True,
        fetch_avatars: bool = True,
        proxy: str | None = None,
        page_budget: float = DEFAULT_PAGE_BUDGET,
    ) -> None:
        unknown = set(allowed_types) - set(IMAGE_TYPES)
        if unknown:
            raise ValueError(f"allowed_types: cannot check magic bytes of {sorted(unknown)}")
        if min(max_bytes, max_pixels, workers, tries) < 1 or max_redirects < 0:
            raise ValueError("limits must be positive (max_redirects may be 0)")
        if page_budget <= 0:
            raise ValueError("page_budget must be positive")
        self.media_dir = Path(media_dir)
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.max_redirects = max_redirects
        self.allowed_types = frozenset(allowed_types)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.tries = tries
        self.workers = workers
        self.policy = AddressPolicy.build(allow_networks=allow_networks, resolver=resolver)
        self.verify = verify
        self.fetch_avatars = fetch_avatars
        self.proxy = proxy
        self.page_budget = page_budget
        self.stage = "media"  # DefersWork
        self._deferred: dict[str, str] = {}  # posts the page budget left unfetched

    @classmethod
    def from_config(cls, config: OrgConfig, **overrides: Any) -> MediaFetcher:
        """The fetcher the config's `media:` section describes, storing under <data>/media."""
        # ocr_workers belongs to the OCR enricher, which shares this section's page budget.
        settings = config.media.model_dump(exclude={"ca_bundle", "ocr_workers"})
        bundle = config.media.ca_bundle
        settings["verify"] = str(config.resolve(bundle)) if bundle else True
        settings.update(overrides)
        return cls(config.data_path() / "media", **settings)

    def __call__(self, posts: list[Post]) -> None:
        """The enricher: `fetch_media`."""
        self.fetch_media(posts)

    # -- one URL -----------------------------------------------------------------------------

    def fetch(self, url: str, *, until: float | None = None) -> FetchResult:
        """Fetch one image; never raises for anything the URL or its server does. `until`
        (time.monotonic) is the page's media budget: a fetch still going then is deferred
        (kind "deferred"), not refused, and is tried again later."""
        started = time.monotonic()
        deadline = started + self.deadline
        if until is not None and until < deadline:
            if until <= started:
                return self._deferred_result(url)
            deadline = until
        # One deadline for the whole fetch, redirects and retries included: it runs from the
        # first connect to the last byte, however slowly the headers arrive.
        with deadline_at(deadline) as watchdog:
            result = self._fetch_under(url, deadline, _Progress(url, watchdog))
        if result.kind == "timeout" and until is not None and deadline == until:
            result = self._deferred_result(url, result.size)
        elapsed = time.monotonic() - started
        if result.ok:
            log.debug("fetched %s (%d bytes, %.2f s)", redact(url), result.size, elapsed)
        else:
            log.info("media %s: %s (%.2f s)", redact(url), result.reason, elapsed)
        return result

    def _deferred_result(self, url: str, size: int = 0) -> FetchResult:
        return FetchResult(
            url=url, ok=False, kind="deferred", size=size,
            reason=f"deferred: the page's media budget ({self.page_budget:g} s) was spent",
        )

    def _fetch_under(self, url: str, deadline: float, state: _Progress) -> FetchResult:
        try:
            return self._fetch_in_time(url, deadline, state)
        except FetchRefused as refused:
            return FetchResult(
                url=url, ok=False, reason=str(refused), kind=refused.kind, size=state.size,
                final_url=state.url, redirects=state.redirects,
            )
        except Exception as exc:  # noqa: BLE001 - one hostile URL must not stop the page
            log.exception("media fetch of %s failed unexpectedly", redact(url))
            return FetchResult(
                url=url, ok=False, reason=f"failed: unexpected {type(exc).__name__}",
                kind="error", size=state.size, final_url=state.url, redirects=state.redirects,
            )

    def _fetch_in_time(self, url: str, deadline: float, state: _Progress) -> FetchResult:
        try:
            return self._fetch(url, deadline, state)
        except (FetchRefused, requests.RequestException, urllib3.exceptions.HTTPError, OSError):
            if state.watchdog.expired.is_set():
                # Whatever the shut socket broke, the reason is the deadline.
                raise FetchRefused(
                    "timeout", f"refused: timed out (fetch took longer than {self.deadline:g} s)"
                ) from None
            raise

    def _fetch(self, url: str, deadline: float, state: _Progress) -> FetchResult:
        body, declared = self._download(url, deadline, state)
        image_type = self._sniff(body, declared)
        width, height = self._decode(body, image_type)
        sha256, path = self._store(body, image_type)
        return FetchResult(
            url=url, ok=True, path=path, sha256=sha256, mime=image_type.mime, width=width,
            height=height, size=len(body), final_url=state.url, redirects=state.redirects,
        )

    def _download(self, url: str, deadline: float, state: _Progress) -> tuple[bytes, ImageType]:
        current = url
        for hop in range(self.max_redirects + 1):
            state.url, state.redirects = current, hop
            response = self._request(current, deadline)
            if response.status_code in _REDIRECTS:
                location = response.headers.get("Location")
                response.close()
                if not location:
                    raise FetchRefused(
                        "http", f"failed: HTTP {response.status_code} without Location"
                    )
                current = urljoin(current, location)
                continue
            try:
                if response.status_code != 200:
                    raise FetchRefused("http", f"failed: HTTP {response.status_code}")
                declared = self._declared_type(response)
                self._check_length(response)
                return self._read_body(response, deadline, state, declared), declared
            finally:
                response.close()
        raise FetchRefused(
            "redirects", f"refused: too many redirects (more than {self.max_redirects})"
        )

    def _target(self, url: str) -> tuple[str, str, int]:
        """The prepared URL (host IDNA-encoded, as it will be sent), its host and port."""
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            raise FetchRefused("url", "refused: not a valid URL") from None
        if scheme not in ("http", "https"):
            raise FetchRefused("url", f"refused: scheme {scheme or '(none)'!r} is not http(s)")
        try:
            prepared = requests.Request("GET", url).prepare().url or ""
            parts = urlsplit(prepared)
            port = parts.port or (443 if scheme == "https" else 80)
        except (requests.RequestException, ValueError):
            raise FetchRefused("url", "refused: not a valid URL") from None
        if parts.username is not None or parts.password is not None:
            raise FetchRefused("url", "refused: URL carries credentials")
        if not parts.hostname:
            raise FetchRefused("url", "refused: URL has no host")
        return prepared, parts.hostname, port

    def _request(self, url: str, deadline: float) -> requests.Response:
        prepared, host, port = self._target(url)
        try:
            address = self.policy.resolve(host, port)
        except AddressRefused as exc:
            raise FetchRefused("address", f"refused: {exc}") from None
        policy = retry_policy(tries=self.tries, max_wait=self.deadline, deadline=deadline)
        try:
            for attempt in policy:
                with attempt:
                    response = self._send(prepared, address, deadline)
                    try:
                        raise_for_transient(response)
                    except TransientHTTPError:
                        response.close()
                        raise
        except TransientHTTPError as exc:
            raise FetchRefused("http", f"failed: {exc}") from None
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            raise FetchRefused("timeout", f"refused: timed out waiting for {host}") from None
        except requests.exceptions.ProxyError:
            raise FetchRefused(
                "connection", f"failed: the proxy did not connect to {host}"
            ) from None
        except requests.exceptions.SSLError as exc:
            reason = _tls_reason(exc)
            raise FetchRefused("tls", f"failed: TLS error with {host}: {reason}") from None
        except requests.ConnectionError:
            raise FetchRefused("connection", f"failed: cannot connect to {host}") from None
        return response

    def _send(self, url: str, address: str, deadline: float) -> requests.Response:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise requests.Timeout("deadline passed")
        session = new_session(
            connect_timeout=min(self.connect_timeout, remaining),
            read_timeout=min(self.read_timeout, remaining),
        )
        # Nothing from the environment (a .netrc, proxies) is taken implicitly; the proxy, if
        # any, is given below and asked for the checked address (PinnedAddressAdapter).
        session.trust_env = False
        # Its connections are under the fetch's deadline (deadline_at, in fetch).
        adapter = PinnedAddressAdapter(address, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        accept = ", ".join(sorted(self.allowed_types))
        try:
            return session.get(
                url,
                stream=True,
                allow_redirects=False,
                verify=self.verify,
                # Images gain nothing from compression; a server that compresses anyway is
                # still held to max_bytes of decoded body.
                headers={"Accept": accept, "Accept-Encoding": "identity"},
                proxies=self._proxies(url),
            )
        finally:
            # The response keeps its connection; closing the session only drops the pool.
            session.close()

    def _proxies(self, url: str) -> dict[str, str]:
        if self.proxy:
            return {"http": self.proxy, "https": self.proxy}
        # HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY, read the way requests reads them.
        return requests.utils.get_environ_proxies(url)

    def _declared_type(self, response: requests.Response) -> ImageType:
        raw = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        mime = _MIME_ALIASES.get(raw, raw)
        if mime not in self.allowed_types:
            shown = raw or "(none)"
            raise FetchRefused("type", f"refused: Content-Type {shown} is not an allowed image")
        return IMAGE_TYPES[mime]

    def _check_length(self, response: requests.Response) -> None:
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchRefused(
                "size", f"refused: too large (Content-Length {declared} > {self.max_bytes} bytes)"
            )

    def _read_body(
        self, response: requests.Response, deadline: float, state: _Progress, declared: ImageType
    ) -> bytes:
        raw = response.raw
        expired = threading.Event()

        def cut_off() -> None:
            # A server dripping one byte at a time never trips the read timeout; shutting the
            # socket down wakes the blocked read as soon as the deadline passes.
            expired.set()
            try:
                raw.shutdown()
            except (OSError, ValueError, RuntimeError):
                pass

        timer = threading.Timer(max(0.0, deadline - time.monotonic()), cut_off)
        timer.daemon = True
        timer.start()
        body = bytearray()
        sniffed = False
        try:
            while True:
                chunk = raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    break
                body += chunk
                state.size = len(body)
                if len(body) > self.max_bytes:
                    raise FetchRefused(
                        "size", f"refused: too large (more than {self.max_bytes} bytes)"
                    )
                if not sniffed and len(body) >= _MAGIC_NEEDS:
                    # Wrong magic bytes end the download here, not after max_bytes of it.
                    self._sniff(bytes(body), declared)
                    sniffed = True
                if expired.is_set():
                    break
        except FetchRefused:
            raise
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if not expired.is_set():
                if isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
                    raise FetchRefused("timeout", "refused: timed out reading the body") from None
                if isinstance(exc, urllib3.exceptions.DecodeError):
                    raise FetchRefused("type", "refused: bad Content-Encoding") from None
                raise FetchRefused("connection", "failed: connection broken mid-body") from None
        finally:
            timer.cancel()
        if expired.is_set():
            raise FetchRefused(
                "timeout", f"refused: timed out (fetch took longer than {self.deadline:g} s)"
            )
        return bytes(body)

    def _sniff(self, body: bytes, declared: ImageType) -> ImageType:
        head = body[:_MAGIC_NEEDS]
        actual = next((t for t in IMAGE_TYPES.values() if t.magic(head)), None)
        if actual is None:
            raise FetchRefused(
                "type", f"refused: content is not an image (declared {declared.mime})"
            )
        if actual is not declared:
            raise FetchRefused(
                "type", f"refused: declared {declared.mime} but content is {actual.mime}"
            )
        return actual

    def _decode(self, body: bytes, image_type: ImageType) -> tuple[int, int]:
        formats = [image_type.pillow_format]
        with _PILLOW_LIMITS, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            saved = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = self.max_pixels
            try:
                # Only the sniffed format's decoder may run: Pillow would otherwise try every
                # plugin it has on bytes a stranger chose.
                with Image.open(BytesIO(body), formats=formats) as image:
                    image.verify()
                with Image.open(BytesIO(body), formats=formats) as image:
                    image.load()
                    return image.size
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                # Pillow's message quotes its own doubled limit for the hard error; say ours.
                found = re.search(r"\((\d+) pixels\)", str(exc))
                size = f"{found.group(1)} pixels" if found else "too many pixels"
                raise FetchRefused(
                    "decode", f"refused: decompression bomb ({size} > {self.max_pixels})"
                ) from None
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise FetchRefused("decode", f"refused: cannot decode image ({exc})") from None
            finally:
                Image.MAX_IMAGE_PIXELS = saved

    def _store(self, body: bytes, image_type: ImageType) -> tuple[str, Path]:
        sha256 = hashlib.sha256(body).hexdigest()
        folder = self.media_dir / sha256[:2]
        path = folder / f"{sha256}.{image_type.extension}"
        if path.exists():
            return sha256, path
        folder.mkdir(parents=True, exist_ok=True)
        # Write aside and rename: a crash or a concurrent fetch of the same image never
        # leaves a half-written file under the final name.
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha256, path

    # -- a page of posts ---------------------------------------------------------------------

    def fetch_media(self, posts: Sequence[Post]) -> None:
        """Enricher: fetch every image of the page (each URL once, a few at a time) and record
        the outcome on its Media (path and sha256, or error). Media already on disk are only
        hashed; other media types are not fetched. Fetches still going when the page's budget
        is spent, and those not started by then, are deferred (`take_deferred`)."""
        media_jobs: dict[str, list[Media]] = {}
        profile_jobs: dict[str, list[tuple[Author, str]]] = {}
        wanted_by_post: dict[str, list[str]] = {}
        for post in posts:
            wanted = wanted_by_post.setdefault(post.doc_id, [])
            for media in post.media:
                if media.path:
                    hash_local(media)
                elif media.type != "image":
                    media.error = f"not fetched: only images are fetched, not {media.type}"
                else:
                    media_jobs.setdefault(media.url, []).append(media)
                    wanted.append(media.url)
            if self.fetch_avatars:
                for kind, url in _profile_images(post.author):
                    profile_jobs.setdefault(url, []).append((post.author, kind))
                    wanted.append(url)
        urls = list(dict.fromkeys([*media_jobs, *profile_jobs]))
        if not urls:
            return
        # The page's budget bounds the whole stage, not only each fetch: a page of slow servers
        # would otherwise hold the source for pages x fetches x the deadline.
        until = time.monotonic() + self.page_budget
        with ThreadPoolExecutor(max_workers=min(self.workers, len(urls))) as pool:
            fetched = pool.map(lambda url: self.fetch(url, until=until), urls)
            results = dict(zip(urls, fetched, strict=True))
        for url, items in media_jobs.items():
            for media in items:
                _apply(media, results[url])
        for url, owners in profile_jobs.items():
            for author, kind in owners:
                _apply_profile_image(author, kind, results[url])
        for doc_id, wanted in wanted_by_post.items():
            late = [url for url in wanted if results[url].kind == "deferred"]
            if late:
                self._deferred[doc_id] = (f"{results[late[0]].reason}: {len(late)} of its "
                                          f"{len(wanted)} images not fetched")

    def take_deferred(self) -> dict[str, str]:
        """Posts whose images the page's budget left unfetched (doc id -> why), since last
        asked: the runner holds them for `crestwatch quarantine retry`, after storing what was
        read of them."""
        deferred, self._deferred = self._deferred, {}
        return deferred


@dataclass
class _Progress:
    """How far a fetch got, for the refusal record."""

    url: str
    watchdog: SocketWatchdog
    redirects: int = 0
    size: int = 0


def _tls_reason(exc: BaseException) -> str:
    # The innermost ssl error says what was wrong (hostname mismatch, unknown issuer); the
    # outer wrappers only repeat the URL.
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        message = getattr(current, "verify_message", None)
        if message:
            return str(message)
        if type(current).__name__ == "CertificateError":  # urllib3's own host-name check
            return str(current)
        nested = getattr(current, "reason", None)
        if isinstance(nested, BaseException):
            current = nested
            continue
        args = [a for a in current.args if isinstance(a, BaseException)]
        current = args[0] if args else current.__cause__ or current.__context__
    return "handshake failed"


def _apply(media: Media, result: FetchResult) -> None:
    if result.ok:
        media.path, media.sha256, media.error = str(result.path), result.sha256, None
    else:
        media.error = result.reason


def _profile_images(author: Author) -> list[tuple[str, str]]:
    """(kind, url) of the author's avatar and banner not yet on disk. A banner URL is an
    open field (`banner_url`) for sources whose platform has one."""
    banner_url = (author.model_extra or {}).get("banner_url")
    wanted = [("avatar", author.avatar_url, author.avatar_path),
              ("banner", banner_url, author.banner_path)]
    return [(kind, url) for kind, url, path in wanted if isinstance(url, str) and url and not path]


def _apply_profile_image(author: Author, kind: str, result: FetchResult) -> None:
    # The path is a declared field the image detectors read; the outcome's details go in open
    # fields beside it (`avatar_sha256`, `avatar_error`), like Media's.
    setattr(author, f"{kind}_path", str(result.path) if result.ok else None)
    setattr(author, f"{kind}_sha256", result.sha256)
    setattr(author, f"{kind}_error", result.reason)


def hash_local(media: Media, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Media already on disk (demo samples, scanned files): record their sha256. Only a regular
    file within the size limit is read (a device or a pipe would never end); where the path may
    lead is checked when the post is read (pipeline.core.jsonl.resolve_media_paths)."""
    path = Path(media.path or "")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            media.error = "local file refused: not a regular file within the size limit"
            return
        media.sha256 = sha256_file(path)
    except OSError as exc:
        media.error = f"local file unreadable: {exc.strerror or exc}"


def hash_local_media(posts: Sequence[Post]) -> None:
    """Enricher for offline runs: hash media already on disk, fetch nothing."""
    for post in posts:
        for media in post.media:
            if media.path:
                hash_local(media)
