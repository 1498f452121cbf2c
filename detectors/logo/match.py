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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detectors.logo import shapes
from detectors.logo.references import ReferenceLogo, phash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchSettings:
    features: str = "sift"  # "sift" or "orb"
    max_features: int = 3000
    ratio: float = 0.8
    neighbours: int = 10  # enough to see past one feature's twins in other views and scales
    checks: int = 32  # FLANN leaves visited per search: fewer is faster and less exact
    min_matches: int = 6  # matches a reference needs before a homography is tried
    min_inliers: int = 8  # inliers at which the score reaches 0.5
    # Fewer inliers and a fit is not even a candidate. A homography needs one more: any 4
    # matches fit one exactly. Candidates this weak are left to the appearance check.
    min_candidate_inliers: int = 4
    reproj_error: float = 5.0
    min_area: float = 150.0  # px^2 in the searched image
    min_angle: float = 25.0  # degrees; interior angles outside [min, 180 - min] are skew
    max_side_ratio: float = 4.0  # opposite sides of the quadrilateral
    min_scale: float = 0.03
    max_scale: float = 12.0
    min_coverage: float = 0.02  # inliers' hull over the reference area
    min_span: float = 0.25  # inliers' extent over the reference's longer side
    phash_distance: int = 6  # of 64 bits; below this an image is the logo itself
    # Matches with fewer inliers than this are judged by appearance too: at 5-11 inliers a real
    # but small, blurred or tilted logo and a chance alignment in a busy photo look alike
    # geometrically, but only the real logo's edges line up with the reference's.
    appearance_below: int = 12
    min_appearance: float = 0.5  # edge agreement that confirms a weak match
    # Outlines (detectors/logo/shapes.py) are searched when features find nothing sure.
    use_shapes: bool = True
    shape: shapes.ShapeSettings = field(default_factory=shapes.ShapeSettings)


@dataclass
class LogoMatch:
    reference: ReferenceLogo
    score: float
    inliers: int
    matches: int
    polygon: list[list[float]]  # corners of the reference in the searched image's pixels
    method: str  # "features" or "phash"
    details: dict[str, float] = field(default_factory=dict)


@dataclass
class Searched:
    """An image's keypoints and the shared index's answer for them."""

    points: np.ndarray  # (n, 2) keypoint positions
    indices: np.ndarray  # (n, k) nearest reference features, nearest first
    distances: np.ndarray  # (n, k)


SIFT_CONTRAST = 0.04  # OpenCV's default contrast threshold
SUPPORT_RATIO = 0.95  # the ratio test's looser form, for feature support of outline matches


def feature_extractor(settings: MatchSettings, contrast: float = SIFT_CONTRAST) -> object:
    """`contrast` above SIFT's default keeps fewer, stronger keypoints: a cheaper search of a
    posted image. References and the tiled pass for small logos keep the default."""
    import cv2

    if settings.features == "sift":
        return cv2.SIFT_create(  # type: ignore[attr-defined]
            nfeatures=settings.max_features, contrastThreshold=contrast)
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
        # Per feature of the shared index: its reference's brand, its position in the reference
        # and that reference's "same spot" radius, for the vectorised ratio test.
        brand_ids = {b: i for i, b in enumerate(sorted({r.brand for r in self.references}))}
        self._brand = np.asarray([brand_ids[r.brand] for r in self.references], np.int32)
        self._xy = np.concatenate([r.points[:, :2] for r in self.references]).astype(
            np.float32) if self.references else np.zeros((0, 2), np.float32)
        self._near = np.asarray([0.04 * max(r.size) for r in self.references], np.float32)
        self._index: Any = None
        self._lock = threading.Lock()
        self._parts = [reference_shape_parts(r, settings.shape) for r in self.references] if (
            settings.use_shapes) else []
        if self.references:
            descriptors = np.concatenate([r.descriptors for r in self.references])
            if settings.features == "sift":
                # flann_Index answers with arrays (squared distances), not DMatch objects:
                # converting 30,000 of those per image cost more than the search. Its randomised
                # trees draw from OpenCV's generator: seeded, the same references build the same
                # index, so an image's matches do not depend on what the process did before.
                cv2.setRNGSeed(0x10605)
                self._index = cv2.flann_Index(  # type: ignore[attr-defined]
                    descriptors.astype(np.float32), {"algorithm": 1, "trees": 4})
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

    def describe(
        self, grey: np.ndarray, extractor: object | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        extractor = extractor or self.extractor
        keypoints, descriptors = extractor.detectAndCompute(grey, None)  # type: ignore[attr-defined]
        if not keypoints:
            return np.zeros((0, 2), np.float32), None
        points = np.asarray([k.pt for k in keypoints], dtype=np.float32)
        return points, descriptors

    def match(self, bgr: np.ndarray, extractor: object | None = None,
              shape_side: int | None = None) -> list[LogoMatch]:
        """Every reference found in the image, best first (at most one match per reference).
        `extractor` overrides the feature extractor (the detector's cheaper working-size one);
        `shape_side` the size the outline search reduces the image to."""
        import cv2

        reuse = self.exact_reuse(bgr)
        if reuse is not None:
            return [reuse]
        if self._index is None:
            return []
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        searched = self.search_features(grey, extractor)
        found = self.match_features(grey, searched)
        # A flat mark on a plain ground can leave too few keypoints for features to try at
        # all; its outline is still there.
        if self._parts and not (found and found[0].score >= 0.5):
            found = merge_best(found, self.match_shapes(grey, shape_side, searched))
        return prefer_matching_colours(bgr, found)

    def search_features(self, grey: np.ndarray, extractor: object | None = None
                        ) -> Searched | None:
        """The image's keypoints and their nearest reference features, or None when there
        are too few keypoints to match."""
        points, descriptors = self.describe(grey, extractor)
        if descriptors is None or len(points) < self.settings.min_matches:
            return None
        if self.settings.features == "sift":
            descriptors = descriptors.astype(np.float32)
        return Searched(points, *self._neighbours(descriptors))

    def match_features(self, grey: np.ndarray, searched: Searched | None) -> list[LogoMatch]:
        """References found by local features, best first; weak ones judged by appearance."""
        if searched is None:
            return []
        points = searched.points
        per_reference = self._ratio_test(searched.indices, searched.distances)
        found = []
        for ref_index, pairs in per_reference.items():
            if len(pairs) < self.settings.min_matches:
                continue
            result = self._verify(self.references[ref_index], pairs, points, grey.shape)
            if result is not None:
                found.append(result)
        for candidate in found:
            if candidate.inliers < self.settings.appearance_below:
                judge_by_appearance(grey, candidate, self.settings)
        found.sort(key=lambda m: (m.score, m.inliers), reverse=True)
        return found

    def feature_support(self, match: LogoMatch, searched: Searched | None) -> int:
        """Image keypoints whose near neighbours among the matched reference's features (or
        its same-sized siblings of the brand: one design in other colours) lie where the
        placement puts them: local evidence that an outline placement is the logo."""
        import cv2

        if searched is None or not len(searched.points):
            return 0
        ref = match.reference
        mine = np.asarray([r.brand == ref.brand and r.size == ref.size
                           for r in self.references])
        # Only neighbours that are the nearest structure and pass a loose ratio test count: a
        # single reference fills all of a keypoint's neighbours, and ten random spots of it
        # would land near the placement by chance.
        allowed = mine[self._owner[searched.indices]] & self._votes(
            searched.indices, searched.distances, SUPPORT_RATIO)
        if not allowed.any():
            return 0
        polygon = np.asarray(match.polygon, dtype=np.float32)
        model = cv2.getPerspectiveTransform(ref.corners, polygon)
        rows, cols = np.nonzero(allowed)
        spots = self._xy[searched.indices[rows, cols]].reshape(-1, 1, 2)
        projected = cv2.perspectiveTransform(spots, model).reshape(-1, 2)
        tolerance = max(3.0, 0.03 * math.sqrt(max(_polygon_area(polygon), 1.0)))
        near = np.hypot(*(projected - searched.points[rows]).T) <= tolerance
        return int(len(np.unique(rows[near])))

    def match_shapes(self, grey: np.ndarray, side: int | None = None,
                     searched: Searched | None = None) -> list[LogoMatch]:
        """References placed by their outlines and confirmed by their edges (shapes.py)."""
        import cv2

        s = self.settings.shape
        best: dict[int, LogoMatch] = {}
        # Outlines need far fewer pixels than features: a smaller copy is searched, and what
        # is found is scaled back to the image's pixels.
        factor = min(1.0, (side or s.working_side) / max(grey.shape[:2]))
        small = grey if factor == 1.0 else cv2.resize(
            grey, (round(grey.shape[1] * factor), round(grey.shape[0] * factor)),
            interpolation=cv2.INTER_AREA)
        back = np.diag([1 / factor, 1 / factor, 1.0])
        parts = shapes.image_parts(small, s)
        guesses = shapes.guesses(parts, self._parts, s, groups=self._brand.tolist())
        for guess, quad in self._placements(guesses, back, grey.shape, s.max_guesses):
            ref = self.references[guess.reference]
            candidate = LogoMatch(
                ref, 0.0, 0, 0, [[round(float(x), 1), round(float(y), 1)] for x, y in quad],
                "shape", {"profile_distance": round(guess.distance, 3)})
            agreement = judge_outline(grey, candidate, s)
            if agreement < min(s.min_agreement, s.min_supported_agreement):
                continue
            support = self.feature_support(candidate, searched)
            candidate.details["support"] = float(support)
            line = s.min_supported_agreement if support >= s.min_support else s.min_agreement
            if agreement < line:
                continue
            candidate.score = min(1.0, 0.5 + (agreement - line))
            if guess.reference not in best or candidate.score > best[guess.reference].score:
                best[guess.reference] = candidate
        return sorted(best.values(), key=lambda m: m.score, reverse=True)

    def _placements(
        self, guesses: list[shapes.ShapeGuess], back: np.ndarray, shape: tuple[int, ...],
        per_brand: int,
    ) -> list[tuple[shapes.ShapeGuess, np.ndarray]]:
        """The guesses worth judging, with each one's outline in the image's pixels: finite,
        of a plausible size, one per placement and at most `per_brand` for each brand.

        A brand's black, white and colour files share their outlines, so one image region
        proposes the same placement once per file; judging it once leaves the budget for other
        regions (a blurred symbol was found only as the 40th proposal). Each brand has its own
        budget: a mark of dots and bars fits dozens of regions of a busy photo, and must not
        use up the turns of the brand that is there."""
        if not guesses:
            return []
        corners = np.stack([self.references[g.reference].corners for g in guesses])  # (n, 4, 2)
        models = back @ np.stack([g.model for g in guesses])  # affine: no division needed
        quads = np.einsum("nij,nkj->nki", models[:, :2, :2], corners) + models[:, None, :2, 2]
        x, y = quads[..., 0], quads[..., 1]
        areas = 0.5 * ((x * np.roll(y, -1, axis=1)).sum(1) - (y * np.roll(x, -1, axis=1)).sum(1))
        usable = np.isfinite(quads).all(axis=(1, 2)) & (areas >= self.settings.min_area) & (
            areas <= 4.0 * shape[0] * shape[1])
        cells = np.round(quads / np.maximum(4.0, 0.03 * np.sqrt(np.abs(areas)))[:, None, None])
        placed: set[tuple[str, bytes]] = set()
        tried: Counter[str] = Counter()
        out = []
        for k in np.flatnonzero(usable):
            brand = self.references[guesses[k].reference].brand
            key = (brand, cells[k].astype(np.int64).tobytes())
            if key in placed or tried[brand] >= per_brand:
                continue
            placed.add(key)
            tried[brand] += 1
            out.append((guesses[k], quads[k]))
        return out

    def _neighbours(self, descriptors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest reference features of every image feature: (indices, distances),
        each (n, k), nearest first."""
        k = min(self.settings.neighbours, len(self._owner))
        # OpenCV does not promise that one index may be searched from several threads.
        with self._lock:
            if self.settings.features == "sift":
                indices, squared = self._index.knnSearch(
                    descriptors, k, params={"checks": self.settings.checks})
                return indices.astype(np.int64), np.sqrt(np.maximum(squared, 0))
            found = self._index.knnMatch(descriptors, k=k)
        indices = np.zeros((len(found), k), np.int64)
        distances = np.full((len(found), k), np.inf, np.float32)
        for row, candidates in enumerate(found):
            for column, m in enumerate(candidates):
                indices[row, column], distances[row, column] = m.trainIdx, m.distance
        return indices, distances

    def _votes(self, indices: np.ndarray, distances: np.ndarray, ratio: float) -> np.ndarray:
        """(n, k): which neighbours of each image feature pass the ratio test at `ratio`."""
        owner = self._owner[indices]  # (n, k) reference of each neighbour
        brand = self._brand[owner]
        spot = self._xy[indices]
        apart = np.hypot(*(spot - spot[:, :1]).transpose(2, 0, 1))
        ally = (brand == brand[:, :1]) & (
            (owner != owner[:, :1]) | (apart <= self._near[owner[:, 0]][:, None])
        )
        ally[:, 0] = True
        has_rival = ~ally.all(axis=1)
        rival = np.where(has_rival, np.argmin(ally, axis=1), indices.shape[1])  # first non-ally
        rows = np.arange(len(indices))
        # When every neighbour is the same structure (a brand with six files has that many
        # copies of each feature in its views and scales), the runner-up lies beyond the last
        # neighbour: the last one's distance is a lower bound on it, so the test still holds.
        runner_up = np.where(has_rival, distances[rows, np.minimum(rival, indices.shape[1] - 1)],
                             distances[:, -1])
        limit = ratio * runner_up
        before = np.arange(indices.shape[1])[None, :] < rival[:, None]
        return before & (distances < limit[:, None])

    def _ratio_test(
        self, indices: np.ndarray, distances: np.ndarray
    ) -> dict[int, list[tuple[int, int]]]:
        """Lowe's ratio test on a shared index. The runner-up must be a *different* structure:
        the same feature seen in another view, scale or variant of the same brand (the crest
        and the monochrome crest) is not a rival, and comparing against it would reject every
        good match. Every same-brand neighbour before the runner-up that passes votes for its
        own reference."""
        if indices.size == 0:
            return {}
        owner = self._owner[indices]  # (n, k) reference of each neighbour
        votes = self._votes(indices, distances, self.settings.ratio)
        query, column = np.nonzero(votes)
        if not len(query):
            return {}
        voter, local = owner[query, column], self._local[indices[query, column]]
        distance = distances[query, column]
        # One reference feature pairs with its closest image feature only, and an image
        # feature counts once per reference even when several views of it matched.
        order = np.lexsort((distance, local, voter))
        voter, local, query, distance = voter[order], local[order], query[order], distance[order]
        first = np.ones(len(order), bool)
        first[1:] = (voter[1:] != voter[:-1]) | (local[1:] != local[:-1])
        voter, local, query, distance = voter[first], local[first], query[first], distance[first]
        order = np.lexsort((distance, voter))
        voter, local, query = voter[order], local[order], query[order]
        result: dict[int, list[tuple[int, int]]] = {}
        for ref in np.unique(voter):
            chosen = voter == ref
            _, keep = np.unique(query[chosen], return_index=True)
            keep.sort()  # closest first, as the search returned them
            result[int(ref)] = list(zip(local[chosen][keep].tolist(),
                                        query[chosen][keep].tolist(), strict=True))
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
            candidates.append((homography, mask.ravel().astype(bool), 1))
        similarity, mask = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=s.reproj_error,
            maxIters=1000, confidence=0.995,
        )
        if similarity is not None and mask is not None:
            candidates.append(
                (np.vstack([similarity, [0.0, 0.0, 1.0]]), mask.ravel().astype(bool), 0))
        best: LogoMatch | None = None
        # The similarity is judged first; the homography replaces it only when its perspective
        # explains clearly more matches. Near a tie, the homography's extra freedom can bend the
        # outline far outside the logo (seen on an inverted copy: 48 inliers against the
        # similarity's 44, top corners 250 px above the image).
        for model, inlier_mask, extra in reversed(candidates):
            inliers = int(inlier_mask.sum())
            if inliers < s.min_candidate_inliers + extra:
                continue
            if best and inliers <= best.inliers * (1.1 if extra else 1.0) + 2 * extra:
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


def _gradients(grey: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    smooth = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), sigma)
    return (cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3),
            cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3))


def _thumbnail_key(ref: ReferenceLogo) -> tuple[str, str, int, int]:
    """What a reference's thumbnail is made from: its file's hash and its size. Not id() of
    the array, which a later reference's thumbnail can reuse once the first is freed (and
    then be compared against the first one's gradients)."""
    return (ref.sha256, ref.brand + "/" + ref.variant, *ref.thumbnail.shape[:2])


_GRADIENTS: dict[tuple[str, str, int, int, int, int, float], tuple[np.ndarray, np.ndarray]] = {}


def _reference_gradients(ref: ReferenceLogo, w: int, h: int, sigma: float
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The reference's gradients at one patch size, computed once: every candidate of a
    reference is compared at the same few sizes."""
    import cv2

    key = (*_thumbnail_key(ref), w, h, sigma)
    found = _GRADIENTS.get(key)
    if found is None:
        drawn = cv2.resize(cv2.cvtColor(ref.thumbnail, cv2.COLOR_BGR2GRAY), (w, h),
                           interpolation=cv2.INTER_AREA)
        found = _gradients(drawn, sigma)
        if len(_GRADIENTS) > 4096:  # references come and go with configs; stay bounded
            _GRADIENTS.clear()
        _GRADIENTS[key] = found
    return found


_MASKS: dict[tuple[str, str, int, int, int, int], tuple[np.ndarray, np.ndarray]] = {}


def _reference_tones(ref: ReferenceLogo, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """The reference's grey levels at one patch size, and where they are compared: the drawn
    part and a band around it (the logo's edge against whatever it sits on)."""
    import cv2

    key = (*_thumbnail_key(ref), w, h)
    found = _MASKS.get(key)
    if found is None:
        drawn = cv2.resize(cv2.cvtColor(ref.thumbnail, cv2.COLOR_BGR2GRAY), (w, h),
                           interpolation=cv2.INTER_AREA).astype(np.float32)
        background = 0.0 if float(np.median(drawn[[0, -1], :])) < 128 else 255.0
        inked = (np.abs(drawn - background) > 30).astype(np.uint8)
        grow = max(3, round(max(w, h) / 16)) | 1
        band = cv2.dilate(inked, np.ones((grow, grow), np.uint8)) > 0
        if len(_MASKS) > 4096:
            _MASKS.clear()
        found = _MASKS[key] = (drawn, band)
    return found


def judge_outline(grey: np.ndarray, match: LogoMatch, s: shapes.ShapeSettings) -> float:
    """The match's edge-and-tone agreement (`shape_agreement`), after aligning its outline
    exactly when it is close enough to be worth it; the better outline is kept."""
    agreement = shape_agreement(grey, match)
    if agreement >= s.refine_above:
        tries = [(False, "refined")] + ([(True, "perspective")] if s.refine_perspective else [])
        for homography, mark in tries:
            refined = refine_outline(grey, match, homography=homography)
            if refined is None:
                continue
            before, match.polygon = match.polygon, refined
            better = shape_agreement(grey, match)
            if better > agreement:
                agreement = better
                match.details[mark] = 1.0
            else:
                match.polygon = before
    match.details["agreement"] = round(agreement, 3)
    return agreement


def shape_agreement(grey: np.ndarray, match: LogoMatch) -> float:
    """What an outline-placed match is judged by: its edges and its tones, equally, where
    the edges must agree across the logo (`cell_agreement`), not only overall: a disc-shaped
    crest laid on a coffee cup agrees along the rim and nowhere else."""
    edges = cell_agreement(grey, match)
    tones = tone_agreement(grey, match)
    match.details["appearance"], match.details["tones"] = round(edges, 3), round(tones, 3)
    return (edges + tones) / 2


def cell_agreement(grey: np.ndarray, match: LogoMatch, *, side: int = 96, cells: int = 4,
                   quantile: float = 0.3, sigma: float = 1.5) -> float:
    """Edge agreement (as `appearance_agreement`) in each cell of a grid over the reference,
    over the cells where the reference has edges; the `quantile` of those (a logo partly
    covered still agrees in most cells)."""
    import cv2

    ref = match.reference
    width, height = ref.size
    factor = side / max(width, height)
    w, h = max(cells * 4, round(width * factor)), max(cells * 4, round(height * factor))
    frame = np.asarray([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    back = cv2.getPerspectiveTransform(np.asarray(match.polygon, dtype=np.float32), frame)
    patch = cv2.warpPerspective(grey, back, (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
    ax, ay = _reference_gradients(ref, w, h, sigma)
    bx, by = _gradients(patch, sigma)
    ys = np.linspace(0, h, cells + 1).astype(int)
    xs = np.linspace(0, w, cells + 1).astype(int)

    def per_cell(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(np.add.reduceat(values, ys[:-1], axis=0), xs[:-1], axis=1)

    dot = per_cell(np.abs(ax * bx + ay * by))
    own = per_cell(ax * ax + ay * ay)
    seen = per_cell(bx * bx + by * by)
    # Cells that fall outside the image agree with nothing (the border would otherwise be
    # replicated into straight streaks, which line up with a box or a bar).
    inside = cv2.warpPerspective(np.ones(grey.shape[:2], np.float32), back, (w, h),
                                 flags=cv2.INTER_NEAREST, borderValue=0)
    covered = per_cell(inside) / np.maximum(per_cell(np.ones((h, w), np.float32)), 1)
    used = own >= 0.05 * own.max()
    if not used.any():
        return 0.0
    scores = dot[used] / np.sqrt(np.maximum(own[used] * seen[used], 1e-9))
    scores[covered[used] < 0.5] = 0.0
    return float(np.quantile(scores, quantile))


def refine_outline(grey: np.ndarray, match: LogoMatch, *, side: int = 96,
                   homography: bool = False, wander: float = 0.3) -> list[list[float]] | None:
    """The outline moved to where the reference's tones fit the image best (OpenCV's ECC
    alignment started from the guess: affine, or a homography), or None when it does not
    converge or wanders off. An outline guessed from one part of a logo is roughly placed;
    this makes it exact."""
    import cv2

    ref = match.reference
    width, height = ref.size
    factor = side / max(width, height)
    w, h = max(8, round(width * factor)), max(8, round(height * factor))
    drawn, _ = _reference_tones(ref, w, h)
    frame = np.asarray([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    polygon = np.asarray(match.polygon, dtype=np.float32)
    start = cv2.getPerspectiveTransform(frame, polygon)
    # ECC follows the sign of the correlation: a copy darker than its ground where the
    # reference is lighter is aligned against the inverted reference.
    patch = cv2.warpPerspective(grey, np.linalg.inv(start), (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    template = drawn if float(np.corrcoef(drawn.ravel(), patch.ravel())[0, 1]) >= 0 else (
        255.0 - drawn)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 1e-4)
    # Only the neighbourhood of the outline is aligned against: ECC's cost follows the size
    # of the image it is given.
    span = polygon.max(axis=0) - polygon.min(axis=0)
    low = np.floor(np.maximum(polygon.min(axis=0) - 0.25 * span, 0)).astype(int)
    high = np.ceil(np.minimum(polygon.max(axis=0) + 0.25 * span,
                              [grey.shape[1], grey.shape[0]])).astype(int)
    if np.any(high - low < 8):
        return None
    crop = grey[low[1]: high[1], low[0]: high[0]].astype(np.float32)
    shift = np.asarray([[1, 0, -low[0]], [0, 1, -low[1]], [0, 0, 1]], dtype=np.float64)
    warp = (shift @ start).astype(np.float32)
    motion = cv2.MOTION_HOMOGRAPHY if homography else cv2.MOTION_AFFINE
    if not homography:
        warp = warp[:2] / warp[2, 2]
    try:
        _, fitted = cv2.findTransformECC(template.astype(np.float32), crop, warp, motion,
                                         criteria, None, 3)  # type: ignore[call-overload]
        warp = np.asarray(fitted, dtype=np.float32)
    except cv2.error:
        return None
    if not homography:
        warp = np.vstack([warp, [0.0, 0.0, 1.0]]).astype(np.float32)
    quad = cv2.perspectiveTransform(frame.reshape(-1, 1, 2), warp).reshape(-1, 2) + low
    if not np.all(np.isfinite(quad)):
        return None
    # The fit may wander only so far from the guess, and must stay an outline a flat logo
    # can have: ECC will bend a dot pattern onto any dots otherwise.
    if float(np.abs(quad - polygon).max()) > wander * float(span.max()):
        return None
    if plausible_outline(quad, ref):
        return None
    return [[round(float(x), 1), round(float(y), 1)] for x, y in quad]


def tone_agreement(grey: np.ndarray, match: LogoMatch, *, side: int = 64) -> float:
    """|normalised correlation| of grey levels between the reference and the image warped
    onto it, over the logo and a band around it. Edges of a busy photo can line up with a
    reference's by chance; its tones (flat inside the mark, different outside) rarely do.
    The sign is ignored, so white, black and inverted copies agree with any version."""
    import cv2

    ref = match.reference
    width, height = ref.size
    factor = side / max(width, height)
    w, h = max(8, round(width * factor)), max(8, round(height * factor))
    frame = np.asarray([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    back = cv2.getPerspectiveTransform(np.asarray(match.polygon, dtype=np.float32), frame)
    patch = cv2.warpPerspective(grey, back, (w, h), flags=cv2.INTER_AREA,
                                borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    drawn, band = _reference_tones(ref, w, h)
    inside = cv2.warpPerspective(np.ones(grey.shape[:2], np.uint8), back, (w, h),
                                 flags=cv2.INTER_NEAREST, borderValue=0) > 0
    # What lies outside the image carries no tone of the logo: flat, it correlates with none.
    patch[~inside] = float(patch[inside].mean()) if inside.any() else 0.0
    a, b = drawn[band], patch[band]
    a, b = a - a.mean(), b - b.mean()
    norm = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    return abs(float((a * b).sum())) / norm if norm > 1e-6 else 0.0


def appearance_agreement(
    grey: np.ndarray, match: LogoMatch, *, side: int = 96, short: int = 48, sigma: float = 1.5
) -> float:
    """How well the image's edges inside the matched outline line up with the reference's.

    The outline is warped back to the reference's frame (about `side` px, at least `short` px
    across so a wordmark's letters survive) and the gradient fields are compared: the
    normalised correlation of gradient vectors with the sign ignored, so a recoloured or
    inverted logo agrees as well as the original. 1 is a perfect overlay; photos that chance
    matches land on measure about 0.3 on the bundled benchmark, real logos 0.4-0.95.
    """
    import cv2

    ref = match.reference
    width, height = ref.size
    factor = max(side / max(width, height), short / max(1, min(width, height)))
    w, h = max(8, round(width * factor)), max(8, round(height * factor))
    frame = np.asarray([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    back = cv2.getPerspectiveTransform(np.asarray(match.polygon, dtype=np.float32), frame)
    patch = cv2.warpPerspective(grey, back, (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
    ax, ay = _reference_gradients(ref, w, h, sigma)
    bx, by = _gradients(patch, sigma)
    norm = math.sqrt(float((ax * ax + ay * ay).sum()) * float((bx * bx + by * by).sum()))
    if norm <= 1e-6:
        return 0.0
    return float(np.abs(ax * bx + ay * by).sum()) / norm


def judge_by_appearance(grey: np.ndarray, match: LogoMatch, s: MatchSettings) -> None:
    """Confirm a weak geometric match whose edges agree with the reference (its score becomes
    at least 0.5), or demote one whose edges do not (below 0.5 whatever its inliers)."""
    agreement = appearance_agreement(grey, match)
    match.details["appearance"] = round(agreement, 3)
    if agreement >= s.min_appearance:
        match.score = max(match.score, 0.5 + (agreement - s.min_appearance) / 2)
    else:
        match.score = min(match.score, agreement / 2)


def colour_distance(image: np.ndarray, match: LogoMatch) -> float:
    """Mean colour difference between the image and the reference warped onto its outline."""
    import cv2

    ref = match.reference
    thumbnail = cv2.resize(ref.thumbnail, ref.size, interpolation=cv2.INTER_AREA)
    polygon = np.asarray(match.polygon, dtype=np.float32)
    # Only the outline's bounding box is warped and compared, not the whole image.
    left, top = np.floor(polygon.min(axis=0)).astype(int).clip(0)
    right, bottom = np.ceil(polygon.max(axis=0)).astype(int)
    right, bottom = min(right, image.shape[1]), min(bottom, image.shape[0])
    if right <= left or bottom <= top:
        return float("inf")
    origin = np.asarray([left, top], dtype=np.float32)
    model = cv2.getPerspectiveTransform(ref.corners, polygon - origin)
    size = (int(right - left), int(bottom - top))
    warped = cv2.warpPerspective(thumbnail, model, size)
    inside = cv2.warpPerspective(np.full(thumbnail.shape[:2], 255, np.uint8), model, size) > 0
    if not inside.any():
        return float("inf")
    region = image[top:bottom, left:right]
    return float(np.abs(region[inside].astype(np.int16) - warped[inside].astype(np.int16)).mean())


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


def merge_best(first: list[LogoMatch], second: list[LogoMatch]) -> list[LogoMatch]:
    """One match per reference, the higher-scoring of the two lists', best first."""
    best: dict[str, LogoMatch] = {}
    for match in [*first, *second]:
        label = match.reference.label
        if label not in best or match.score > best[label].score:
            best[label] = match
    return sorted(best.values(), key=lambda m: (m.score, m.inliers), reverse=True)


def reference_shape_parts(ref: ReferenceLogo, s: shapes.ShapeSettings) -> shapes.Parts:
    import cv2

    grey = cv2.cvtColor(ref.thumbnail, cv2.COLOR_BGR2GRAY)
    background = 0 if float(np.median(grey[[0, -1], :])) < 128 else 255
    drawn = float((np.abs(grey.astype(np.int16) - background) > 30).sum())
    return shapes.reference_parts([grey, 255 - grey], max(drawn, 1.0), s)


def _polygon_area(quad: np.ndarray) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def plausible_outline(quad: np.ndarray, ref: ReferenceLogo) -> str | None:
    """The shape checks of `plausible_quad` alone, for outlines that no feature inliers made."""
    return plausible_quad(quad, ref, np.zeros((0, 2)), (10**6, 10**6), MatchSettings())


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
