"""Does an account's avatar (or banner) show an official account's avatar?

A perceptual hash (imagehash) answers quickly for copies, re-encodes and resizes. When the hash
is near but not close, an OpenCV feature check (ORB keypoints, ratio test, RANSAC homography)
decides, so a cropped, recoloured or slightly edited copy still matches and an unrelated
round logo does not. Banners are larger scenes in which the avatar may be one part, so they
get the feature check directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from detectors.common.image import ImageError, load_image

if TYPE_CHECKING:
    import cv2
    import imagehash

log = logging.getLogger(__name__)

# Hamming distances between 64-bit perceptual hashes. At or under CLOSE the images are the
# same picture; up to NEAR they may be, and the feature check decides.
CLOSE = 8
NEAR = 22
MIN_INLIERS = 12
_SIDE = 512


@dataclass(frozen=True)
class Reference:
    account: str  # "@QMUL"
    path: Path
    phash: imagehash.ImageHash
    keypoints: tuple[cv2.KeyPoint, ...]
    descriptors: np.ndarray | None


@dataclass(frozen=True)
class ImageMatch:
    image: str  # "avatar" or "banner"
    account: str
    reference: str  # the reference image's path
    distance: int | None  # perceptual-hash distance (avatars only)
    inliers: int  # feature matches consistent with one placement; 0 when not checked
    confirmed: bool

    def describe(self) -> str:
        if self.distance is not None and self.distance <= CLOSE:
            return f"{self.image} is a copy of {self.account}'s official avatar"
        # Found by features rather than the hash: cropped, re-framed or edited.
        return f"{self.image} shows {self.account}'s official avatar, cropped or edited"


def _features(gray: np.ndarray) -> tuple[tuple[cv2.KeyPoint, ...], np.ndarray | None]:
    import cv2

    orb = cv2.ORB.create(nfeatures=1500)
    keypoints, descriptors = orb.detectAndCompute(gray, None)
    return tuple(keypoints), descriptors


def _prepare(path: Path, max_side: int = _SIDE) -> tuple[imagehash.ImageHash, np.ndarray]:
    import cv2
    import imagehash
    from PIL import Image

    decoded = load_image(path, max_side=max_side)
    rgb = cv2.cvtColor(decoded.bgr, cv2.COLOR_BGR2RGB)
    gray = cv2.cvtColor(decoded.bgr, cv2.COLOR_BGR2GRAY)
    return imagehash.phash(Image.fromarray(rgb)), gray


def _inliers(ref: Reference, keypoints: tuple[cv2.KeyPoint, ...],
             descriptors: np.ndarray | None) -> int:
    import cv2

    if ref.descriptors is None or descriptors is None or len(keypoints) < 4:
        return 0
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(ref.descriptors, descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.75 * p[1].distance]
    if len(good) < MIN_INLIERS:
        return 0
    src = np.array([ref.keypoints[m.queryIdx].pt for m in good], np.float32)
    dst = np.array([keypoints[m.trainIdx].pt for m in good], np.float32)
    _, mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0)
    return int(mask.sum()) if mask is not None else 0


class AvatarMatcher:
    """Reference avatars loaded once; `match` compares one account's avatar or banner."""

    def __init__(self, references: list[Reference], problems: list[str]) -> None:
        self.references = references
        self.problems = problems  # reference images that could not be used, for the log

    @classmethod
    def from_paths(cls, paths: dict[str, Path]) -> AvatarMatcher:
        """`paths`: account label -> reference image. Unreadable references are reported."""
        references, problems = [], []
        seen: dict[Path, Reference] = {}
        for account, path in paths.items():
            try:
                if path not in seen:
                    phash, gray = _prepare(path)
                    seen[path] = Reference(account, path, phash, *_features(gray))
                ref = seen[path]
                references.append(Reference(account, path, ref.phash, ref.keypoints,
                                            ref.descriptors))
            except ImageError as exc:
                problems.append(f"reference avatar for {account}: {exc}")
                log.warning("reference avatar for %s not usable: %s", account, exc)
        return cls(references, problems)

    def match(self, path: str | Path, image: str = "avatar") -> ImageMatch | None:
        """The best match of the image at `path` with a reference, or None. Raises ImageError
        for a missing or broken file (the caller explains it and goes on)."""
        if not self.references:
            return None
        # A banner is wide and the avatar a small part of it: keep more of its pixels.
        phash, gray = _prepare(Path(path), _SIDE if image == "avatar" else 3 * _SIDE)
        keypoints, descriptors = None, None
        best: ImageMatch | None = None
        for ref in self.references:
            distance = int(phash - ref.phash) if image == "avatar" else None
            if distance is not None and distance <= CLOSE:
                found = ImageMatch(image, ref.account, str(ref.path), distance, 0, True)
            elif distance is None or distance <= NEAR:
                if keypoints is None:
                    keypoints, descriptors = _features(gray)
                inliers = _inliers(ref, keypoints, descriptors)
                found = ImageMatch(image, ref.account, str(ref.path), distance, inliers,
                                   inliers >= MIN_INLIERS)
            else:
                continue
            if best is None or _rank(found) > _rank(best):
                best = found
        return best if best is not None and best.confirmed else None


def _rank(match: ImageMatch) -> tuple[bool, int, int]:
    return (match.confirmed, -(match.distance or 0), match.inliers)
