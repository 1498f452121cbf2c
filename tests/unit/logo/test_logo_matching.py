"""Reference features, the shared index and geometric verification, on real OpenCV."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from detectors.logo.match import (
    LogoMatch,
    LogoMatcher,
    MatchSettings,
    appearance_agreement,
    feature_extractor,
    judge_by_appearance,
    plausible_quad,
    score_for,
)
from detectors.logo.references import ReferenceError, load_reference

from .conftest import composite

SETTINGS = MatchSettings()


def _reference(path: Path, cache: Path | None, *, variant: str = "crest") -> object:
    return load_reference("uni", variant, path, features=feature_extractor(SETTINGS),
                          feature_key="sift:test", side=400, cache_dir=cache)


@pytest.mark.parametrize("kind", ["png", "jpeg", "svg"])
def test_png_jpeg_and_svg_references_yield_features(logo_files: dict[str, Path], kind: str) -> None:
    ref = _reference(logo_files[kind], None)
    assert len(ref.points) > 50
    assert ref.descriptors.shape == (len(ref.points), 128)
    assert max(ref.size) == 400
    # Normal and inverted views at least, so inverted copies can match.
    assert len(set(ref.views.tolist())) >= 2


class _MustNotCompute:
    def detectAndCompute(self, *args: object) -> None:  # noqa: N802 - OpenCV's name
        raise AssertionError("features were recomputed although the file is cached")


def test_features_are_cached_by_file_hash(logo_files: dict[str, Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "logo"
    first = _reference(logo_files["png"], cache)
    assert len(list(cache.glob("*.npz"))) == 1
    again = load_reference("uni", "crest", logo_files["png"], features=_MustNotCompute(),
                           feature_key="sift:test", side=400, cache_dir=cache)
    np.testing.assert_array_equal(first.descriptors, again.descriptors)
    assert again.phashes == first.phashes
    # Changed bytes under the same name are a new logo: the old cache entry is not reused.
    logo_files["png"].write_bytes(logo_files["jpeg"].read_bytes())
    with pytest.raises(AssertionError, match="recomputed"):
        load_reference("uni", "crest", logo_files["png"], features=_MustNotCompute(),
                       feature_key="sift:test", side=400, cache_dir=cache)


def test_unusable_reference_files_are_named(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((100, 100, 3), 255, np.uint8))
    with pytest.raises(ReferenceError, match="no distinctive features"):
        _reference(blank, None)
    broken = tmp_path / "broken.svg"
    broken.write_text("<svg", encoding="utf-8")
    with pytest.raises(ReferenceError, match="broken.svg"):
        _reference(broken, None)


@pytest.fixture()
def matcher(logo_files: dict[str, Path]) -> LogoMatcher:
    refs = [_reference(logo_files["png"], None),
            _reference(logo_files["svg"], None, variant="badge")]
    return LogoMatcher(refs, SETTINGS)


def _inverted(logo: np.ndarray) -> np.ndarray:
    out = logo.copy()
    out[:, :, :3] = 255 - out[:, :, :3]
    return out


def _monochrome(logo: np.ndarray) -> np.ndarray:
    out = logo.copy()
    grey = cv2.cvtColor(out[:, :, :3], cv2.COLOR_RGB2GRAY)
    out[:, :, :3] = np.dstack([grey] * 3)
    return out


# (case, how the logo is altered, width in px, rotation, perspective jitter)
POSITIVES = [
    ("plain", None, 260, 0, 0.0),
    ("rotated 120 degrees", None, 220, 120, 0.0),
    ("perspective", None, 260, 0, 0.1),
    ("small", None, 120, 0, 0.0),
    ("inverted colours", _inverted, 240, 0, 0.0),
    ("monochrome", _monochrome, 240, 0, 0.0),
]


@pytest.mark.parametrize(("case", "alter", "width", "angle", "jitter"), POSITIVES,
                         ids=[p[0] for p in POSITIVES])
def test_our_logo_is_found_and_outlined(
    matcher: LogoMatcher, drawn_logos: list[np.ndarray], photo: np.ndarray,
    case: str, alter: object, width: int, angle: float, jitter: float,
) -> None:
    logo = drawn_logos[0] if alter is None else alter(drawn_logos[0])  # type: ignore[operator]
    image = composite(photo, logo, width=width, angle=angle, jitter=jitter)
    found = matcher.match(image)
    assert found, case
    best = found[0]
    assert best.reference.variant == "crest"
    assert best.method == "features"
    assert best.score >= 0.5
    assert best.inliers >= SETTINGS.min_inliers
    # The outline has the logo's size: its area is near width * height of the pasted logo.
    quad = np.float32(best.polygon)
    area = cv2.contourArea(quad)
    assert 0.5 * width * width < area < 1.6 * width * width


def test_occluded_logo_is_still_found(
    matcher: LogoMatcher, drawn_logos: list[np.ndarray], photo: np.ndarray
) -> None:
    logo = drawn_logos[0].copy()
    logo[:, : logo.shape[1] // 3, :3] = (90, 140, 60)  # a third of it painted over
    found = matcher.match(composite(photo, logo, width=260))
    assert found and found[0].reference.variant == "crest"


@pytest.mark.parametrize("index", [1, 2, 3])
def test_other_organisations_logos_are_not_ours(
    matcher: LogoMatcher, drawn_logos: list[np.ndarray], photo: np.ndarray, index: int
) -> None:
    assert matcher.match(composite(photo, drawn_logos[index], width=260)) == []


def test_a_photo_without_logo_matches_nothing(matcher: LogoMatcher, photo: np.ndarray) -> None:
    assert matcher.match(cv2.cvtColor(photo, cv2.COLOR_RGB2BGR)) == []


def test_the_logo_file_itself_is_exact_reuse(
    matcher: LogoMatcher, logo_files: dict[str, Path]
) -> None:
    avatar = cv2.resize(cv2.imread(str(logo_files["jpeg"])), (96, 96))
    (found,) = matcher.match(avatar)
    assert found.method == "phash"
    assert found.reference.variant == "crest"
    assert found.score > 0.9


def test_svg_reference_is_found_in_a_photo(
    matcher: LogoMatcher, photo: np.ndarray, logo_files: dict[str, Path]
) -> None:
    import io

    import cairosvg
    from PIL import Image

    png = cairosvg.svg2png(url=str(logo_files["svg"]), output_width=300)
    badge = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    found = matcher.match(composite(photo, badge, width=200, angle=20))
    assert found and found[0].reference.variant == "badge"


def test_an_empty_matcher_finds_nothing(photo: np.ndarray) -> None:
    assert LogoMatcher([], SETTINGS).match(cv2.cvtColor(photo, cv2.COLOR_RGB2BGR)) == []


class _Ref:
    size = (100, 100)


def _square(x: float = 0, y: float = 0, side: float = 100) -> list[list[float]]:
    return [[x, y], [x + side, y], [x + side, y + side], [x, y + side]]


SPREAD = np.float32([[5, 5], [95, 5], [95, 95], [5, 95]])
QUADS = [
    ("a plain square", _square(), SPREAD, None),
    ("mirrored", [[100, 0], [0, 0], [0, 100], [100, 100]], SPREAD, "mirrored"),
    ("folded (bow tie)", [[0, 0], [100, 0], [0, 100], [100, 100]], SPREAD, "folded"),
    ("tiny", _square(side=8), SPREAD, "tiny"),
    ("needle-thin skew", [[0, 0], [100, 0], [190, 10], [90, 10]], SPREAD, "skew"),
    ("extreme perspective", [[0, 0], [300, 0], [300, 200], [0, 20]], SPREAD, "perspective"),
    ("implausible scale", _square(side=1000), SPREAD, "scale"),
    ("inliers bunched in a corner", _square(), np.float32([[1, 1], [6, 1], [3, 5]]), "cover"),
]


@pytest.mark.parametrize(("case", "quad", "inliers", "problem"), QUADS, ids=[q[0] for q in QUADS])
def test_degenerate_geometry_is_rejected(
    case: str, quad: list[list[float]], inliers: np.ndarray, problem: str | None
) -> None:
    settings = MatchSettings(max_scale=5.0)
    reason = plausible_quad(np.float32(quad), _Ref(), inliers, (2000, 2000), settings)  # type: ignore[arg-type]
    if problem is None:
        assert reason is None
    else:
        assert reason is not None and problem in reason


@pytest.mark.parametrize("mono", [False, True], ids=["colour copy", "monochrome copy"])
def test_the_variant_with_matching_colours_is_named(
    tmp_path: Path, drawn_logos: list[np.ndarray], photo: np.ndarray, mono: bool
) -> None:
    colour_file = tmp_path / "colour.png"
    mono_file = tmp_path / "mono.png"
    cv2.imwrite(str(colour_file), cv2.cvtColor(drawn_logos[0], cv2.COLOR_RGBA2BGRA))
    cv2.imwrite(str(mono_file), cv2.cvtColor(_monochrome(drawn_logos[0]), cv2.COLOR_RGBA2BGRA))
    refs = [_reference(colour_file, None, variant="colour"),
            _reference(mono_file, None, variant="mono")]
    posted = _monochrome(drawn_logos[0]) if mono else drawn_logos[0]
    found = LogoMatcher(refs, SETTINGS).match(composite(photo, posted, width=260))
    assert {m.reference.variant for m in found} == {"colour", "mono"}
    assert found[0].reference.variant == ("mono" if mono else "colour")
    assert found[0].score == max(m.score for m in found)


# ---- appearance: the check that decides matches with few inliers ---------------------------


def _bare(photo: np.ndarray) -> np.ndarray:
    """The photo as `composite` sizes it, without a logo: the same pixels around the outline."""
    return cv2.cvtColor(cv2.resize(photo, (800, 600), interpolation=cv2.INTER_AREA),
                        cv2.COLOR_RGB2BGR)


@pytest.mark.parametrize("alter", [None, _inverted, _monochrome],
                         ids=["original", "inverted", "monochrome"])
def test_appearance_agrees_with_a_real_logo_and_not_with_the_photo_under_it(
    matcher: LogoMatcher, drawn_logos: list[np.ndarray], photo: np.ndarray, alter: object,
) -> None:
    logo = drawn_logos[0] if alter is None else alter(drawn_logos[0])  # type: ignore[operator]
    image = composite(photo, logo, width=200, angle=20)
    best = matcher.match(image)[0]
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    on_logo = appearance_agreement(grey, best)
    # Same outline, same place, but the photo without the logo: what a chance match sees.
    off_logo = appearance_agreement(cv2.cvtColor(_bare(photo), cv2.COLOR_BGR2GRAY), best)
    assert on_logo >= 0.6
    assert off_logo < SETTINGS.min_appearance - 0.1
    assert on_logo > off_logo + 0.25


def test_weak_matches_are_confirmed_or_demoted_by_appearance(
    matcher: LogoMatcher, drawn_logos: list[np.ndarray], photo: np.ndarray,
) -> None:
    image = composite(photo, drawn_logos[0], width=200)
    found = matcher.match(image)[0]

    def weak() -> LogoMatch:
        # What RANSAC reports for a small or blurred logo: 6 inliers, under the 0.5 line.
        return LogoMatch(found.reference, score_for(6, SETTINGS.min_inliers), 6, 20,
                         found.polygon, "features")

    confirmed = weak()
    judge_by_appearance(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), confirmed, SETTINGS)
    assert confirmed.score >= 0.5
    assert confirmed.details["appearance"] >= SETTINGS.min_appearance

    demoted = weak()
    judge_by_appearance(cv2.cvtColor(_bare(photo), cv2.COLOR_BGR2GRAY), demoted, SETTINGS)
    assert demoted.score < weak().score
    assert demoted.score < 0.25


def test_a_strong_match_is_not_second_guessed(
    matcher: LogoMatcher, drawn_logos: list[np.ndarray], photo: np.ndarray,
) -> None:
    best = matcher.match(composite(photo, drawn_logos[0], width=300))[0]
    assert best.inliers >= SETTINGS.appearance_below
    assert "appearance" not in best.details


def test_ratio_test_votes_per_reference_on_arrays(
    logo_files: dict[str, Path], drawn_logos: list[np.ndarray], tmp_path: Path,
) -> None:
    other = tmp_path / "other.png"
    cv2.imwrite(str(other), cv2.cvtColor(drawn_logos[1], cv2.COLOR_RGBA2BGRA))
    refs = [_reference(logo_files["png"], None),
            _reference(logo_files["svg"], None, variant="badge"),
            load_reference("other", "logo", other, features=feature_extractor(SETTINGS),
                           feature_key="sift:test", side=400, cache_dir=None)]
    m = LogoMatcher(refs, SETTINGS)
    start = np.cumsum([0] + [len(r.points) for r in refs])

    def feature(ref: int, local: int) -> int:  # index in the shared index
        return int(start[ref] + local)

    a, c, g = 0, 1, 2
    d = 0
    b, h = 0, 1
    indices = np.asarray([
        [feature(0, a), feature(2, b), feature(2, h)],  # clear winner: votes ref 0 / a
        [feature(0, c), feature(1, d), feature(2, h)],  # same brand, other variant: both vote
        [feature(0, g), feature(0, g), feature(0, g)],  # no rival at all: distinctiveness unknown
        [feature(0, g), feature(2, b), feature(2, h)],  # ambiguous: 190 is not < 0.8 * 200
        [feature(0, a), feature(2, b), feature(2, h)],  # a closer image feature for ref 0 / a
    ], dtype=np.int64)
    distances = np.asarray([
        [100, 200, 210], [100, 110, 300], [50, 50, 50], [190, 200, 210], [50, 200, 210],
    ], dtype=np.float32)
    votes = m._ratio_test(indices, distances)
    # Reference 0: a pairs with query 4 (50 beats query 0's 100), then c with query 1.
    assert votes == {0: [(a, 4), (c, 1)], 1: [(d, 1)]}


def test_a_feature_whose_neighbours_are_all_copies_of_itself_still_votes() -> None:
    """A brand handed over as several files has more copies of each feature (views, scales,
    files) than the neighbours searched; such a feature has no rival among them and must not
    be dropped: the last neighbour bounds the runner-up's distance from below."""
    import dataclasses

    from detectors.logo.match import LogoMatcher, MatchSettings
    from detectors.logo.references import ReferenceLogo

    rng = np.random.default_rng(3)
    base = rng.random((5, 128), dtype=np.float32) * 100
    # Each file's copy a little further off, as the same spot is in other views and scales.
    drift = rng.standard_normal(128).astype(np.float32)
    points = np.c_[rng.random((5, 2)) * 300, np.zeros((5, 2))].astype(np.float32)
    refs = []
    for n in range(12):  # 12 files of one brand > the 10 neighbours searched
        refs.append(ReferenceLogo(
            brand="uni", variant=f"v{n}", path=Path(f"v{n}.png"), sha256=str(n),
            size=(300, 300), points=points, descriptors=base + n * drift,
            views=np.zeros(5, np.int8),
            phashes=[], thumbnail=np.zeros((8, 8, 3), np.uint8)))
    matcher = LogoMatcher(refs, MatchSettings())
    indices, distances = matcher._neighbours(base + 0.05)
    votes = matcher._ratio_test(indices, distances)
    assert votes, "features matching only their own brand's copies were dropped"
    assert all(len(pairs) == 5 for pairs in votes.values())
    # A far-away rival structure of another brand does not change that, and a feature
    # equally close to two brands' different structures still does not vote.
    rival = dataclasses.replace(refs[0], brand="other", variant="x", descriptors=base + 0.6)
    mixed = LogoMatcher([refs[0], rival], MatchSettings())
    indices, distances = mixed._neighbours(base + 0.3)
    assert mixed._ratio_test(indices, distances) == {}
