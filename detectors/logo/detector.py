"""Unauthorised use of the University's logos in posted images.

Every configured reference logo (config.logos) is found by local features (SIFT by default) in
one shared index, verified by a RANSAC homography with plausibility checks (and, for matches
with few inliers, by how well the image's edges agree with the reference's), and, when the whole
image is the logo, by its perceptual hash. Flat marks that give features too little to hold
(a few dots and bars, a blob) are found by their outlines when features find nothing sure
(detectors/logo/shapes.py), confirmed by their edges and tones. A new logo works as soon as
its file is listed; its features are computed once and cached by file hash under
<data>/cache/logo/.

Every logo found is a finding with an evidence PNG (match outlined beside the reference) under
<data>/evidence/logo/. The policy drops those posted by registered accounts allowed to use the
logos (`logo_permitted`) and makes the severity critical when the author also looks like the
University (the `resembles_university` signal).

Options (config.detectors.logo.options): `LogoOptions` below.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field

from detectors.base import Detector, DetectorOptions, RendersEvidence, UsesHistory
from detectors.common.image import ImageError, load_image
from detectors.logo.match import (
    SIFT_CONTRAST,
    LogoMatch,
    LogoMatcher,
    MatchSettings,
    feature_extractor,
    feature_key,
)
from detectors.logo.references import ReferenceError, ReferenceLogo, load_reference
from pipeline.core.history import AccountPost, HistoryUpdate, account_subject, seen_with, utc
from pipeline.core.models import Category, Finding, Media, Post

log = logging.getLogger(__name__)

IMAGE_TYPES = {"image", "photo", "animated_gif", "gif"}


@dataclass
class ImageResult:
    media_index: int
    path: str
    matches: list[LogoMatch]
    scale: float = 1.0  # searched pixels per original pixel
    error: str | None = None


def _fold(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


class LogoOptions(DetectorOptions):
    features: Literal["sift", "orb"] = "sift"
    min_inliers: int = Field(default=MatchSettings.min_inliers, ge=4)
    ratio: float = Field(default=MatchSettings.ratio, gt=0.0, lt=1.0)
    phash_distance: int = Field(default=MatchSettings.phash_distance, ge=0, le=64)
    max_features: int = Field(default=MatchSettings.max_features, ge=100)
    max_side: int = Field(default=640, ge=64)  # the working size
    # Images larger than tile_above get a tiled pass (tiles of tile_size, at up to tile_side)
    # when the working-size pass finds nothing; tile_side 0 = never.
    tile_side: int = Field(default=2048, ge=0)
    tile_above: int = Field(default=1280, ge=64)
    tile_size: int = Field(default=1024, ge=64)
    reference_side: int = Field(default=400, ge=64)
    # SIFT contrast threshold for the working-size pass: above the default 0.04 it keeps
    # fewer, stronger keypoints, which the speed target needs; the tiled pass for small logos
    # keeps the default sensitivity. 0 = the default everywhere.
    contrast: float = Field(default=0.06, ge=0.0, le=1.0)
    max_pixels: int | None = Field(default=None, ge=1)  # default: media.max_pixels
    workers: int = Field(default=2, ge=1, le=32)
    # Flat marks that features miss are searched by their outlines (detectors/logo/shapes.py)
    # when features find nothing sure; false = features and the perceptual hash only.
    shapes: bool = True
    evidence: bool = True
    evidence_base_url: str | None = None  # default: file:// URLs


class LogoDetector(Detector, RendersEvidence, UsesHistory):
    name = "logo"
    categories = (Category.logo_misuse,)
    Options = LogoOptions
    options: LogoOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = self.options
        self.match_settings = MatchSettings(
            features=options.features,
            min_inliers=options.min_inliers,
            ratio=options.ratio,
            phash_distance=options.phash_distance,
            max_features=options.max_features,
            use_shapes=options.shapes,
        )
        self.max_side = options.max_side
        self.tile_side = options.tile_side
        self.tile_above = options.tile_above
        self.tile_size = options.tile_size
        self.reference_side = options.reference_side
        self.contrast = options.contrast
        self._working_extractor: object | None = None
        self.max_pixels = options.max_pixels or self.config.media.max_pixels
        self.workers = options.workers
        self.write_evidence = options.evidence
        self.evidence_base_url = options.evidence_base_url
        # Per-image problems of the last batch (unreadable, missing path), for callers to report.
        self.notes: list[str] = []
        self.matcher: LogoMatcher | None = None
        self.reference_errors: list[str] = []

    def load(self) -> None:
        data = self.config.data_path()
        extractor = feature_extractor(self.match_settings)
        references: list[ReferenceLogo] = []
        for logo in self.config.logos:
            path = self.config.resolve(logo.path)
            try:
                references.append(load_reference(
                    logo.brand, logo.variant, path, features=extractor,
                    feature_key=feature_key(self.match_settings), side=self.reference_side,
                    cache_dir=data / "cache" / "logo",
                ))
            except ReferenceError as exc:
                # One unusable logo file must not switch off the others.
                log.error("reference logo skipped: %s", exc)
                self.reference_errors.append(str(exc))
        if not references and self.config.logos:
            log.error("no usable reference logo; the logo detector will find nothing")
        self.matcher = LogoMatcher(references, self.match_settings)
        self._working_extractor = feature_extractor(
            self.match_settings, self.contrast or SIFT_CONTRAST)
        if self.workers > 1:
            import cv2

            # The detector's own threads keep the cores busy with one image each; OpenCV's
            # inner threads on top of them only add switching.
            cv2.setNumThreads(1)
        self._evidence_dir = data / "evidence"
        self._impersonation_names = self._names_to_resemble()
        self._loaded = True

    # ---- searching images -------------------------------------------------------------------

    def search_image(self, path: str) -> tuple[list[LogoMatch], np.ndarray, float]:
        """Matches in one image file, polygons in the returned (searched) image's pixels."""
        assert self.matcher is not None
        tiled = self.tile_side > self.max_side
        decoded = load_image(path, max_side=self.tile_side if tiled else self.max_side,
                             max_pixels=self.max_pixels)
        big = decoded.bgr
        small, factor = big, 1.0
        if max(big.shape[:2]) > self.max_side:
            import cv2

            factor = self.max_side / max(big.shape[:2])
            small = cv2.resize(big, (round(big.shape[1] * factor), round(big.shape[0] * factor)),
                               interpolation=cv2.INTER_AREA)
        matches = self.matcher.match(small, self._working_extractor)
        confident = matches and matches[0].score >= 0.5
        if confident or not tiled or max(big.shape[:2]) <= self.tile_above:
            return matches, small, decoded.scale * factor
        # Nothing sure at working size in a large image: a small logo may need its full detail.
        tiled_matches = self._search_tiles(big)
        if tiled_matches and (not matches or tiled_matches[0].score > matches[0].score):
            return tiled_matches, big, decoded.scale
        return matches, small, decoded.scale * factor

    def _search_tiles(self, image: np.ndarray) -> list[LogoMatch]:
        assert self.matcher is not None
        side, height, width = self.tile_size, image.shape[0], image.shape[1]
        step = side * 3 // 4  # tiles overlap by a quarter so a logo on a seam is whole in one
        best: dict[str, LogoMatch] = {}
        for top in range(0, max(1, height - side + step), step):
            for left in range(0, max(1, width - side + step), step):
                tile = image[top : top + side, left : left + side]
                # A logo small enough to need the tiles is too small for the outline search's
                # usual reduction too: a tile is searched at its own size.
                for match in self.matcher.match(tile, shape_side=side):
                    match.polygon = [[x + left, y + top] for x, y in match.polygon]
                    label = match.reference.label
                    if label not in best or match.score > best[label].score:
                        best[label] = match
        return sorted(best.values(), key=lambda m: m.score, reverse=True)

    def _search_media(self, post: Post, index: int, media: Media) -> ImageResult | None:
        where = f"{post.doc_id} media[{index}]" if index >= 0 else f"{post.doc_id} avatar"
        if media.type not in IMAGE_TYPES and not (media.path or "").lower().endswith(
            (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")
        ):
            return None
        if not media.path:
            reason = f" ({media.error})" if media.error else ""
            return ImageResult(index, "", [], error=f"{where}: no local file{reason}; skipped")
        try:
            # The pixels are not kept: the evidence picture, drawn only for an admitted hit,
            # reads the image again, so a page's images are not all held until then.
            matches, _, scale = self.search_image(media.path)
        except ImageError as exc:
            return ImageResult(index, media.path, [], error=f"{where}: {exc}")
        return ImageResult(index, media.path, matches, scale)

    # ---- judging posts ----------------------------------------------------------------------

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        self.ensure_loaded()
        self.notes = []
        assert self.matcher is not None
        if not self.matcher.references:
            return []
        jobs = [(post, i, media) for post in posts for i, media in enumerate(post.media)]
        # The author's avatar (fetched beside the media) is searched too, as index -1: the
        # logo as a profile picture is the commonest exact reuse.
        jobs += [
            (post, -1, Media(url=post.author.avatar_url or "", path=post.author.avatar_path))
            for post in posts if post.author.avatar_path
        ]
        if self.workers > 1 and len(jobs) > 1:
            # OpenCV releases the GIL, so threads use both cores without copying images.
            with ThreadPoolExecutor(self.workers) as pool:
                results = list(pool.map(lambda job: self._search_media(*job), jobs))
        else:
            results = [self._search_media(*job) for job in jobs]
        per_post: dict[str, list[ImageResult]] = {}
        for (post, _, _), result in zip(jobs, results, strict=True):
            if result is None:
                continue
            if result.error:
                log.warning("logo: %s", result.error)
                self.notes.append(result.error)
            elif result.matches:
                per_post.setdefault(post.doc_id, []).append(result)
        # Every logo found is reported; whether the author may use it is the policy's call
        # (the `logo_permitted` signal suppresses it), so eval and the summary see it too.
        findings = [self._finding(post, per_post[post.doc_id]) for post in posts
                    if post.doc_id in per_post]
        return self._one_per_avatar(findings, posts)

    def _one_per_avatar(self, findings: list[Finding], posts: Sequence[Post]) -> list[Finding]:
        """A logo worn as an avatar is one hit per account, like impersonation, listing the
        posts seen with it (this page and, through the store's history, earlier runs): the
        brand team asks one account to change its picture, not one post at a time."""
        by_id = {p.doc_id: p for p in posts}
        kept: list[Finding] = []
        worn: dict[str, list[tuple[Finding, Post]]] = {}
        for finding in findings:
            post = by_id[finding.post_id]
            if finding.evidence.get("media_index") == -1:
                subject = account_subject(post.platform, post.author.id, "avatar-logo")
                worn.setdefault(subject, []).append((finding, post))
            else:
                kept.append(finding)
        for subject, group in worn.items():
            group.sort(key=lambda pair: (utc(pair[1].created_at), pair[1].id))
            finding, latest = group[-1]
            seen = seen_with(self.history, subject,
                             [(p.doc_id, utc(p.created_at)) for _, p in group])
            finding.subject = subject
            finding.evidence.update({
                "avatar_posts": seen.evidence_posts,
                "posts_seen": seen.posts,
                "first_seen": seen.first_seen.isoformat(),
                "last_seen": seen.last_seen.isoformat(),
            })
            handle = latest.author.handle.lstrip("@")
            finding.explanation = finding.explanation.replace(
                "The author's avatar:",
                f"The avatar of @{handle} ({seen.posts} post(s) seen with it):", 1)
            kept.append(finding)
        return kept

    def history_update(self, posts: Sequence[Post], findings: Sequence[Finding]) -> HistoryUpdate:
        """The posts seen wearing a logo avatar, so later runs count them into the same hit."""
        subjects = {f.subject for f in findings if f.detector == self.name and f.subject}
        return HistoryUpdate(account_posts=[
            AccountPost(subject, p.doc_id, utc(p.created_at)) for p in posts
            if (subject := account_subject(p.platform, p.author.id, "avatar-logo")) in subjects
        ])

    def _names_to_resemble(self) -> list[str]:
        names = [*self.config.organisation.all_names(), *self.config.organisation.hashtags]
        names += [a.handle.split("@")[0] for a in self.config.accounts]
        folded = {_fold(n) for n in names}
        return sorted(n for n in folded if len(n) >= 4)

    def impersonation_signal(self, post: Post) -> str | None:
        """Why the author looks like the University, or None."""
        from rapidfuzz import fuzz

        author = post.author
        for label, value in (("handle", author.handle), ("display name", author.display_name)):
            folded = _fold(value or "")
            if len(folded) < 4:
                continue
            for name in self._impersonation_names:
                if name in folded or fuzz.ratio(folded, name) >= 85:
                    return f"the author's {label} {value!r} resembles {name!r}"
        return None

    def _finding(self, post: Post, results: list[ImageResult]) -> Finding:
        best_result = max(results, key=lambda r: r.matches[0].score)
        best = best_result.matches[0]
        ref = best.reference
        # A registered account resembles the University by design; that is not impersonation.
        registered = self.config.registered(post.platform, post.author.handle, post.author.id)
        signal = None if registered else self.impersonation_signal(post)
        signals = [name for name, present in (
            ("resembles_university", bool(signal)),
            ("whole_image", best.method == "phash"),
            ("avatar", best_result.media_index < 0),
        ) if present]
        scale = best_result.scale or 1.0
        polygon = [[round(x / scale, 1), round(y / scale, 1)] for x, y in best.polygon]
        evidence: dict[str, Any] = {
            "reference": ref.label,
            "brand": ref.brand,
            "variant": ref.variant,
            "reference_path": str(ref.path),
            "method": best.method,
            "inliers": best.inliers,
            "matches": best.matches,
            "score": round(best.score, 4),
            "polygon": polygon,
            "media_index": best_result.media_index,
            "source_image": best_result.path,
            "authorised": False,
            "labels": ["logo_misuse"],
            "other_matches": [
                {"media_index": r.media_index, "reference": m.reference.label,
                 "score": round(m.score, 4), "inliers": m.inliers}
                for r in results for m in r.matches if m is not best
            ][:10],
        }
        if best.details:
            evidence["details"] = best.details
        if signal:
            evidence["impersonation_signal"] = signal
        unpermitted = registered is not None and not registered.may_use_logos
        if unpermitted:
            evidence["registered_account_without_permission"] = post.author.handle
        how = "the whole image is" if best.method == "phash" else "the image contains"
        context = f"; {signal}" if signal else ""
        if unpermitted:
            context += "; the account is registered but not permitted to use the logos"
        where = ("The author's avatar" if best_result.media_index < 0
                 else f"Image {best_result.media_index + 1} of this post")
        explanation = (
            f"{where}: {how} the {ref.brand} logo ({ref.variant})"
            + (", found by its outline" if best.method == "shape" else "")
            + f", posted by an account not authorised to use it{context}."
        )
        return Finding(
            post_id=post.doc_id, detector=self.name, category=Category.logo_misuse,
            score=float(min(1.0, max(0.0, best.score))),
            explanation=explanation, evidence=evidence, signals=signals,
        )

    def render_evidence(self, finding: Finding, post: Post) -> dict[str, object]:
        """The evidence PNG of an admitted hit: the posted image with the match outlined beside
        the reference, and a caption saying whose post it is and that it is not authorised."""
        from detectors.logo import evidence as _logo_evidence

        evidence = finding.evidence
        if not self.write_evidence or not evidence.get("source_image"):
            return {}
        assert self.matcher is not None
        reference = next((r for r in self.matcher.references
                          if r.label == evidence.get("reference")), None)
        if reference is None:
            return {"evidence_error": f"reference {evidence.get('reference')!r} not loaded"}
        try:
            decoded = load_image(evidence["source_image"], max_side=self.max_side,
                                 max_pixels=self.max_pixels)
        except ImageError as exc:
            return {"evidence_error": str(exc)}
        polygon = [[x * decoded.scale, y * decoded.scale] for x, y in evidence["polygon"]]
        how = {"features": "features matched", "shape": "outline matched"}.get(
            str(evidence.get("method")), "exact copy")
        caption = (f"{reference.brand} logo ({reference.variant}), {how} - "
                   f"@{post.author.handle.lstrip('@')} on {post.platform}, "
                   f"{post.created_at:%d %b %Y} - not authorised to use it")
        try:
            png = _logo_evidence.render(decoded.bgr, polygon, reference.thumbnail, caption)
            path = _logo_evidence.store(png, self._evidence_dir)
        except (OSError, ValueError) as exc:
            log.error("could not write the logo evidence image: %s", exc)
            return {"evidence_error": str(exc)}
        return {
            "image_path": str(path),
            "image_url": _logo_evidence.url_for(path, self._evidence_dir, self.evidence_base_url),
            "caption": caption,
        }
