"""The logo detector on posts: authorisation, severity, evidence images, bad media."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from detectors.logo.detector import LogoDetector
from detectors.registry import build_detectors
from pipeline.core.config import DetectorSettings, OrgConfig
from pipeline.core.models import Author, Category, Finding, Media, Post, Severity
from tests.factories import decided, make_post

from .conftest import composite


@pytest.fixture()
def logo_image(tmp_path: Path, photo: np.ndarray, drawn_logos: list[np.ndarray]) -> Path:
    path = tmp_path / "posted" / "with-logo.jpg"
    path.parent.mkdir()
    cv2.imwrite(str(path), composite(photo, drawn_logos[0], width=260, angle=10))
    return path


@pytest.fixture()
def plain_image(tmp_path: Path, photo: np.ndarray) -> Path:
    path = tmp_path / "posted" / "plain.jpg"
    path.parent.mkdir(exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture()
def detector(logo_config: OrgConfig) -> LogoDetector:
    (built,) = build_detectors(logo_config, ["logo"])
    assert isinstance(built, LogoDetector)
    built.load()
    return built


def _post(n: int, image: Path | None, *, handle: str = "randomfan", display: str = "A fan",
          platform: str = "x", author_id: str = "42") -> object:
    media = [Media(url=f"https://pbs.example/{n}.jpg", path=str(image) if image else None)]
    author = Author(id=author_id, handle=handle, display_name=display)
    return make_post(n, platform=platform, author=author, media=media)


def _rendered(detector: LogoDetector, post: Post) -> Finding:
    """The one finding on `post`, with the evidence picture the runner draws once admitted."""
    (finding,) = detector.detect([post])
    finding.evidence.update(detector.render_evidence(finding, post))
    return finding


def test_unauthorised_use_is_a_hit_with_evidence(
    detector: LogoDetector, logo_image: Path, logo_config: OrgConfig
) -> None:
    post = _post(1, logo_image)
    finding = _rendered(detector, post)
    assert finding.category is Category.logo_misuse
    assert decided(finding, logo_config, post).severity is Severity.medium
    assert finding.score >= 0.5
    evidence = finding.evidence
    assert evidence["reference"] == "uni/crest"
    assert evidence["authorised"] is False
    assert evidence["inliers"] >= 8
    assert len(evidence["polygon"]) == 4
    assert "uni logo" in finding.explanation
    # Evidence PNG: content-addressed under <data>/evidence/, shown by a file:// URL.
    image_path = Path(evidence["image_path"])
    assert image_path.is_relative_to(logo_config.data_path() / "evidence")
    assert image_path.stem == __import__("hashlib").sha256(image_path.read_bytes()).hexdigest()
    assert evidence["image_url"] == image_path.resolve().as_uri()
    picture = cv2.imread(str(image_path))
    assert picture is not None and picture.shape[0] > 300
    assert evidence["caption"].startswith("uni logo (crest), features matched - @randomfan on x")
    json.dumps(finding.model_dump(mode="json"))  # small and serialisable, no image bytes


def test_reruns_reuse_the_same_evidence_file(detector: LogoDetector, logo_image: Path) -> None:
    first = _rendered(detector, _post(1, logo_image))
    again = _rendered(detector, _post(1, logo_image))
    assert first.evidence["image_path"] == again.evidence["image_path"]
    assert first.hit_id == again.hit_id
    files = list(Path(first.evidence["image_path"]).parent.parent.rglob("*.png"))
    assert len(files) == 1


def test_evidence_base_url_is_used_when_configured(
    logo_config: OrgConfig, logo_image: Path
) -> None:
    settings = DetectorSettings(options={"evidence_base_url": "https://brand.example/evidence/"})
    detector = LogoDetector(logo_config, settings)
    finding = _rendered(detector, _post(1, logo_image))
    url = finding.evidence["image_url"]
    assert url.startswith("https://brand.example/evidence/logo/")
    assert url.endswith(Path(finding.evidence["image_path"]).name)


# (case, author, expected severity or None for no hit: the policy's decision on the detector's
# finding). The registry entries come from
# config/example.yaml (QMUL may use logos; QMULSU may not) plus UniSociety from the fixture.
AUTHORS = [
    ("registry account allowed to use logos", dict(handle="QMUL", author_id="19094651"), None),
    ("allowed account matched by id after a handle change",
     dict(handle="QMUL_renamed", author_id="19094651"), None),
    ("registered account without permission", dict(handle="UniSociety"), Severity.high),
    ("author names itself after the University",
     dict(handle="qmul_official_news", display="Queen Mary University"), Severity.critical),
    ("author with a look-alike display name",
     dict(handle="x12345", display="Queen Mary Universty London"), Severity.critical),
    ("unrelated author", dict(handle="coffee_lover", display="Coffee lover"), Severity.medium),
]


@pytest.mark.parametrize(("case", "author", "severity"), AUTHORS, ids=[a[0] for a in AUTHORS])
def test_authorisation_and_severity_depend_on_the_author(
    detector: LogoDetector, logo_image: Path, case: str, author: dict[str, str],
    severity: Severity | None, logo_config: OrgConfig,
) -> None:
    post = _post(1, logo_image, **author)
    (finding,) = detector.detect([post])
    decision = decided(finding, logo_config, post)
    if severity is None:
        assert not decision.admitted and decision.suppressed_by == "allow-list"
        assert "logo_permitted" in decision.reasons[0]
    else:
        assert decision.admitted and decision.severity is severity
        if severity is Severity.critical:
            assert "resembles" in finding.evidence["impersonation_signal"]


def test_every_odd_or_broken_file_is_a_note_or_a_result_with_the_outline_search_on(
    detector: LogoDetector, logo_image: Path, tmp_path: Path
) -> None:
    from .test_image_loading import BAD, GOOD

    assert detector.match_settings.use_shapes
    import io

    from PIL import Image

    # Alpha only: every pixel black, the picture only in its transparency.
    alpha = np.zeros((48, 64, 4), np.uint8)
    alpha[:, :, 3] = np.linspace(0, 255, 64, dtype=np.uint8)[None, :]
    buffer = io.BytesIO()
    Image.fromarray(alpha, "RGBA").save(buffer, "PNG")
    posts = []
    odd = [*BAD, *GOOD, ("alpha only", buffer.getvalue(), 1)]
    for n, (_, payload, _) in enumerate(odd, start=1):
        path = tmp_path / f"{n}.img"
        path.write_bytes(payload)
        posts.append(_post(n, path))
    posts.append(_post(99, logo_image))
    findings = detector.detect(posts)
    # One note per broken file, nothing found in the small pictures of the odd modes, and
    # the logo after them all still found.
    assert len(detector.notes) == len(BAD)
    assert [f.post_id for f in findings] == ["x:99"]


def test_bad_media_are_noted_and_the_batch_goes_on(
    detector: LogoDetector, logo_image: Path, plain_image: Path, tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    posts = [
        _post(1, corrupt),
        _post(2, None),
        _post(3, plain_image),
        _post(4, logo_image),
    ]
    findings = detector.detect(posts)
    assert [f.post_id for f in findings] == ["x:4"]
    assert len(detector.notes) == 2
    assert any("x:1 media[0]" in n and "corrupt.jpg" in n for n in detector.notes)
    assert any("x:2 media[0]" in n and "no local file" in n for n in detector.notes)


def test_the_best_image_of_a_post_is_reported(
    detector: LogoDetector, logo_image: Path, plain_image: Path
) -> None:
    post = _post(1, plain_image)
    post.media.append(Media(url="https://pbs.example/2.jpg", path=str(logo_image)))
    (finding,) = detector.detect([post])
    assert finding.evidence["media_index"] == 1
    assert finding.explanation.startswith("Image 2 of this post")


def test_a_broken_reference_does_not_disable_the_others(
    logo_config: OrgConfig, logo_image: Path, tmp_path: Path
) -> None:
    from pipeline.core.config import ReferenceLogo

    missing = ReferenceLogo(brand="uni", variant="gone", path=tmp_path / "nope.png")
    config = logo_config.model_copy(update={"logos": [missing, *logo_config.logos]})
    detector = LogoDetector(config)
    detector.load()
    assert any("nope.png" in e for e in detector.reference_errors)
    assert len(detector.detect([_post(1, logo_image)])) == 1


def test_features_are_cached_under_the_data_directory(
    logo_config: OrgConfig, detector: LogoDetector
) -> None:
    cache = logo_config.data_path() / "cache" / "logo"
    assert len(list(cache.glob("*.npz"))) == len(logo_config.logos)


def test_the_logo_as_avatar_is_exact_reuse(
    detector: LogoDetector, logo_files: dict[str, Path], plain_image: Path
) -> None:
    avatar = logo_files["png"].parent / "avatar.jpg"
    cv2.imwrite(str(avatar), cv2.resize(cv2.imread(str(logo_files["jpeg"])), (200, 200)))
    post = _post(1, plain_image)
    post.author.avatar_path = str(avatar)
    (finding,) = detector.detect([post])
    severity = decided(finding, detector.config, post).severity
    assert finding.evidence["method"] == "phash"
    assert finding.evidence["media_index"] == -1
    assert severity is Severity.high
    assert finding.explanation.startswith(
        "The avatar of @randomfan (1 post(s) seen with it): the whole image is")


def test_a_logo_hit_round_trips_through_the_store(
    detector: LogoDetector, logo_image: Path, sqlite_store: object
) -> None:
    from pipeline.core.models import Hit

    post = _post(1, logo_image)
    finding = _rendered(detector, post)
    hit = Hit.from_finding(finding, post, decided(finding, detector.config, post))
    sqlite_store.upsert_hits([hit])  # type: ignore[attr-defined]
    sqlite_store.upsert_hits([hit])  # type: ignore[attr-defined]
    stored = sqlite_store.get_hit(finding.hit_id)  # type: ignore[attr-defined]
    assert stored is not None
    assert stored.evidence["image_path"] == finding.evidence["image_path"]
    assert stored.evidence["reference"] == "uni/crest"
    assert len(sqlite_store.search_hits()) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(("options", "working", "tiles"), [
    ({}, 0.06, 0.04),                     # the defaults: a cheaper working pass
    ({"contrast": 0.05}, 0.05, 0.04),
    ({"contrast": 0}, 0.04, 0.04),        # 0 = OpenCV's default everywhere
])
def test_contrast_option_sets_the_working_pass_only(
    logo_config: OrgConfig, options: dict[str, float], working: float, tiles: float
) -> None:
    detector = LogoDetector(logo_config, DetectorSettings(options=options))
    detector.load()
    assert detector.max_side == 640
    assert detector._working_extractor.getContrastThreshold() == pytest.approx(working)  # type: ignore[attr-defined]
    assert detector.matcher is not None
    assert detector.matcher.extractor.getContrastThreshold() == pytest.approx(tiles)  # type: ignore[attr-defined]


def test_the_runner_draws_evidence_only_for_admitted_hits(
    detector: LogoDetector, logo_image: Path, logo_config: OrgConfig, tmp_path: Path
) -> None:
    from pipeline.policy.engine import Policy
    from pipeline.run.runner import render_evidence

    allowed = _post(1, logo_image, handle="QMUL", author_id="19094651")  # may use logos
    stranger = _post(2, logo_image, handle="coffee_lover", display="Coffee lover")
    posts = {p.doc_id: p for p in (allowed, stranger)}
    screened = Policy(logo_config).screen(detector.detect(list(posts.values())), posts)
    render_evidence(screened, [detector], posts)
    (admitted, _), = screened.admitted
    assert admitted.post_id == stranger.doc_id and Path(admitted.evidence["image_path"]).is_file()
    (dropped, _), = screened.suppressed
    assert "image_path" not in dropped.evidence
    assert len(list((logo_config.data_path() / "evidence").rglob("*.png"))) == 1


def _avatar_post(n: int, image: Path, *, author_id: str = "42") -> Post:
    author = Author(id=author_id, handle="uni_fan_page", display_name="A fan",
                    avatar_url=f"https://pbs.example/avatar-{author_id}.jpg",
                    avatar_path=str(image))
    return make_post(n, author=author, media=[])


def test_a_logo_avatar_is_one_hit_per_account_listing_its_posts(
    detector: LogoDetector, logo_image: Path
) -> None:
    posts = [_avatar_post(n, logo_image) for n in (1, 2, 3)] + [
        _avatar_post(4, logo_image, author_id="77")]
    found = detector.detect(posts)
    assert sorted(f.subject or "" for f in found) == ["avatar-logo:x:42", "avatar-logo:x:77"]
    (worn,) = [f for f in found if f.subject == "avatar-logo:x:42"]
    assert worn.post_id == posts[2].doc_id  # the newest post carries the hit
    assert worn.evidence["posts_seen"] == 3
    assert worn.evidence["avatar_posts"] == [p.doc_id for p in reversed(posts[:3])]
    assert worn.explanation.startswith("The avatar of @uni_fan_page (3 post(s) seen with it)")
    assert len({f.hit_id for f in found}) == 2


def test_later_runs_add_their_posts_to_the_same_avatar_hit(
    detector: LogoDetector, logo_image: Path, sqlite_store: object
) -> None:
    from pipeline.run.runner import record_history

    detector.use_history(sqlite_store)  # type: ignore[arg-type]
    first_page = [_avatar_post(1, logo_image), _avatar_post(2, logo_image)]
    (first,) = detector.detect(first_page)
    record_history(sqlite_store, [detector], first_page, [first])  # type: ignore[arg-type]
    again = detector.detect(first_page)  # a rerun of the same page counts nothing twice
    assert again[0].evidence["posts_seen"] == 2
    (later,) = detector.detect([_avatar_post(3, logo_image)])
    assert later.hit_id == first.hit_id
    assert later.evidence["posts_seen"] == 3
    assert later.evidence["avatar_posts"][:1] == ["x:3"]
