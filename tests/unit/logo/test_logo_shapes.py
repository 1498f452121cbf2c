"""Flat marks found by their outlines (detectors/logo/shapes.py), on marks drawn here and
photographs from scikit-image: nothing outside the installed packages is needed."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from detectors.logo import shapes
from detectors.logo.match import LogoMatcher, MatchSettings
from detectors.logo.references import ReferenceLogo, load_reference


def flat_mark(size: int = 400, colour: tuple[int, int, int] = (250, 210, 60)) -> np.ndarray:
    """A flat symbol with few corners, as many real ones are: a blob-like droplet and a bar,
    one colour, transparent around it (RGBA)."""
    rgba = np.zeros((size, size, 4), np.uint8)
    ink = (*colour, 255)
    cv2.circle(rgba, (150, 230), 110, ink, -1, cv2.LINE_AA)
    cv2.fillPoly(rgba, [np.asarray([[60, 190], [150, 20], [240, 190]], np.int32)], ink,
                 cv2.LINE_AA)
    cv2.rectangle(rgba, (290, 60), (350, 340), ink, -1, cv2.LINE_AA)
    return rgba


def paste(photo: np.ndarray, rgba: np.ndarray, *, width: float, angle: float,
          centre: tuple[float, float], tilt: float = 1.0) -> np.ndarray:
    """The RGBA mark rotated, scaled and foreshortened (`tilt` < 1) into a BGR photo."""
    rgba = cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA)
    h, w = rgba.shape[:2]
    scale = width / w
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    matrix[:, 2] += np.asarray(centre) - np.asarray([w / 2, h / 2])
    full = np.vstack([matrix, [0, 0, 1]])
    squash = np.asarray([[1, 0, 0], [0, tilt, centre[1] * (1 - tilt)], [0, 0, 1]])
    warped = cv2.warpPerspective(rgba, squash @ full, (photo.shape[1], photo.shape[0]))
    alpha = warped[:, :, 3:4] / 255.0
    return (photo * (1 - alpha) + warped[:, :, :3] * alpha).astype(np.uint8)


@pytest.fixture(scope="module")
def mark_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mark") / "mark.png"
    cv2.imwrite(str(path), cv2.cvtColor(flat_mark(), cv2.COLOR_RGBA2BGRA))
    return path


def _reference(path: Path, settings: MatchSettings, cache: Path) -> ReferenceLogo:
    from detectors.logo.match import feature_extractor, feature_key

    return load_reference("flat", "symbol", path, features=feature_extractor(settings),
                          feature_key=feature_key(settings), side=400, cache_dir=cache)


def test_square_roots_of_many_2x2_covariances_match_numpy() -> None:
    rng = np.random.default_rng(2)
    raw = rng.normal(size=(50, 2, 2))
    cov = raw @ raw.transpose(0, 2, 1) + 0.1 * np.eye(2)
    half, inverse = shapes._sqrt_2x2(cov)
    assert np.allclose(half @ half, cov, atol=1e-8)
    assert np.allclose(inverse @ half, np.broadcast_to(np.eye(2), cov.shape), atol=1e-8)


def test_a_rotated_sheared_copy_has_the_same_profile_up_to_rotation() -> None:
    grey = np.full((400, 400), 255, np.uint8)
    triangle = np.asarray([[60, 300], [200, 60], [330, 320]], np.int32)
    cv2.fillPoly(grey, [triangle], 0)
    angle = math.radians(40)
    shear = np.asarray([[math.cos(angle), -math.sin(angle)],
                        [math.sin(angle), math.cos(angle)]]) @ np.asarray([[0.6, 0.15], [0, 0.45]])
    moved = (triangle - triangle.mean(axis=0)) @ shear.T + 200
    other = np.full((400, 400), 255, np.uint8)
    cv2.fillPoly(other, [moved.astype(np.int32)], 0)
    s = shapes.ShapeSettings()
    one = shapes.reference_parts([grey], 30000, s)
    two = shapes.image_parts(other, s)
    found = shapes.guesses(two, [one], s)
    assert found, "the copy's outline should match the original's"
    # One of the guesses sends the original triangle's corners near the copy's (whitened,
    # every triangle is equilateral: the other guesses are its other two rotations).
    errors = [np.abs((np.c_[triangle, np.ones(3)] @ g.model.T)[:, :2] - moved).max()
              for g in found]
    assert min(errors) < 25


def test_a_flat_mark_that_features_miss_is_found_by_its_outline(
    mark_file: Path, tmp_path: Path
) -> None:
    from skimage import data

    photo = np.ascontiguousarray(data.coffee()[:, :, ::-1])  # BGR
    with_mark = paste(photo, flat_mark(), width=150, angle=25, centre=(500, 300), tilt=0.8)
    settings = MatchSettings()
    reference = _reference(mark_file, settings, tmp_path / "cache")
    found = LogoMatcher([reference], settings).match(with_mark)
    assert found and found[0].score >= 0.5
    assert found[0].method == "shape"
    centre = np.asarray(found[0].polygon).mean(axis=0)
    assert np.hypot(*(centre - [500, 300])) < 25
    # Without the outline search the same mark is missed: the flat symbol has too few
    # distinctive corners for features alone.
    plain = MatchSettings(use_shapes=False)
    missed = LogoMatcher([reference], plain).match(with_mark)
    assert not missed or missed[0].score < 0.5
    # And the photo alone gives nothing.
    clean = LogoMatcher([reference], settings).match(photo)
    assert not clean or clean[0].score < 0.5


def test_a_white_copy_is_found_on_a_dark_photo(tmp_path: Path) -> None:
    from skimage import data

    white = flat_mark(colour=(255, 255, 255))
    path = tmp_path / "white.png"
    cv2.imwrite(str(path), cv2.cvtColor(white, cv2.COLOR_RGBA2BGRA))
    photo = np.ascontiguousarray(data.astronaut()[:, :, ::-1]) // 4  # a dark photo
    settings = MatchSettings()
    reference = _reference(path, settings, tmp_path / "cache")
    # The reference's thumbnail is drawn on black: a white mark on white would be blank.
    assert reference.thumbnail[0, 0].max() == 0 and reference.thumbnail.max() == 255
    found = LogoMatcher([reference], settings).match(
        paste(photo, white, width=160, angle=-30, centre=(300, 260)))
    assert found and found[0].score >= 0.5


def test_a_brand_s_files_propose_one_placement_and_each_brand_has_its_own_budget(
    mark_file: Path, tmp_path: Path
) -> None:
    import dataclasses

    settings = MatchSettings()
    one = _reference(mark_file, settings, tmp_path / "cache")
    # The same drawing handed over twice by one brand (as black and white files are), and
    # once by another brand.
    twin = dataclasses.replace(one, variant="symbol-black")
    other = dataclasses.replace(one, brand="other")
    matcher = LogoMatcher([one, twin, other], settings)

    def guess(reference: int, dx: float) -> shapes.ShapeGuess:
        model = np.eye(3)
        model[0, 2] = dx
        return shapes.ShapeGuess(reference, model, 0.01)

    # Twelve proposals of the first brand at three places (each proposed by both of its
    # files, twice), then one of the other brand.
    proposals = [guess(r, dx) for dx in (0.0, 150.0, 300.0) for r in (0, 1, 0, 1)]
    proposals.append(guess(2, 0.0))
    kept = matcher._placements(proposals, np.eye(3), (2000, 2000), per_brand=2)
    brands = [matcher.references[g.reference].brand for g, _ in kept]
    # Duplicates are judged once; the first brand stops at its budget of two, and the
    # other brand's proposal at the same place as the first is still judged.
    assert brands == ["flat", "flat", "other"]
    assert [quad[0, 0] for _, quad in kept][:2] == [0.0, 150.0]
    # An outline too small to be a logo is not proposed at all.
    tiny = shapes.ShapeGuess(0, np.diag([0.01, 0.01, 1.0]), 0.01)
    assert matcher._placements([tiny], np.eye(3), (2000, 2000), per_brand=2) == []


def test_a_flat_mark_on_a_plain_ground_is_searched_by_outline_and_odd_images_do_not_fail(
    mark_file: Path, tmp_path: Path
) -> None:
    settings = MatchSettings()
    reference = _reference(mark_file, settings, tmp_path / "cache")
    matcher = LogoMatcher([reference], settings)
    # A mark in flat grey on flat blue, softened: smooth edges and few keypoints. An extractor
    # keeping four stands for an image where features have too little to even try.
    ground = np.full((480, 640, 3), (150, 60, 20), np.uint8)
    pasted = cv2.GaussianBlur(
        paste(ground, flat_mark(colour=(200, 200, 200)), width=220, angle=15, centre=(320, 240)),
        (0, 0), 2)
    few = cv2.SIFT_create(nfeatures=4)  # type: ignore[attr-defined]
    assert len(few.detect(cv2.cvtColor(pasted, cv2.COLOR_BGR2GRAY), None)) < settings.min_matches
    found = matcher.match(pasted, few)
    assert found and found[0].score >= 0.5 and found[0].method == "shape"
    centre = np.asarray(found[0].polygon).mean(axis=0)
    assert np.hypot(*(centre - [320, 240])) < 25
    # Images with nothing to cut into regions, or too small to hold a logo, give no match.
    for odd in (np.zeros((480, 640, 3), np.uint8), np.full((3, 2, 3), 255, np.uint8),
                np.full((1, 1, 3), 128, np.uint8)):
        assert matcher.match(odd) == []


def test_each_brand_gets_its_own_proposals_when_another_brand_fits_every_region() -> None:
    # Many triangles, one bar: the triangle's reference fits every triangle, the bar's only
    # the bar. With one shared cap the triangles' proposals would fill it first.
    s = shapes.ShapeSettings()
    triangle_ref = np.full((400, 400), 255, np.uint8)
    cv2.fillPoly(triangle_ref, [np.asarray([[60, 300], [200, 60], [330, 320]], np.int32)], 0)
    bar_ref = np.full((400, 400), 255, np.uint8)
    cv2.fillPoly(bar_ref, [np.asarray([[50, 50], [350, 50], [350, 120], [120, 120],
                                       [120, 350], [50, 350]], np.int32)], 0)
    references = [shapes.reference_parts([triangle_ref], 30000, s),
                  shapes.reference_parts([bar_ref], 45000, s)]
    image = np.full((600, 900), 255, np.uint8)
    for k in range(6):
        x, y = 80 + 130 * (k % 3), 60 + 160 * (k // 3)
        cv2.fillPoly(image, [np.asarray([[x, y + 110], [x + 55, y], [x + 110, y + 115]],
                                        np.int32)], 0)
    bar = np.asarray([[50, 50], [350, 50], [350, 120], [120, 120], [120, 350], [50, 350]])
    cv2.fillPoly(image, [(bar * 0.6 + [500, 330]).astype(np.int32)], 0)
    parts = shapes.image_parts(image, s)
    shared = shapes.guesses(parts, references, s, limit=3, groups=[0, 0])
    apart = shapes.guesses(parts, references, s, limit=3, groups=[0, 1])
    assert len(shared) == 3
    per_reference = [sum(g.reference == r for g in apart) for r in (0, 1)]
    assert per_reference[0] == 3 and 1 <= per_reference[1] <= 3, per_reference
    # Each guess names the image region that proposed it.
    assert all(0 <= g.region < len(parts) for g in apart)


def test_feature_support_counts_keypoints_where_the_placement_puts_them(tmp_path: Path) -> None:
    from skimage import data

    from detectors.logo.match import LogoMatch

    # A detailed "logo" (a crop of a photo) pasted at a known place in another photo.
    logo = np.ascontiguousarray(data.astronaut()[30:230, 140:340, ::-1])
    path = tmp_path / "detailed.png"
    cv2.imwrite(str(path), logo)
    settings = MatchSettings()
    reference = _reference(path, settings, tmp_path / "cache")
    photo = np.ascontiguousarray(data.coffee()[:, :, ::-1]).copy()
    photo[100:300, 250:450] = cv2.resize(logo, reference.size)[:200, :200]
    matcher = LogoMatcher([reference], settings)
    searched = matcher.search_features(cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY))
    w, h = reference.size
    right = [[250.0, 100.0], [250.0 + w, 100.0], [250.0 + w, 100.0 + h], [250.0, 100.0 + h]]
    wrong = [[x - 220.0, y + 60.0] for x, y in right]
    support = matcher.feature_support(LogoMatch(reference, 0, 0, 0, right, "shape"), searched)
    chance = matcher.feature_support(LogoMatch(reference, 0, 0, 0, wrong, "shape"), searched)
    assert support >= 20 > settings.shape.min_support > chance
    assert matcher.feature_support(LogoMatch(reference, 0, 0, 0, right, "shape"), None) == 0
