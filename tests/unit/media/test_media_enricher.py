"""The media enricher on a page of posts, and how build_enrichers wires it."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

from pipeline.core.config import OrgConfig
from pipeline.core.models import Post
from pipeline.enrich.base import build_enrichers
from pipeline.enrich.media import MediaFetcher, hash_local_media

from .conftest import LoopbackServer, drip_headers, fake_resolver, image, image_bytes, send


def _post(post_id: str, media: list[dict[str, object]], avatar: str | None = None) -> Post:
    return Post.model_validate(
        {
            "platform": "x",
            "id": post_id,
            "created_at": "2026-11-20T10:00:00Z",
            "text": "look at this",
            "author": {"id": "a1", "handle": "someone", "avatar_url": avatar},
            "media": media,
        }
    )


def test_fetch_media_fills_paths_and_errors_fetching_each_url_once(
    server: LoopbackServer, fetcher: MediaFetcher, tmp_path: Path
) -> None:
    body = image_bytes("PNG")
    server.routes["/ok.png"] = image(body, "image/png")
    server.routes["/page.html"] = lambda h: send(h, 200, b"<html></html>", "text/html")
    server.routes["/avatar.jpg"] = image(image_bytes("JPEG", (20, 20)), "image/jpeg")
    local = tmp_path / "sample.png"
    local.write_bytes(image_bytes("PNG", (8, 8)))
    ok, html = server.url("/ok.png"), server.url("/page.html")
    posts = [
        _post("1", [{"url": ok}, {"url": html}], avatar=server.url("/avatar.jpg")),
        _post("2", [{"url": ok}, {"url": "http://evil.test/x.png"}]),
        _post(
            "3",
            [
                {"url": "https://cdn.test/clip.mp4", "type": "video"},
                {"url": "https://cdn.test/gone.png", "path": str(local)},
            ],
        ),
    ]

    fetcher.fetch_media(posts)

    first, bad = posts[0].media
    digest = hashlib.sha256(body).hexdigest()
    assert (first.sha256, first.error) == (digest, None)
    assert Path(first.path or "").read_bytes() == body
    assert bad.path is None
    assert bad.error == "refused: Content-Type text/html is not an allowed image"
    assert posts[1].media[0].path == first.path
    assert posts[1].media[1].error == "refused: private address 10.0.0.5"
    video, on_disk = posts[2].media
    assert video.error == "not fetched: only images are fetched, not video"
    assert (on_disk.path, on_disk.sha256) == (
        str(local),
        hashlib.sha256(local.read_bytes()).hexdigest(),
    )
    assert server.hits("/ok.png") == 1  # one URL, one request, however many posts share it
    author = posts[0].author
    assert Path(author.avatar_path or "").suffix == ".jpg"
    assert (author.model_extra or {})["avatar_error"] is None
    assert posts[1].author.avatar_path is None  # no avatar URL, nothing fetched
    # The post round-trips with its media records, as the store keeps it.
    again = Post.model_validate_json(posts[1].model_dump_json())
    assert again.media[1].error == "refused: private address 10.0.0.5"


def test_banner_url_is_fetched_and_a_refused_avatar_says_why(
    server: LoopbackServer, fetcher: MediaFetcher
) -> None:
    server.routes["/banner.png"] = image(image_bytes("PNG", (60, 20)), "image/png")
    post = _post("1", [], avatar="http://metadata.test/avatar.png")
    post.author.banner_url = server.url("/banner.png")  # type: ignore[attr-defined]
    fetcher.fetch_media([post])
    extra = post.author.model_extra or {}
    assert post.author.avatar_path is None
    assert extra["avatar_error"] == "refused: link-local address 169.254.169.254"
    assert Path(post.author.banner_path or "").is_file()
    assert extra["banner_sha256"] == Path(post.author.banner_path or "").stem


def test_rerun_fetches_again_but_stores_nothing_new(
    server: LoopbackServer, fetcher: MediaFetcher
) -> None:
    server.routes["/ok.png"] = image(image_bytes("PNG"), "image/png")
    for _ in range(2):
        fetcher.fetch_media([_post("1", [{"url": server.url("/ok.png")}])])
    assert len([p for p in fetcher.media_dir.rglob("*") if p.is_file()]) == 1


def test_a_page_is_fetched_concurrently_within_the_worker_bound(
    server: LoopbackServer, tmp_path: Path
) -> None:
    active, peak, lock = [0], [0], threading.Lock()

    def slow_image(h) -> None:  # type: ignore[no-untyped-def]
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.3)
        with lock:
            active[0] -= 1
        send(h, 200, image_bytes("PNG", (10 + int(h.path[2:]), 10)), "image/png")

    for i in range(6):
        server.routes[f"/s{i}"] = slow_image
    from .conftest import fake_resolver

    pool = MediaFetcher(
        tmp_path / "m",
        workers=3,
        tries=1,
        allow_networks=["127.0.0.1/32"],
        resolver=fake_resolver,
    )
    posts = [_post(str(i), [{"url": server.url(f"/s{i}")}]) for i in range(6)]
    started = time.monotonic()
    pool.fetch_media(posts)
    elapsed = time.monotonic() - started
    assert all(p.media[0].path for p in posts)
    assert peak[0] == 3
    assert elapsed < 1.5  # two rounds of 0.3 s, not six


def test_offline_enrichers_only_hash_local_media(config: OrgConfig, tmp_path: Path) -> None:
    offline = build_enrichers(config, offline=True)
    online = build_enrichers(config, offline=False)
    assert offline[0] is hash_local_media
    fetch = online[0]
    assert isinstance(fetch, MediaFetcher)
    assert fetch.media_dir == config.data_path() / "media"
    assert fetch.page_budget == config.media.page_budget == 120

    local = tmp_path / "a.png"
    local.write_bytes(image_bytes("PNG"))
    post = _post(
        "1",
        [{"url": "https://cdn.test/a.png", "path": str(local)}, {"url": "https://cdn.test/b.png"}],
    )
    hash_local_media([post])
    assert post.media[0].sha256 == hashlib.sha256(local.read_bytes()).hexdigest()
    assert (post.media[1].path, post.media[1].sha256, post.media[1].error) == (None, None, None)


def test_missing_local_file_is_recorded_not_raised(tmp_path: Path) -> None:
    post = _post("1", [{"url": "https://cdn.test/a.png", "path": str(tmp_path / "nope.png")}])
    hash_local_media([post])
    assert post.media[0].error == "local file unreadable: No such file or directory"


def test_config_media_section_reaches_the_fetcher(
    example_config: OrgConfig, tmp_path: Path
) -> None:
    config = example_config.model_copy(
        update={
            "data_dir": tmp_path,
            "media": example_config.media.model_copy(
                update={"max_bytes": 1234, "allow_networks": ["192.0.2.0/24"], "workers": 2}
            ),
        }
    )
    built = MediaFetcher.from_config(config)
    assert (built.max_bytes, built.workers, built.max_redirects) == (1234, 2, 3)
    assert built.media_dir == tmp_path.resolve() / "media"
    import ipaddress

    assert built.policy.refusal(ipaddress.ip_address("192.0.2.7")) is None


def test_config_media_section_is_validated_with_key_paths() -> None:
    import pytest

    from pipeline.core.config import ConfigError, parse_config

    data = {
        "organisation": {"name": "Example University", "short_name": "EU"},
        "media": {"allow_networks": ["10.0.0.1/8"], "max_redirects": -1},
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(data, source="org.yaml")
    assert "org.yaml: media.max_redirects: Input should be greater than or equal to 0" in str(
        caught.value
    )
    assert "org.yaml: media.allow_networks.0: value is not a valid IPv4 or IPv6 network" in str(
        caught.value
    )


def test_a_server_dripping_its_headers_is_cut_off_and_the_pages_other_media_fetched(
    server: LoopbackServer, tmp_path: Path
) -> None:
    """One header byte a second keeps every read within the read timeout; the deadline counts
    from connect to the last byte, headers included."""
    server.routes["/drip.png"] = drip_headers(1.0)
    body = image_bytes("PNG")
    server.routes["/ok.png"] = image(body, "image/png")
    fetcher = MediaFetcher(
        tmp_path / "m",
        read_timeout=5,
        deadline=2,
        tries=1,
        allow_networks=["127.0.0.1/32"],
        resolver=fake_resolver,
    )
    post = _post("1", [{"url": server.url("/drip.png")}, {"url": server.url("/ok.png")}])
    started = time.monotonic()
    fetcher.fetch_media([post])
    elapsed = time.monotonic() - started
    dripped, fine = post.media
    assert elapsed < 2 + 1.0
    assert dripped.path is None
    assert dripped.error == "refused: timed out (fetch took longer than 2 s)"
    assert fine.error is None
    assert Path(fine.path or "").read_bytes() == body


def test_the_page_budget_bounds_all_its_fetches_and_defers_what_it_left(
    server: LoopbackServer, tmp_path: Path
) -> None:
    """Eight slow servers, two workers, each fetch within its own 30 s deadline: without a page
    budget the page would take four rounds of them. With a 1.5 s budget the page ends in about
    that, the fast image is stored, and every post left without its image is named for a retry
    (none is recorded as fetched or as refused)."""
    for i in range(8):
        server.routes[f"/slow{i}.png"] = drip_headers(0.5)
    body = image_bytes("PNG")
    server.routes["/ok.png"] = image(body, "image/png")
    fetcher = MediaFetcher(
        tmp_path / "m", workers=2, tries=1, page_budget=1.5,
        allow_networks=["127.0.0.1/32"], resolver=fake_resolver,
    )
    fast = _post("fast", [{"url": server.url("/ok.png")}])
    slow = [_post(f"s{i}", [{"url": server.url(f"/slow{i}.png")}]) for i in range(8)]
    mixed = _post("mixed", [{"url": server.url("/ok.png")}, {"url": server.url("/slow0.png")}])
    started = time.monotonic()
    fetcher([fast, *slow, mixed])
    elapsed = time.monotonic() - started

    assert elapsed < 1.5 + 1.0
    assert Path(fast.media[0].path or "").read_bytes() == body
    deferred = fetcher.take_deferred()
    assert set(deferred) == {f"x:s{i}" for i in range(8)} | {"x:mixed"}
    assert deferred["x:mixed"] == ("deferred: the page's media budget (1.5 s) was spent: "
                                 "1 of its 2 images not fetched")
    assert all(p.media[0].path is None and (p.media[0].error or "").startswith("deferred:")
               for p in slow)
    assert fetcher.take_deferred() == {}  # told once
    # The retry: the same post on a page of its own, its server answering now.
    server.routes["/slow3.png"] = image(body, "image/png")
    fetcher([slow[3]])
    assert slow[3].media[0].error is None and slow[3].media[0].path
    assert fetcher.take_deferred() == {}


def test_a_post_the_budget_deferred_is_stored_now_held_and_finished_by_the_retry(
    server: LoopbackServer, tmp_path: Path, config: OrgConfig, sqlite_store
) -> None:
    """Through the pass: the page is stored (text read, detectors run) and its checkpoint saved;
    the post whose image the budget left is held at stage "enrich"; the retry fetches the image
    and lets the item go. Nothing is lost, nothing stored twice."""
    from pipeline.policy.engine import Policy
    from pipeline.run.quarantine import Quarantine, retry_held
    from pipeline.run.runner import run_pass
    from pipeline.sources.jsonl import JsonlSource

    body = image_bytes("PNG")
    server.routes["/ok.png"] = image(body, "image/png")
    server.routes["/slow.png"] = drip_headers(0.5)
    lines = [_post("1", [{"url": server.url("/ok.png")}]),
             _post("2", [{"url": server.url("/slow.png")}]),
             _post("3", [])]
    source_file = tmp_path / "posts.jsonl"
    source_file.write_text("".join(p.model_dump_json() + "\n" for p in lines))
    fetcher = MediaFetcher(tmp_path / "m", tries=1, page_budget=1.0,
                           allow_networks=["127.0.0.1/32"], resolver=fake_resolver)
    source = JsonlSource(source_file)
    with Quarantine(tmp_path / "quarantine.sqlite") as held:
        summary = run_pass([source], store=sqlite_store, detectors=[], policy=Policy(config),
                           enrichers=[fetcher], quarantine=held)
        assert summary.ok and (summary.deferred, summary.quarantined) == (1, 1)
        assert sorted(p.doc_id for p in sqlite_store.iter_posts()) == ["x:1", "x:2", "x:3"]
        assert sqlite_store.get_checkpoint(source.name) == "3"
        assert (sqlite_store.get_post("x:2").media[0].error or "").startswith("deferred:")
        [item] = held.items()
        assert (item.location, item.stage, item.field) == ("x:2", "enrich", "media")

        server.routes["/slow.png"] = image(body, "image/png")
        outcome = retry_held(held, store=sqlite_store, detectors=[], policy=Policy(config),
                             enrichers=[fetcher])
        assert [i.location for i in outcome.released] == ["x:2"] and held.count() == 0
    stored = sqlite_store.get_post("x:2").media[0]
    assert stored.error is None and Path(stored.path or "").read_bytes() == body
    assert len(list(sqlite_store.iter_posts())) == 3
