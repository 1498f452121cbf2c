"""The bundled demo material is complete and consistent: posts, images, labels, logos, documents.

Everything the demo and the detectors' tests lean on is checked here, so a regenerated sample
set that drops a category, breaks a media path or invents an official handle fails loudly.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from pipeline.core.config import OrgConfig
from pipeline.core.jsonl import ReadReport, read_models
from pipeline.core.models import Category, Post
from pipeline.core.paths import CONFIG_DIR, SAMPLES_DIR

POSTS_FILE = SAMPLES_DIR / "posts.jsonl"
LABELS_FILE = SAMPLES_DIR / "expected_labels.json"
LABELLED_FILE = SAMPLES_DIR / "eval" / "posts-labelled.jsonl"
PLATFORMS = ("x", "reddit", "bluesky", "mastodon")
DEMO_END = datetime(2026, 11, 22, tzinfo=UTC)
X_EPOCH_MS = 1288834974657


@pytest.fixture(scope="module")
def posts() -> list[Post]:
    report = ReadReport()
    loaded = list(read_models(POSTS_FILE, Post, report))
    assert report.errors == [], [str(e) for e in report.errors]
    return loaded


@pytest.fixture(scope="module")
def raw_lines() -> list[dict]:
    return [json.loads(line) for line in POSTS_FILE.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def expected() -> dict[str, list[str]]:
    return json.loads(LABELS_FILE.read_text(encoding="utf-8"))


def test_every_line_is_a_post_and_there_are_enough(
    posts: list[Post], raw_lines: list[dict]
) -> None:
    assert len(posts) == len(raw_lines) >= 200


def test_document_ids_are_unique(posts: list[Post]) -> None:
    counts = Counter(p.doc_id for p in posts)
    assert [doc for doc, n in counts.items() if n > 1] == []


def test_every_platform_has_at_least_40_posts(posts: list[Post]) -> None:
    counts = Counter(p.platform for p in posts)
    assert set(counts) == set(PLATFORMS)
    assert min(counts.values()) >= 40, counts


def test_media_paths_are_relative_in_the_file_and_exist_once_resolved(
    posts: list[Post], raw_lines: list[dict]
) -> None:
    relative = [m["path"] for line in raw_lines for m in line["media"]]
    assert relative and all(not Path(p).is_absolute() for p in relative)
    resolved = [Path(m.path) for p in posts for m in p.media]
    assert len(resolved) == len(relative)
    for path in resolved:
        assert path.is_file(), path
        with Image.open(path) as image:
            assert max(image.size) <= 1280, path


def test_author_avatar_paths_exist(posts: list[Post], raw_lines: list[dict]) -> None:
    relative = {
        line["author"]["avatar_path"] for line in raw_lines if "avatar_path" in line["author"]
    }
    assert relative, "lookalike accounts carry a copied avatar"
    assert all(not Path(p).is_absolute() for p in relative)
    # The JSONL reader resolves them against the file's folder, like media paths.
    resolved = {p.author.avatar_path for p in posts if p.author.avatar_path}
    assert len(resolved) == len(relative)
    assert all(Path(p).is_file() for p in resolved), resolved


def test_expected_labels_cover_every_post_and_every_category(
    posts: list[Post], expected: dict[str, list[str]]
) -> None:
    assert set(expected) == {p.doc_id for p in posts}
    used = Counter(label for labels in expected.values() for label in labels)
    assert set(used) == {c.value for c in Category}, used
    assert all(n >= 3 for n in used.values()), used
    benign = sum(not labels for labels in expected.values())
    # Most of the demo is ordinary talk about the University, as on the real platforms.
    assert 0.5 <= benign / len(expected) <= 0.65


def test_labelled_copy_matches_posts_and_labels(
    raw_lines: list[dict], expected: dict[str, list[str]]
) -> None:
    categories = {c.value for c in Category}
    report = ReadReport()
    labelled = list(read_models(LABELLED_FILE, Post, report, media_roots=(SAMPLES_DIR,)))
    assert report.errors == []
    assert [p.doc_id for p in labelled] == [f"{r['platform']}:{r['id']}" for r in raw_lines]
    for post in labelled:
        labels = post.model_extra["labels"]
        # Categories exactly as expected_labels.json has them, plus detector sub-labels.
        assert [x for x in labels if x in categories] == expected[post.doc_id]
        if not expected[post.doc_id]:
            assert labels == [], post.doc_id  # benign posts carry no sub-labels either
        assert all(Path(m.path).is_file() for m in post.media)


def test_created_at_spans_the_three_weeks_before_the_demo_date(posts: list[Post]) -> None:
    times = [p.created_at for p in posts]
    assert min(times) >= DEMO_END - timedelta(weeks=3)
    assert max(times) < DEMO_END
    assert (max(times) - min(times)) > timedelta(days=18)


@pytest.mark.parametrize(
    ("platform", "id_pattern", "url_pattern"),
    [
        ("x", r"[1-9][0-9]{17,19}", r"https://x\.com/\w+/status/{id}"),
        ("reddit", r"t[13]_[0-9a-z]{6,8}", r"https://www\.reddit\.com/r/\w+/comments/[0-9a-z]+/"),
        (
            "bluesky",
            r"at://did:plc:[a-z0-9]{20,32}/app\.bsky\.feed\.post/[2-7a-z]{13}",
            r"https://bsky\.app/profile/[\w.-]+/post/[2-7a-z]{13}",
        ),
        ("mastodon", r"[1-9][0-9]{16,18}", r"https://[\w.-]+/@\w+/{id}"),
    ],
)
def test_ids_and_permalinks_follow_each_platform(
    posts: list[Post], platform: str, id_pattern: str, url_pattern: str
) -> None:
    mine = [p for p in posts if p.platform == platform]
    assert mine
    for post in mine:
        assert re.fullmatch(id_pattern, post.id), post.id
        assert re.match(url_pattern.replace("{id}", re.escape(post.id)), post.url or ""), post.url


def test_x_ids_are_snowflakes_of_their_creation_time(posts: list[Post]) -> None:
    for post in (p for p in posts if p.platform == "x"):
        ms = (int(post.id) >> 22) + X_EPOCH_MS
        assert abs(ms / 1000 - post.created_at.timestamp()) < 1, post.id


def test_replies_point_to_earlier_posts_on_the_same_platform(posts: list[Post]) -> None:
    by_id = {(p.platform, p.id): p for p in posts}
    replies = [p for p in posts if p.in_reply_to]
    assert len(replies) >= 20
    for reply in replies:
        parent = by_id.get((reply.platform, reply.in_reply_to))
        assert parent is not None, reply.doc_id
        assert parent.created_at < reply.created_at


def _config_handles(config: OrgConfig) -> dict[tuple[str, str], str | None]:
    handles: dict[tuple[str, str], str | None] = {
        (a.platform, a.handle.casefold()): a.platform_id for a in config.accounts
    }
    for person in config.protected_people:
        for platform, handle in person.handles.items():
            handles[(platform, handle.casefold())] = None
    return handles


def test_official_and_protected_handles_come_from_the_config(
    posts: list[Post], example_config: OrgConfig
) -> None:
    known = _config_handles(example_config)
    registry_ids = {(a.platform, a.platform_id): a.handle for a in example_config.accounts}
    used = 0
    for post in posts:
        author = post.author
        key = (post.platform, author.handle.casefold())
        if key in known:
            used += 1
            assert known[key] in (None, author.id), (post.doc_id, author.id)
        if (post.platform, author.id) in registry_ids:
            assert author.handle == registry_ids[(post.platform, author.id)]
    assert used >= 15


def test_mentions_name_config_accounts_or_demo_authors(
    posts: list[Post], example_config: OrgConfig
) -> None:
    known = {h for (_, h) in _config_handles(example_config)}
    authors = {p.author.handle.casefold() for p in posts}
    for post in posts:
        for mention in re.findall(r"(?<![\w.])@(\w+)", post.text):
            assert mention.casefold() in known | authors, (post.doc_id, mention)


def test_impersonators_are_not_registered_and_post_several_times(
    posts: list[Post], expected: dict[str, list[str]], example_config: OrgConfig
) -> None:
    known = _config_handles(example_config)
    impostors = Counter(
        (p.platform, p.author.handle) for p in posts if "impersonation" in expected[p.doc_id]
    )
    assert len(impostors) >= 6
    assert all((platform, h.casefold()) not in known for platform, h in impostors)
    assert sum(n >= 2 for n in impostors.values()) >= 5


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("crest.png", (512, 512)),
        ("crest-mono.png", (512, 512)),
        ("wordmark.png", None),
        ("avatar-qmul.png", (400, 400)),
    ],
)
def test_reference_logos_exist(name: str, size: tuple[int, int] | None) -> None:
    with Image.open(CONFIG_DIR / "logos" / name) as image:
        assert image.mode == "RGBA"
        if size:
            assert image.size == size
        alpha = image.getchannel("A")
        low, high = alpha.getextrema()
        assert high == 255
        if name != "avatar-qmul.png":
            # Transparent around the drawing, so the logo can be composited on anything.
            assert low == 0


def test_config_logo_paths_resolve(example_config: OrgConfig) -> None:
    paths = [example_config.resolve(logo.path) for logo in example_config.logos]
    paths += [example_config.resolve(a.avatar) for a in example_config.accounts if a.avatar]
    assert paths and all(p.is_file() for p in paths)


def _document_text(path: Path) -> str:
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    if path.suffix == ".docx":
        from docx import Document

        return "\n".join(p.text for p in Document(str(path)).paragraphs)
    return path.read_text(encoding="utf-8")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def test_protected_documents_are_readable_and_leak_posts_quote_them(
    posts: list[Post], expected: dict[str, list[str]], example_config: OrgConfig
) -> None:
    folder = example_config.resolve(example_config.protected_documents or "documents")
    documents = sorted(folder.iterdir())
    assert {d.suffix for d in documents} >= {".txt", ".pdf", ".docx"}
    shingles: set[tuple[str, ...]] = set()
    for document in documents:
        words = _words(_document_text(document))
        assert len(words) > 150, document.name
        shingles |= {tuple(words[i : i + 10]) for i in range(len(words) - 9)}
    quoting = [
        p
        for p in posts
        if any(tuple(w[i : i + 10]) in shingles for w in [_words(p.text)] for i in range(len(w)))
    ]
    assert len(quoting) >= 8
    # A post that quotes a protected document word for word is never labelled benign.
    assert all(expected[p.doc_id] for p in quoting)


def test_samples_and_config_stay_small() -> None:
    total = sum(
        f.stat().st_size
        for root in (SAMPLES_DIR, CONFIG_DIR)
        for f in root.rglob("*")
        if f.is_file()
    )
    assert total < 15 * 1024 * 1024
