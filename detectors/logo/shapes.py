"""Finding flat logos by their outlines, where local features find too little.

A flat symbol (a few dots and bars, a blob, a letter in a ring) gives SIFT a handful of
corners that look like the corners of anything. What such a mark does have is a distinctive
outline. Both the references and the searched image are cut into regions at several grey
levels; each region's outline is normalised for position, scale and shear (its second moments
whitened) and described by its radius around the centroid at 64 angles. A region of the image
whose profile matches one of a reference's parts, at the best rotation, gives one affine guess
of where the whole reference lies; the guess is kept only when the image's edges inside that
outline line up with the reference's (`appearance_agreement`, the check feature matches are
judged by too), so a dot that matches a dot is not enough: the rest of the logo must be there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BINS = 64
HARMONICS = 12  # |FFT| of the profile up to this order: a rotation-free first filter
ROTATIONS = 3  # best-aligning rotations tried per pair of shapes


@dataclass(frozen=True)
class ShapeSettings:
    levels: tuple[int, ...] = (45, 85, 125, 165, 205)  # grey levels the image is cut at
    working_side: int = 480  # px: the searched image is reduced to this first
    min_area: float = 100.0  # px^2 of a region at the working size
    max_fraction: float = 0.6  # of the image area
    min_part: float = 0.04  # a reference part's area over the reference's drawn area
    parts: int = 6  # largest parts kept per reference
    min_profile_spread: float = 0.035  # profile std below which a part is a mere disc
    spectrum_distance: float = 0.12  # first filter on the rotation-free spectra
    profile_distance: float = 0.15  # RMS profile difference at the best rotation
    max_anisotropy: float = 2.6  # singular-value ratio of the guessed affine map (tilt)
    max_guesses: int = 8  # distinct placements judged per brand and image, best first
    # Placements proposed per brand, before duplicates and budgets. Per brand, not per image:
    # in a busy photo one brand's bars and rings fit hundreds of regions, and a shared cap
    # was filled by them before another brand's right placement was proposed at all.
    max_proposals: int = 100
    refine_above: float = 0.3  # agreement at which a guess is worth aligning exactly
    refine_perspective: bool = True  # then align it again with a homography (tilted marks)
    # Mean of edge and tone agreement that accepts a guess. On the public benchmark's dev part
    # real marks placed by outline measured 0.46-0.99 and the chance placements on logo-free
    # photos, decoys and other brands up to 0.62: outlines of dots and bars fit many things.
    # None of those chance placements had a single image keypoint whose nearest reference
    # features sit where the placement puts them, while most real marks had several
    # (`LogoMatcher.feature_support`): with that support the line is lower, without it higher.
    min_agreement: float = 0.7
    min_supported_agreement: float = 0.5
    min_support: int = 4


@dataclass
class Parts:
    """Shape parts of one reference (or one image): arrays with one row per part."""

    centroids: np.ndarray  # (n, 2)
    unwhiten: np.ndarray  # (n, 2, 2): whitened frame -> pixels (C^(1/2))
    whiten: np.ndarray  # (n, 2, 2): pixels -> whitened frame (C^(-1/2))
    profiles: np.ndarray  # (n, BINS), mean 1
    spectra: np.ndarray  # (n, HARMONICS)
    areas: np.ndarray  # (n,)

    @classmethod
    def empty(cls) -> Parts:
        return cls(np.zeros((0, 2)), np.zeros((0, 2, 2)), np.zeros((0, 2, 2)),
                   np.zeros((0, BINS)), np.zeros((0, HARMONICS)), np.zeros(0))

    def __len__(self) -> int:
        return len(self.areas)


def _sqrt_2x2(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """C^(1/2) and C^(-1/2) of many symmetric positive 2x2 matrices (n, 2, 2), in closed
    form: numpy's eigh per outline cost more than everything else here."""
    a, b, d = cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 1]
    det = np.maximum(a * d - b * b, 1e-12)
    root_det = np.sqrt(det)
    trace_term = np.sqrt(a + d + 2 * root_det)
    half = np.empty_like(cov)
    half[:, 0, 0], half[:, 0, 1] = (a + root_det) / trace_term, b / trace_term
    half[:, 1, 0], half[:, 1, 1] = b / trace_term, (d + root_det) / trace_term
    inverse = np.empty_like(cov)
    scale = 1.0 / (root_det * trace_term)
    inverse[:, 0, 0], inverse[:, 1, 1] = (d + root_det) * scale, (a + root_det) * scale
    inverse[:, 0, 1] = inverse[:, 1, 0] = -b * scale
    return half, inverse


def describe_contours(contours: list[np.ndarray], min_area: float, max_area: float) -> Parts:
    """Parts for the outlines whose area lies in [min_area, max_area]. The radius profile is
    the largest whitened radius in each of BINS angular sectors, as a fraction of its mean."""
    import cv2

    # An outline enclosing min_area has at least the perimeter of a disc that size.
    shortest = max(8, int(2 * math.sqrt(math.pi * min_area) * 0.9))
    kept, stats = [], []
    for contour in contours:
        if len(contour) < shortest:
            continue
        moments = cv2.moments(contour)
        area = moments["m00"]
        if not min_area <= area <= max_area:
            continue
        kept.append(contour)
        stats.append((moments["m10"] / area, moments["m01"] / area, moments["mu20"] / area,
                      moments["mu11"] / area, moments["mu02"] / area, area))
    if not kept:
        return Parts.empty()
    table = np.asarray(stats)
    centroids = table[:, :2]
    cov = np.stack([table[:, 2], table[:, 3], table[:, 3], table[:, 4]], axis=1).reshape(-1, 2, 2)
    unwhiten, whiten = _sqrt_2x2(cov)
    samples = []
    for contour in kept:
        points = contour.reshape(-1, 2)
        if len(points) > 256:
            points = points[np.linspace(0, len(points) - 1, 256).astype(int)]
        samples.append(points)
    owner = np.repeat(np.arange(len(kept)), [len(p) for p in samples])
    points = np.concatenate(samples).astype(np.float64) - centroids[owner]
    local = np.einsum("nij,nj->ni", whiten[owner], points)
    angle = np.arctan2(local[:, 1], local[:, 0])
    radius = np.hypot(local[:, 0], local[:, 1])
    sector = ((angle + math.pi) / (2 * math.pi) * BINS).astype(int) % BINS
    profiles = np.zeros((len(kept), BINS))
    np.maximum.at(profiles, (owner, sector), radius)
    empty = profiles == 0
    for row in np.flatnonzero(empty.any(axis=1)):  # a sparse outline: fill from neighbours
        filled = np.flatnonzero(~empty[row])
        if len(filled):
            gaps = np.flatnonzero(empty[row])
            profiles[row, gaps] = np.interp(gaps, filled, profiles[row, filled], period=BINS)
    means = profiles.mean(axis=1)
    valid = means > 0
    profiles = profiles[valid] / means[valid, None]
    spectra = np.abs(np.fft.rfft(profiles, axis=1))[:, 1: HARMONICS + 1] / BINS
    return Parts(centroids[valid], unwhiten[valid], whiten[valid], profiles, spectra,
                 table[valid, 5])


def region_contours(grey: np.ndarray, levels: tuple[int, ...]) -> list[np.ndarray]:
    """Outlines of the regions lighter than each level, and of the holes in them: a hole is
    a darker region, so one pass per level sees both (the white letter knocked out of a
    black plate is a part of its own)."""
    import cv2

    contours: list[np.ndarray] = []
    for level in levels:
        mask = (grey > level).astype(np.uint8)
        found, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        contours.extend(found)
    return contours


def reference_parts(views: list[np.ndarray], drawn_area: float, s: ShapeSettings) -> Parts:
    """The largest distinct parts of a reference, from its grey views (on white, inverted, on
    black): the same cut the image gets, so a part found in one is found in the other."""
    contours: list[np.ndarray] = []
    for view in views:
        contours.extend(region_contours(view, s.levels))
    h, w = views[0].shape[:2]
    parts = describe_contours(contours, s.min_part * drawn_area, 0.98 * w * h)
    if not len(parts):
        return parts
    keep: list[int] = []
    # An ellipse whitens to a disc, whose profile is flat: it fits every round thing in a
    # photo (a cup, a wheel) at every rotation, so it cannot place the logo. Such parts are
    # left out unless the logo has nothing else.
    informative = parts.profiles.std(axis=1) >= s.min_profile_spread
    order = [i for i in np.argsort(-parts.areas) if informative[i]] or list(
        np.argsort(-parts.areas))
    for i in order:
        duplicate = any(
            abs(parts.areas[i] - parts.areas[j]) < 0.08 * parts.areas[j]
            and np.hypot(*(parts.centroids[i] - parts.centroids[j])) < 0.03 * max(w, h)
            for j in keep)
        if not duplicate:
            keep.append(int(i))
        if len(keep) == s.parts:
            break
    index = np.asarray(keep)
    return Parts(parts.centroids[index], parts.unwhiten[index], parts.whiten[index],
                 parts.profiles[index], parts.spectra[index], parts.areas[index])


@dataclass
class ShapeGuess:
    reference: int
    model: np.ndarray  # 3x3 affine map from the reference's pixels to the image's
    distance: float  # profile difference of the part that made it
    region: int = -1  # the image region (row of the image's Parts) that proposed it


def _first_per_group(groups: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the first `limit` entries of each group, in their order."""
    if not len(groups):
        return np.zeros(0, int)
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    return np.sort(order[rank < limit])


def guesses(image: Parts, references: list[Parts], s: ShapeSettings,
            limit: int | None = None, groups: list[int] | None = None) -> list[ShapeGuess]:
    """Affine placements of whole references, from image regions shaped like their parts,
    best first: at most `limit` (default `s.max_proposals`) for each group of references
    (`groups[i]` is reference i's group, its brand; default: all in one group)."""
    limit = limit or s.max_proposals
    if not len(image):
        return []
    owners = np.concatenate([np.full(len(p), i) for i, p in enumerate(references)]) if (
        references) else np.zeros(0, int)
    if not len(owners):
        return []
    group_of = np.asarray(groups if groups is not None else [0] * len(references))[owners]
    ref_spectra = np.concatenate([p.spectra for p in references])
    gap = np.sqrt(((image.spectra[:, None, :] - ref_spectra[None, :, :]) ** 2).sum(axis=2))
    rows, cols = np.nonzero(gap < s.spectrum_distance)
    if not len(rows):
        return []
    order = np.argsort(gap[rows, cols], kind="stable")
    order = order[_first_per_group(group_of[cols[order]], 6 * limit)]
    rows, cols = rows[order], cols[order]
    flat = np.asarray([(i, j) for i, p in enumerate(references) for j in range(len(p))])
    ref_profiles = np.concatenate([p.profiles for p in references])
    ref_centroids = np.concatenate([p.centroids for p in references])
    ref_whiten = np.concatenate([p.whiten for p in references])
    # The rotations that best align each pair's profiles: peaks of their circular
    # cross-correlation. Whitening makes every triangle equilateral and every rectangle
    # square, so a shape can fit itself at several rotations; the best ROTATIONS peaks each
    # become a guess, and the whole logo's appearance tells them apart.
    a, b = image.profiles[rows], ref_profiles[cols]
    corr = np.fft.irfft(np.fft.rfft(a, axis=1) * np.conj(np.fft.rfft(b, axis=1)), n=BINS, axis=1)
    peak = (corr >= np.roll(corr, 1, axis=1)) & (corr >= np.roll(corr, -1, axis=1))
    ranked = np.argsort(-np.where(peak, corr, -np.inf), axis=1)[:, :ROTATIONS]
    usable = np.take_along_axis(peak, ranked, axis=1)
    pair, which = np.nonzero(usable)
    shift = ranked[pair, which]
    rows, cols, a, b = rows[pair], cols[pair], a[pair], b[pair]
    rolled = b[np.arange(len(b))[:, None], (np.arange(BINS)[None, :] - shift[:, None]) % BINS]
    distance = np.sqrt(np.mean((a - rolled) ** 2, axis=1))
    theta = 2 * math.pi * shift / BINS
    cos, sin = np.cos(theta), np.sin(theta)
    rotation = np.stack([cos, -sin, sin, cos], axis=1).reshape(-1, 2, 2)
    linear = image.unwhiten[rows] @ rotation @ ref_whiten[cols]
    singular = np.linalg.svd(linear, compute_uv=False)
    sane = (distance <= s.profile_distance) & (np.linalg.det(linear) > 0) & (
        singular[:, 1] > 1e-6) & (singular[:, 0] <= s.max_anisotropy * singular[:, 1])
    offsets = image.centroids[rows] - np.einsum("nij,nj->ni", linear, ref_centroids[cols])
    out: list[ShapeGuess] = []
    seen: set[tuple[int, int, int]] = set()
    taken: dict[int, int] = {}
    for k in np.flatnonzero(sane)[np.argsort(distance[sane], kind="stable")]:
        key = (int(flat[cols[k], 0]), int(rows[k]), int(shift[k]))
        group = int(group_of[cols[k]])
        if key in seen or taken.get(group, 0) >= limit:
            continue
        seen.add(key)
        taken[group] = taken.get(group, 0) + 1
        model = np.eye(3)
        model[:2, :2], model[:2, 2] = linear[k], offsets[k]
        out.append(ShapeGuess(key[0], model, float(distance[k]), key[1]))
    return out


def image_parts(grey: np.ndarray, s: ShapeSettings) -> Parts:
    import cv2

    smooth = cv2.GaussianBlur(grey, (3, 3), 0)
    return describe_contours(region_contours(smooth, s.levels), s.min_area,
                             s.max_fraction * grey.shape[0] * grey.shape[1])
