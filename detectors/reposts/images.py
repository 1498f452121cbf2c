"""Recognising a reposted picture: the same photograph resized, recompressed, recoloured,
cropped or mirrored.

Perceptual hashes are not enough (a star field and a crop of it differ by 34 of 64 bits, while
unrelated dark flyers are as close), so images are compared by ORB features: every remembered
image's descriptors sit in one matrix, a new image's descriptors (and its mirror's) vote for the
images they match best, and the leaders are verified with a RANSAC homography. A match also
says how much of the copy shows the original (`coverage`: the share of the copy's feature cells
with a verified match), which separates a repost of the picture from a flyer that uses a corner
of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detectors.common.image import ImageError, load_image
from pipeline.core.works import WorkImage

MAX_SIDE = 640
FEATURES = 500
RATIO = 0.8
MIN_INLIERS = 25
GRID = 8
CANDIDATES = 5
NEIGHBOURS = 6  # enough to see past other copies of the same picture


@dataclass
class ImageFeatures:
    points: np.ndarray  # (n, 2) float32, in the working size
    descriptors: np.ndarray  # (n, 32) uint8
    size: tuple[int, int]  # working (width, height)


def stored(post_id: str, media_index: int, item: ImageFeatures) -> WorkImage:
    """The features as the store keeps them (pipeline/core/works.py)."""
    return WorkImage(post_id, media_index, item.size[0], item.size[1],
                     item.points.astype(np.float32).tobytes(),
                     item.descriptors.astype(np.uint8).tobytes())


def from_stored(image: WorkImage) -> ImageFeatures:
    return ImageFeatures(np.frombuffer(image.points, np.float32).reshape(-1, 2),
                         np.frombuffer(image.descriptors, np.uint8).reshape(-1, 32),
                         (image.width, image.height))


@dataclass
class ImageMatch:
    key: int  # the remembered image's index
    inliers: int
    coverage: float  # share of the copy's feature cells explained by the original
    mirrored: bool


def features(path: str | Path) -> tuple[ImageFeatures, ImageFeatures] | None:
    """Features of the image and of its mirror, or None for an image with too little detail.
    Raises ImageError for a file that cannot be read as an image."""
    import cv2

    decoded = load_image(path, max_side=MAX_SIDE)
    grey = cv2.cvtColor(decoded.bgr, cv2.COLOR_BGR2GRAY)
    orb = cv2.ORB_create(nfeatures=FEATURES)  # type: ignore[attr-defined]
    found = []
    for image in (grey, cv2.flip(grey, 1)):
        keypoints, descriptors = orb.detectAndCompute(image, None)
        if descriptors is None or len(keypoints) < MIN_INLIERS:
            return None
        points = np.array([k.pt for k in keypoints], dtype=np.float32)
        found.append(ImageFeatures(points, descriptors,
                                   (image.shape[1], image.shape[0])))
    return found[0], found[1]


def _cells(points: np.ndarray, size: tuple[int, int]) -> set[tuple[int, int]]:
    width, height = size
    cells = np.minimum(points / [width / GRID, height / GRID], GRID - 1).astype(int)
    return set(map(tuple, cells))


class ImageIndex:
    """Remembered images' features in one matrix; `match` finds the verified near-copies."""

    def __init__(self) -> None:
        self._features: list[ImageFeatures] = []
        self._matrix: np.ndarray | None = None
        self._owner: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._features)

    def add(self, item: ImageFeatures) -> int:
        self._features.append(item)
        self._matrix = None
        return len(self._features) - 1

    def _stacked(self) -> tuple[np.ndarray, np.ndarray]:
        if self._matrix is None or self._owner is None:
            self._matrix = np.vstack([f.descriptors for f in self._features])
            self._owner = np.concatenate([np.full(len(f.descriptors), i, np.int32)
                                          for i, f in enumerate(self._features)])
        return self._matrix, self._owner

    def match(self, query: tuple[ImageFeatures, ImageFeatures],
              allowed: set[int] | None = None) -> list[ImageMatch]:
        """Verified matches of the image (or its mirror) among the remembered images in
        `allowed` (default: all), best first."""
        import cv2

        if not self._features:
            return []
        matrix, owner = self._stacked()
        matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        best: dict[int, ImageMatch] = {}
        for mirrored, image in ((False, query[0]), (True, query[1])):
            if mirrored and any(m.coverage >= 0.5 for m in best.values()):
                break  # the picture itself matched well: no need to try its mirror
            votes: dict[int, list[tuple[int, int]]] = {}
            for neighbours in matcher.knnMatch(image.descriptors, matrix, k=NEIGHBOURS):
                first = next((n for n in neighbours
                              if allowed is None or int(owner[n.trainIdx]) in allowed), None)
                if first is None:
                    continue
                key = int(owner[first.trainIdx])
                # The ratio test against the nearest descriptor of another image: two copies of
                # one picture in the index must not cancel each other out.
                second = next((n for n in neighbours if n.distance >= first.distance
                               and int(owner[n.trainIdx]) != key), None)
                if second is None or first.distance < RATIO * second.distance:
                    votes.setdefault(key, []).append((first.queryIdx, first.trainIdx))
            leaders = sorted(votes, key=lambda k: -len(votes[k]))[:CANDIDATES]
            for key in leaders:
                if len(votes[key]) < MIN_INLIERS:
                    continue
                offset = int(np.searchsorted(owner, key))
                found = self._verify(image, key, votes[key], offset, mirrored)
                if found and (key not in best or found.inliers > best[key].inliers):
                    best[key] = found
        return sorted(best.values(), key=lambda m: (-m.coverage, -m.inliers))

    def _verify(self, image: ImageFeatures, key: int, pairs: list[tuple[int, int]],
                offset: int, mirrored: bool) -> ImageMatch | None:
        import cv2

        original = self._features[key]
        source = image.points[[q for q, _ in pairs]]
        target = original.points[[t - offset for _, t in pairs]]
        _, mask = cv2.findHomography(source, target, cv2.RANSAC, 5.0)
        if mask is None:
            return None
        inlier = mask.ravel().astype(bool)
        if int(inlier.sum()) < MIN_INLIERS:
            return None
        coverage = len(_cells(source[inlier], image.size)) / max(
            1, len(_cells(image.points, image.size)))
        return ImageMatch(key, int(inlier.sum()), round(coverage, 3), mirrored)


__all__ = ["ImageError", "ImageFeatures", "ImageIndex", "ImageMatch", "features", "from_stored",
           "stored"]
