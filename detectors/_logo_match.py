"""Finding reference logos inside an image: one shared descriptor index, ratio test, RANSAC.

`LogoMatcher` holds every reference's descriptors in one FLANN index, so an image is described
and searched once whatever the number of logos; matches are then grouped per reference and each
group must agree on a plausible homography. Geometry that a real printed or pasted logo cannot
produce (a folded, mirrored or needle-thin quadrilateral, an absurd scale, inliers bunched in one
corner of the logo) is rejected, since that is where chance matches come from.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detectors._logo_refs import ReferenceLogo, phash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchSettings:
    features: str = "sift"  # "sift" or "orb"
    max_features: int = 3000
    ratio: float = 0.8
    neighbours: int = 10  # enough to see past one feature's twins in other views and scales
    min_matches: int = 6  # matches a reference needs before a homography is tried
    min_inliers: int = 8  # inliers at which the score reaches 0.5
    reproj_error: float = 5.0
    min_area: float = 150.0  # px^2 in the searched image
    min_angle: float = 25.0  # degrees; interior angles outside [min, 180 - min] are skew
    max_side_ratio: float = 4.0  # opposite sides of the quadrilateral
    min_scale: float = 0.03
    max_scale: float = 12.0
    min_coverage: float = 0.02  # inliers' hull over the reference area
    min_span: float = 0.25  # inliers' extent over the reference's longer side
    phash_distance: int = 6  # of 64 bits; below this an image is the logo itself


@dataclass
class LogoMatch:
    reference: ReferenceLogo
    score: float
    inliers: int
    matches: int
    polygon: list[list[float]]  # corners of the reference in the searched image's pixels
    method: str  # "features" or "phash"
    details: dict[str, float] = field(default_factory=dict)


def feature_extractor(settings: MatchSettings) -> object:
    import cv2

    if settings.features == "sift":
        return cv2.SIFT_create(nfeatures=settings.max_features)  # type: ignore[attr-defined]
    if settings.features == "orb":
        return cv2.ORB_create(  # type: ignore[attr-defined]
            nfeatures=settings.max_features, scaleFactor=1.2, nlevels=10,
            edgeThreshold=15, patchSize=15)
    raise ValueError(f"unknown feature type {settings.features!r}; use 'sift' or 'orb'")


def feature_key(settings: MatchSettings) -> str:
    return f"{settings.features}:{settings.max_features}"


def score_for(inliers: int, min_inliers: int) -> float:
    """0.5 at `min_inliers`, rising towards 1 as more features agree."""
    return 1.0 - 0.5 ** (inliers / max(1, min_inliers))


class LogoMatcher:
    def __init__(self, references: Sequence[ReferenceLogo], settings: MatchSettings) -> None:
        import cv2

        self.references = list(references)
        self.settings = settings
        self.extractor = feature_extractor(settings)
        self._owner = np.concatenate(
            [np.full(len(r.points), i, np.int32) for i, r in enumerate(self.references)]
        ) if self.references else np.zeros(0, np.int32)
        self._local = np.concatenate(
            [np.arange(len(r.points), dtype=np.int32) for r in self.references]
        ) if self.references else np.zeros(0, np.int32)
        self._hashes = [
            (i, int(h, 16)) for i, r in enumerate(self.references) for h in r.phashes
        ]
        self._index: Any = None
        self._lock = threading.Lock()
        if self.references:
            descriptors = np.concatenate([r.descriptors for r in self.references])
            if settings.features == "sift":
                params: dict[str, bool | int | float | str] = {"algorithm": 1, "trees": 4}
                self._index = cv2.FlannBasedMatcher(params, {"checks": 32})
                self._index.add([descriptors.astype(np.float32)])
            else:
                # Binary descriptors: an exact Hamming search is fast enough at logo scale.
                self._index = cv2.BFMatcher(cv2.NORM_HAMMING)
                self._index.add([descriptors])
            self._index.train()

    def exact_reuse(self, bgr: np.ndarray) -> LogoMatch | None:
        """The whole image is one of the logos (an avatar, a re-posted logo file)."""
        import cv2

        if not self._hashes:
            return None
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        # The hash of a photo can sit close to a logo's by chance only if it is nearly flat.
        if float(grey.std()) < 8.0:
            return None
        value = int(phash(grey), 16)
        best_distance, best = min(((value ^ h).bit_count(), i) for i, h in self._hashes)
        if best_distance > self.settings.phash_distance:
            return None
        h, w = grey.shape
        return LogoMatch(
            self.references[best], 1.0 - best_distance / 64.0 * 0.5, 0, 0,
            [[0.0, 0.0], [float(w), 0.0], [float(w), float(h)], [0.0, float(h)]],
            "phash", {"phash_distance": float(best_distance)},
        )

    def describe(self, grey: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        keypoints, descriptors = self.extractor.detectAndCompute(grey, None)  # type: ignore[attr-defined]
        if not keypoints:
            return np.zeros((0, 2), np.float32), None
        points = np.asarray([k.pt for k in keypoints], dtype=np.float32)
        return points, descriptors

    def match(self, bgr: np.ndarray) -> list[LogoMatch]:
        """Every reference found in the image, best first (at most one match per reference)."""
        import cv2

        reuse = self.exact_reuse(bgr)
        if reuse is not None:
            return [reuse]
        if self._index is None:
            return []
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        points, descriptors = self.describe(grey)
        if descriptors is None or len(points) < self.settings.min_matches:
            return []
        if self.settings.features == "sift":
            descriptors = descriptors.astype(np.float32)
        # OpenCV does not promise that one matcher may be searched from several threads.
        with self._lock:
            neighbours = self._index.knnMatch(descriptors, k=self.settings.neighbours)
        per_reference = self._ratio_test(neighbours)
        found = []
        for ref_index, pairs in per_reference.items():
            if len(pairs) < self.settings.min_matches:
                continue
            result = self._verify(self.references[ref_index], pairs, points, grey.shape)
            if result is not None:
                found.append(result)
        found.sort(key=lambda m: (m.score, m.inliers), reverse=True)
        return prefer_matching_colours(bgr, found)

    def _ratio_test(self, neighbours: Sequence[Sequence[Any]]) -> dict[int, list[tuple[int, int]]]:
        """Lowe's ratio test on a shared index. The runner-up must be a *different* structure:
        the same feature seen in another view, scale or variant of the same brand (the crest
        and the monochrome crest) is not a rival, and comparing against it would reject every
        good match. Every same-brand neighbour that passes votes for its own reference."""
        kept: dict[int, dict[int, tuple[float, int]]] = {}
        for candidates in neighbours:
            if not candidates:
                continue
            first = candidates[0]
            owner = int(self._owner[first.trainIdx])
            brand = self.references[owner].brand
            here = self.references[owner].points[int(self._local[first.trainIdx]), :2]
            near = 0.04 * max(self.references[owner].size)
            allies, runner_up = [first], None
            for other in candidates[1:]:
                o_owner = int(self._owner[other.trainIdx])
                o_local = int(self._local[other.trainIdx])
                ref = self.references[o_owner]
                if ref.brand != brand or (
                    o_owner == owner and np.hypot(*(ref.points[o_local, :2] - here)) > near
                ):
                    runner_up = other
                    break
                allies.append(other)
            if runner_up is None:
                continue  # every neighbour is the same feature: distinctiveness unknown
            limit = self.settings.ratio * runner_up.distance
            for match in allies:
                if match.distance >= limit:
                    break
                m_owner = int(self._owner[match.trainIdx])
                local = int(self._local[match.trainIdx])
                slot = kept.setdefault(m_owner, {})
                # One reference feature pairs with its closest image feature only.
                if local not in slot or match.distance < slot[local][0]:
                    slot[local] = (float(match.distance), int(match.queryIdx))
        # A query feature counts once per reference even when several views of it matched.
        result = {}
        for owner, slot in kept.items():
            seen: set[int] = set()
            pairs = []
            for local, (_, query) in sorted(slot.items(), key=lambda item: item[1][0]):
                if query not in seen:
                    seen.add(query)
                    pairs.append((local, query))
            result[owner] = pairs
        return result

    def _verify(
        self,
        ref: ReferenceLogo,
        pairs: list[tuple[int, int]],
        points: np.ndarray,
        shape: tuple[int, ...],
    ) -> LogoMatch | None:
        import cv2

        s = self.settings
        src = ref.points[[p[0] for p in pairs], :2].reshape(-1, 1, 2)
        dst = points[[p[1] for p in pairs]].reshape(-1, 1, 2)
        # Two models compete: a full homography (perspective) and a similarity (rotation,
        # scale, shift). With few correct matches, as on small logos, the homography's extra
        # freedom lets RANSAC settle on a folded outline that the similarity cannot produce.
        candidates = []
        # RANSAC draws from OpenCV's per-thread generator; a fixed seed makes a rerun on the
        # same image give the same outline, score and hit.
        cv2.setRNGSeed(len(pairs))
        homography, mask = cv2.findHomography(
            src, dst, cv2.RANSAC, s.reproj_error, maxIters=1000, confidence=0.995
        )
        if homography is not None and mask is not None:
            candidates.append((homography, mask.ravel().astype(bool)))
        similarity, mask = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=s.reproj_error,
            maxIters=1000, confidence=0.995,
        )
        if similarity is not None and mask is not None:
            candidates.append((np.vstack([similarity, [0.0, 0.0, 1.0]]), mask.ravel().astype(bool)))
        best: LogoMatch | None = None
        for model, inlier_mask in candidates:
            inliers = int(inlier_mask.sum())
            if inliers < max(5, s.min_inliers // 2) or (best and inliers <= best.inliers):
                continue
            quad = cv2.perspectiveTransform(ref.corners.reshape(-1, 1, 2), model).reshape(-1, 2)
            problem = plausible_quad(quad, ref, src[inlier_mask].reshape(-1, 2), shape, s)
            if problem:
                log.debug("rejected %s: %s (%d inliers)", ref.label, problem, inliers)
                continue
            best = LogoMatch(
                ref, score_for(inliers, s.min_inliers), inliers, len(pairs),
                [[round(float(x), 1), round(float(y), 1)] for x, y in quad], "features",
                {"inlier_ratio": round(inliers / len(pairs), 3)},
            )
        return best


def colour_distance(image: np.ndarray, match: LogoMatch) -> float:
    """Mean colour difference between the image and the reference warped onto its outline."""
    import cv2

    ref = match.reference
    thumbnail = cv2.resize(ref.thumbnail, ref.size, interpolation=cv2.INTER_AREA)
    model = cv2.getPerspectiveTransform(
        ref.corners, np.asarray(match.polygon, dtype=np.float32)
    )
    size = (image.shape[1], image.shape[0])
    warped = cv2.warpPerspective(thumbnail, model, size)
    inside = cv2.warpPerspective(np.full(thumbnail.shape[:2], 255, np.uint8), model, size) > 0
    if not inside.any():
        return float("inf")
    return float(np.abs(image[inside].astype(np.int16) - warped[inside].astype(np.int16)).mean())


def prefer_matching_colours(image: np.ndarray, found: list[LogoMatch]) -> list[LogoMatch]:
    """Variants of one design (the crest, the monochrome crest) share their grey-level
    features, so geometry alone cannot tell which was used. Among the best brand's confident
    matches, the variant whose colours agree with the image goes first."""
    if len(found) < 2 or found[0].method != "features":
        return found
    brand = found[0].reference.brand
    rivals = [m for m in found if m.reference.brand == brand and m.score >= 0.5]
    if len(rivals) < 2:
        return found
    chosen = min(rivals, key=lambda m: colour_distance(image, m))
    if chosen is found[0]:
        return found
    # The hit keeps the strongest evidence's score; only the named variant changes.
    chosen.details["geometry_score"] = round(chosen.score, 4)
    chosen.score = found[0].score
    return [chosen, *[m for m in found if m is not chosen]]


def _polygon_area(quad: np.ndarray) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def plausible_quad(
    quad: np.ndarray,
    ref: ReferenceLogo,
    ref_inliers: np.ndarray,
    shape: tuple[int, ...],
    s: MatchSettings,
) -> str | None:
    """Why this projected outline cannot be a real logo, or None when it can."""
    import cv2

    if not np.all(np.isfinite(quad)):
        return "projection is not finite"
    edges = np.roll(quad, -1, axis=0) - quad
    following = np.roll(edges, -1, axis=0)
    turns = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    # Image y points down, so an unmirrored outline turns with positive cross products.
    if not (np.all(turns > 0)):
        return "outline is folded, mirrored or not convex"
    area = _polygon_area(quad)
    if area < s.min_area:
        return f"outline is tiny ({area:.0f} px^2)"
    if area > 4.0 * shape[0] * shape[1]:
        return "outline is far larger than the image"
    ref_area = float(ref.size[0] * ref.size[1])
    scale = math.sqrt(area / ref_area)
    if not s.min_scale <= scale <= s.max_scale:
        return f"implausible scale {scale:.3f}"
    lengths = np.hypot(edges[:, 0], edges[:, 1])
    for a, b in ((0, 2), (1, 3)):
        ratio = max(lengths[a], lengths[b]) / max(1e-6, min(lengths[a], lengths[b]))
        if ratio > s.max_side_ratio:
            return f"extreme perspective (opposite sides {ratio:.1f}:1)"
    for i in range(4):
        u, v = -edges[i - 1], edges[i]
        cosine = float(np.dot(u, v) / max(1e-6, np.linalg.norm(u) * np.linalg.norm(v)))
        angle = math.degrees(math.acos(max(-1.0, min(1.0, cosine))))
        if not s.min_angle <= angle <= 180.0 - s.min_angle:
            return f"extreme skew (corner angle {angle:.0f} degrees)"
    if len(ref_inliers) >= 3:
        hull = cv2.convexHull(ref_inliers.astype(np.float32))
        coverage = cv2.contourArea(hull) / ref_area
        if coverage < s.min_coverage:
            return f"inliers cover only {coverage:.0%} of the logo"
        extent = ref_inliers.max(axis=0) - ref_inliers.min(axis=0)
        span = float(max(extent[0], extent[1])) / max(ref.size)
        if span < s.min_span:
            return f"inliers span only {span:.0%} of the logo"
    return None
