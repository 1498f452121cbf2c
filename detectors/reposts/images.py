"""Recognising a reposted picture: the same photograph resized, recompressed, recoloured,
cropped or mirrored.

Perceptual hashes are not enough (a star field and a crop of it differ by 34 of 64 bits, while
unrelated dark flyers are as close), so images are compared by ORB features: every remembered
image's descriptors sit in one matrix, a new image's descriptors (and its mirror's) vote for the
images they match best, and the leaders are verified with a RANSAC homography. A match also
says how much of the copy shows the original (`coverage`: the share of the copy's feature cells
with a verified match), which separates a repost of the picture from a flyer that uses a corner
of it.

Comparing with every remembered image does not scale: the cost grows with each one, and OpenCV's
matcher refuses a matrix of more than 2^18 descriptors (about 520 images) outright. So each
image also has "visual words": a few bits of each of its strongest descriptors, read as keys
(locality-sensitive hashing: near descriptors mostly share them, unrelated ones rarely). An
image's words are kept with its work like a text's shingles, and the store finds the works
sharing the most of a new image's words (`WorkHistory.shared_shingles`); only that shortlist
is read and matched feature by feature. The words are negative numbers, text shingles never
are, so one search serves both without one reading as the other.
"""

from __future__ import annotations

from collections import Counter
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
# Visual words: WORD_BITS fixed bits of each of the WORD_FEATURES strongest descriptors, in
# WORD_TABLES independent draws. A copy shares tens of words with its original, an unrelated
# image a few (bench/bench_reposts_images.py measures both); SHORTLIST images are compared.
WORD_FEATURES = 200
WORD_TABLES = 2
WORD_BITS = 16
SHORTLIST = 24
_WORD_BITS = np.random.default_rng(20261203).choice(256, (WORD_TABLES, WORD_BITS),
                                                    replace=False)
_WORD_WEIGHTS = (1 << np.arange(WORD_BITS)).astype(np.int64)
# OpenCV's brute-force matcher indexes its training rows with 18 bits.
_MATCHER_ROWS = 1 << 18


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
        # Strongest first: the visual words are read from the head of the list.
        order = np.argsort([-k.response for k in keypoints], kind="stable")
        points = np.array([keypoints[i].pt for i in order], dtype=np.float32)
        found.append(ImageFeatures(points, descriptors[order],
                                   (image.shape[1], image.shape[0])))
    return found[0], found[1]


def visual_words(item: ImageFeatures) -> list[int]:
    """The image's visual words (negative ints, distinct, sorted). Descriptors are kept strongest
    first (`features`), so the words come from the keypoints a copy most likely keeps."""
    strongest = item.descriptors[:WORD_FEATURES]
    if not len(strongest):
        return []
    bits = np.unpackbits(strongest, axis=1).astype(np.int64)
    keys = [-(1 + (table << WORD_BITS) + bits[:, positions] @ _WORD_WEIGHTS)
            for table, positions in enumerate(_WORD_BITS)]
    return [int(k) for k in np.unique(np.concatenate(keys))]


def query_words(query: tuple[ImageFeatures, ImageFeatures]) -> list[int]:
    """The words to look an image up by: its own and its mirror's."""
    return sorted(set(visual_words(query[0])) | set(visual_words(query[1])))


def _cells(points: np.ndarray, size: tuple[int, int]) -> set[tuple[int, int]]:
    width, height = size
    cells = np.minimum(points / [width / GRID, height / GRID], GRID - 1).astype(int)
    return set(map(tuple, cells))


class ImageIndex:
    """Remembered images' features; `match` finds the verified near-copies among the SHORTLIST
    images sharing the most visual words with the query (all of them, when that is fewer)."""

    def __init__(self) -> None:
        self._features: list[ImageFeatures] = []
        self._postings: dict[int, list[int]] = {}  # word -> keys of the images that have it

    def __len__(self) -> int:
        return len(self._features)

    def add(self, item: ImageFeatures) -> int:
        key = len(self._features)
        self._features.append(item)
        for word in visual_words(item):
            self._postings.setdefault(word, []).append(key)
        return key

    def shortlist(self, image: ImageFeatures, allowed: set[int] | None = None) -> list[int]:
        """The keys to compare `image` with, ascending: the allowed images sharing the most
        words with it, at most SHORTLIST (every allowed image when there are no more)."""
        keys = [k for k in range(len(self._features)) if allowed is None or k in allowed]
        if len(keys) <= SHORTLIST:
            return keys
        votes: Counter[int] = Counter()
        for word in visual_words(image):
            votes.update(self._postings.get(word, ()))
        ranked = sorted((k for k in votes if allowed is None or k in allowed),
                        key=lambda k: (-votes[k], k))
        return sorted(ranked[:SHORTLIST])

    def match(self, query: tuple[ImageFeatures, ImageFeatures],
              allowed: set[int] | None = None) -> list[ImageMatch]:
        """Verified matches of the image (or its mirror) among the remembered images in
        `allowed` (default: all), best first."""
        import cv2

        if not self._features:
            return []
        matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        best: dict[int, ImageMatch] = {}
        for mirrored, image in ((False, query[0]), (True, query[1])):
            if mirrored and any(m.coverage >= 0.5 for m in best.values()):
                break  # the picture itself matched well: no need to try its mirror
            keys = self.shortlist(image, allowed)
            if not keys:
                continue
            matrix = np.vstack([self._features[k].descriptors for k in keys])
            owner = np.concatenate([np.full(len(self._features[k].descriptors), k, np.int32)
                                    for k in keys])
            assert len(matrix) < _MATCHER_ROWS, "the shortlist bounds the matcher's rows"
            votes: dict[int, list[tuple[int, int]]] = {}
            for neighbours in matcher.knnMatch(image.descriptors, matrix, k=NEIGHBOURS):
                if not neighbours:
                    continue
                first = neighbours[0]
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
        # USAC (OpenCV's newer RANSAC: sequential tests, local optimisation) rather than plain
        # RANSAC: a candidate of mostly chance matches made plain RANSAC run all its 2,000
        # iterations, 14 ms a call in a backfill of screenshots; USAC rejects it in well under
        # one, and the copies bench found one copy more with it (bench/bench_reposts_images.py).
        _, mask = cv2.findHomography(source, target, cv2.USAC_DEFAULT, 5.0)
        if mask is None:
            return None
        inlier = mask.ravel().astype(bool)
        if int(inlier.sum()) < MIN_INLIERS:
            return None
        coverage = len(_cells(source[inlier], image.size)) / max(
            1, len(_cells(image.points, image.size)))
        return ImageMatch(key, int(inlier.sum()), round(coverage, 3), mirrored)


__all__ = ["ImageError", "ImageFeatures", "ImageIndex", "ImageMatch", "features", "from_stored",
           "query_words", "stored", "visual_words"]
