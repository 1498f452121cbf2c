"""Avatar and banner comparison with the official avatar: perceptual hash, then OpenCV
features when the hash is only near."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors.common.image import ImageError
from detectors.impersonation.avatar import AvatarMatcher

from .conftest import AVATAR


@pytest.fixture(scope="module")
def matcher() -> AvatarMatcher:
    return AvatarMatcher.from_paths({"@QMUL": AVATAR})


@pytest.mark.parametrize(
    ("name", "how"),
    [
        ("copy.jpg", "re-encoded as JPEG quality 60"),
        ("small.png", "shrunk to 96 px"),
        ("cropped.png", "cropped by a twelfth on every side"),
        ("tinted.jpg", "contrast and brightness changed"),
    ],
)
def test_edited_copies_of_the_official_avatar_match(
    matcher: AvatarMatcher, images: dict[str, Path], name: str, how: str
) -> None:
    match = matcher.match(images[name])
    assert match is not None, how
    assert match.account == "@QMUL" and match.confirmed
    assert "@QMUL's official avatar" in match.describe()


def test_identical_avatar_has_hash_distance_zero(matcher: AvatarMatcher) -> None:
    match = matcher.match(AVATAR)
    assert match is not None and match.distance == 0
    assert match.distance == 0 and "is a copy of @QMUL's official avatar" in match.describe()


def test_banner_showing_the_avatar_matches_by_features(
    matcher: AvatarMatcher, images: dict[str, Path]
) -> None:
    match = matcher.match(images["banner.png"], "banner")
    assert match is not None and match.image == "banner"
    assert match.distance is None and match.inliers >= 12


@pytest.mark.parametrize(("name", "kind"), [("unrelated.png", "avatar"),
                                            ("plain-banner.png", "banner"),
                                            ("plain-banner.png", "avatar")])
def test_unrelated_images_do_not_match(
    matcher: AvatarMatcher, images: dict[str, Path], name: str, kind: str
) -> None:
    assert matcher.match(images[name], kind) is None


@pytest.mark.parametrize("name", ["broken.png", "empty.jpg", "absent.png"])
def test_unreadable_images_raise_a_clear_error(
    matcher: AvatarMatcher, images: dict[str, Path], name: str
) -> None:
    path = images.get(name, images["copy.jpg"].parent / name)
    with pytest.raises(ImageError, match=name):
        matcher.match(path)


def test_unreadable_reference_is_reported_not_fatal(images: dict[str, Path]) -> None:
    matcher = AvatarMatcher.from_paths({"@QMUL": AVATAR, "@Broken": images["broken.png"]})
    assert [r.account for r in matcher.references] == ["@QMUL"]
    assert matcher.problems and "@Broken" in matcher.problems[0]
