"""Someone else's work reposted without credit: a post whose text, or one of whose images, is a
near-copy of an earlier post by another account, or of a registered work, and that credits
nobody.

- Text: the overlap of three-word shingles (`detectors.reposts.text`) between the post and each
  earlier remembered post; a copy needs `min_words` words (and as many distinct shingles as
  that many words give) and `min_overlap` of the shorter text's shingles. The store is asked
  only for works that pass this test (`pipeline.core.works.ShingleQuery`). Copying a poem or a
  thread word for word is the act itself, so a text copy alone is enough.
- Images: ORB features verified by a homography (`detectors.reposts.images`), robust to resizing,
  recompression, colour changes, cropping and mirroring, with `min_coverage` of the copy showing
  the original. The same photograph circulates for good reasons (stock and public-domain
  pictures, memes, screenshots of news), so an image copy alone stays below the usual threshold;
  it is raised when the post presents the picture as the poster's own ("my shot", "took this")
  or when the original is a registered work.
- Credit: naming the original author (handle or name), a credit phrase with a name ("via @jade",
  "photo: Jade Okafor"), or a native repost or quote means no finding.
- The poster is not the author: the same account, or the same person on another platform (the
  same handle or display name), never copies itself.

Registered works are files the organisation lists in the options (`works`: a list of
{path: file or folder, author: name, names: [handles and names that count as credit]}): text
(.txt, .md) and images. The University's registered accounts are left out by default
(`include_registered: false`): copying their posts is the impersonation detector's signal, and
their own pictures are licensed by the comms team.

What has been read is remembered across runs in the store's work history
(`pipeline.core.works`): the runner records a page's works once the store has acknowledged the
page, every worker reads the same history, and erasure and retention reach it. An original
counts for `memory_days` after it was posted (at most the retention period), so it may have come
in any earlier run; within a batch the works read so far are found again too
(`detectors.reposts.batch`). A batch is read oldest first. A copy read before its original is
not found when the original arrives later: a finding needs the copy's post in the batch.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector, DetectorOptions, UsesHistory
from detectors.reposts.batch import Batch
from detectors.reposts.credit import claims_authorship, credit_given
from detectors.reposts.images import (
    SHORTLIST,
    ImageError,
    ImageFeatures,
    ImageMatch,
    features,
    from_stored,
    query_words,
    stored,
    visual_words,
)
from detectors.reposts.text import SHINGLE, shingles, words
from pipeline.core.history import History, HistoryUpdate
from pipeline.core.models import Category, Finding, Post
from pipeline.core.works import RememberedWork, ShingleQuery, Work, work_author

log = logging.getLogger(__name__)

_TEXT_SUFFIXES = {".txt", ".md"}
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


class RegisteredWork(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path
    author: str
    names: list[str] = Field(default_factory=list)


class RepostOptions(DetectorOptions):
    min_words: int = Field(default=10, ge=3)
    min_overlap: float = Field(default=0.8, gt=0.0, le=1.0)
    min_coverage: float = Field(default=0.5, gt=0.0, le=1.0)
    memory_days: int = Field(default=90, ge=1)
    include_registered: bool = False
    memory: bool = True  # read and record the store's work history
    works: list[RegisteredWork] = Field(default_factory=list)


@dataclass
class _Copy:
    work: Work
    kind: str  # "text" or "image"
    overlap: float = 0.0  # text: share of the shorter text's shingles
    image: ImageMatch | None = None
    media_index: int = 0
    credit_names: tuple[str, ...] = ()

    @property
    def strength(self) -> float:
        """How much of the copy is the original: the text overlap or the image coverage."""
        return self.overlap if self.kind == "text" else (self.image.coverage if self.image else 0)


def _person(handle: str) -> str:
    """A handle without its server or domain and separators: 'tomasz-writes.bsky.social' and
    '@tomasz_writes@mastodon.social' are the same person's."""
    local = handle.lstrip("@").split("@")[0]
    if local.count(".") >= 1 and not local.endswith("."):
        local = local.split(".")[0]
    return re.sub(r"[^0-9a-z]", "", local.casefold())


class RepostDetector(Detector, UsesHistory):
    name = "reposts"
    categories = (Category.reposted_work,)
    Options = RepostOptions
    options: RepostOptions

    def load(self) -> None:
        self._opts = self.options
        self._window = timedelta(days=min(self._opts.memory_days, self.config.retention.posts_days))
        self._registered_images: list[tuple[str, ImageFeatures]] = []
        self._registered_text: list[tuple[Work, set[int], tuple[str, ...]]] = []
        self._registered_works: dict[str, tuple[Work, tuple[str, ...]]] = {}
        for work in self._opts.works:
            self._load_work(work)
        self._batch = Batch()
        self._loaded = True

    def use_history(self, history: History | None) -> None:
        super().use_history(history)
        self._batch = Batch()  # the runner's next page

    def _history(self) -> History | None:
        return self.history if self.options.memory else None

    def _load_work(self, work: RegisteredWork) -> None:
        root = self.config.resolve(work.path)
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        names = tuple([work.author, *work.names])
        for path in files:
            post_id = f"work:{path.name}"
            record = Work(post_id, f"work:{work.author}", work.author, work.author, "registered",
                          _BEGINNING, str(path), 0)
            suffix = path.suffix.lower()
            try:
                if suffix in _TEXT_SUFFIXES:
                    hashes = set(shingles(path.read_text(encoding="utf-8", errors="replace")))
                    record = replace(record, shingles=len(hashes))
                    self._registered_text.append((record, hashes, names))
                elif suffix in _IMAGE_SUFFIXES:
                    found = features(path)
                    if found is None:
                        log.warning("reposts: registered work %s has too little detail", path)
                        continue
                    self._registered_images.append((post_id, found[0]))
                else:
                    continue
            except (OSError, ImageError) as exc:
                log.warning("reposts: registered work %s not read: %s", path, exc)
                continue
            self._registered_works[post_id] = (record, names)

    # --- the batch -------------------------------------------------------------------------

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        self.ensure_loaded()
        history = self._history()
        if history is None:
            self._batch = Batch()  # nothing will be recorded: this batch stands alone
        self._batch.reading.update(p.doc_id for p in posts)
        read = [
            (post, self._shingles(post.text))
            for post in sorted(posts, key=lambda p: (_aware(p.created_at), p.doc_id))
            if self._opts.include_registered or not self.config.registered(
                post.platform, post.author.handle, post.author.id)
        ]
        stored = self._stored_copies(read, history)
        found_images = [self._features(post) for post, _ in read]
        self._look_up_images(read, found_images, history)
        findings = []
        for (post, text_hashes), (shared, works), images in zip(read, stored, found_images,
                                                                 strict=True):
            copy = self._best_copy(post, text_hashes, images, shared, works)
            credited = None
            if copy is not None:
                credited = credit_given(post, [copy.work.handle, copy.work.display_name or "",
                                               *copy.credit_names])
                if credited is None:
                    finding = self._finding(post, copy)
                    if finding is not None:
                        findings.append(finding)
            elif credit_given(post, []) is not None:
                credited = "credit phrase"
            # What a post credits to someone else is not its author's work to be copied.
            if credited is None and (text_hashes or images):
                self._remember(post, text_hashes, images, history)
        return findings

    def _shingles(self, text: str) -> list[int]:
        """The text's shingles when it is long enough to be a work or a copy: `min_words` words
        and as many distinct three-word runs as that many words give ("ha ha ha ..." is one)."""
        if len(words(text)) < self._opts.min_words:
            return []
        hashes = shingles(text)
        return hashes if len(hashes) >= self._min_shingles else []

    @property
    def _min_shingles(self) -> int:
        return self._opts.min_words - SHINGLE + 1

    def _features(self, post: Post) -> list[tuple[int, tuple[ImageFeatures, ImageFeatures]]]:
        found = []
        for index, media in enumerate(post.media):
            if not media.path or media.type not in ("image", "photo"):
                continue
            try:
                item = features(media.path)
            except ImageError as exc:
                log.info("reposts: %s image %d not compared: %s", post.doc_id, index + 1, exc)
                continue
            if item is not None:
                found.append((index, item))
        return found

    def _eligible(self, post: Post, work: Work) -> bool:
        """Whether `work` could be the original of `post`: earlier, by someone else."""
        if work.post_id == post.doc_id or work.author == f"{post.platform}:{post.author.id}":
            return False
        if _aware(work.posted_at) >= _aware(post.created_at):
            return False
        if work.platform != "registered":
            if _aware(work.posted_at) < _aware(post.created_at) - self._window:
                return False  # beyond the memory period
            if _person(work.handle) and _person(work.handle) == _person(post.author.handle):
                return False
            mine, theirs = (post.author.display_name or "").casefold().strip(), (
                work.display_name or "").casefold().strip()
            if " " in mine and mine == theirs:
                return False
        return True

    def _stored_copies(self, read: Sequence[tuple[Post, list[int]]], history: History | None,
                       ) -> list[tuple[dict[str, int], dict[str, Work]]]:
        """For each post, the store's works sharing its shingles and those works, asked for
        the whole batch in two requests: the history does not change while a batch is read
        (the runner records it after the store's ack), so asking post by post gave the same
        answers a round trip each."""
        if history is None:
            return [({}, {}) for _ in read]
        # Every text here and every work has `_min_shingles` or more, so a work shares at least
        # `min_overlap` of that many with any post it could be the original of.
        at_least = math.ceil(self._opts.min_overlap * self._min_shingles - 1e-9)
        shared = history.shared_shingles_each([
            ShingleQuery(hashes, _aware(post.created_at) - self._window, at_least,
                         self._opts.min_overlap)
            for post, hashes in read])
        wanted = {p for found in shared for p, n in found.items() if n}
        works = history.works(wanted - set(self._registered_works)) if wanted else {}
        return [(found, works) for found in shared]

    def _works(self, post_ids: set[str], stored: dict[str, Work]) -> dict[str, Work]:
        """This batch's version of a work first, then a registered work, then the store's."""
        found = {p: w for p, w in self._batch.works.items() if p in post_ids}
        found.update({p: r for p, (r, _) in self._registered_works.items() if p in post_ids})
        found.update({p: stored[p] for p in post_ids - set(found) if p in stored})
        return found

    def _look_up_images(self, read: Sequence[tuple[Post, list[int]]],
                        found_images: Sequence[list[tuple[int, tuple[ImageFeatures,
                                                                  ImageFeatures]]]],
                        history: History | None) -> None:
        """Fill the batch's image index for these posts' images: registered works' images
        (once), then, for each post, the store's works within its memory period that share the
        most visual words with its images (a shortlist: the store is never read whole). Asked
        for the whole batch in three requests, as `_stored_copies` does for text (post by post
        it was three round trips per post with an image); this batch's own images are added as
        they are read."""
        batch = self._batch
        if not batch.images_loaded:
            batch.images_loaded = True
            for post_id, item in self._registered_images:
                batch.add_image(post_id, 0, item)
                batch.image_works[post_id] = self._registered_works[post_id][0]
        if history is None:
            return
        queries = [
            ShingleQuery(sorted({w for _, item in images for w in query_words(item)}),
                         _aware(post.created_at) - self._window)
            for (post, _), images in zip(read, found_images, strict=True) if images]
        if not queries:
            return
        # Twice the index's own shortlist: some of the closest may be the poster's own works.
        shared = history.shared_shingles_each(queries, limit=2 * SHORTLIST)
        # A post of this batch read before is compared as it is now, as it was the first time:
        # its stored copy would stand beside the original in the ratio test.
        wanted = sorted({p for each in shared for p in each} - batch.looked_up - batch.reading)
        if not wanted:
            return
        batch.looked_up.update(wanted)
        since = min(query.since for query in queries)
        for image in history.work_images(since=since, post_ids=wanted):
            batch.add_image(image.post_id, image.media_index, from_stored(image))
        batch.image_works.update(history.works(set(wanted)))

    def _best_copy(self, post: Post, hashes: list[int],
                   images: list[tuple[int, tuple[ImageFeatures, ImageFeatures]]],
                   stored_shared: dict[str, int], stored_works: dict[str, Work],
                   ) -> _Copy | None:
        copies: list[_Copy] = []
        if hashes:
            shared = dict(stored_shared)
            # This batch's version of a post wins over the store's (the same post read again).
            shared.update(self._batch.shared(hashes))
            mine = set(hashes)
            works = self._works({p for p, n in shared.items() if n}, stored_works)
            for post_id, count in shared.items():
                work = works.get(post_id)
                if work and work.shingles and self._eligible(post, work):
                    value = count / min(len(mine), work.shingles)
                    if value >= self._opts.min_overlap:
                        copies.append(_Copy(work, "text", overlap=round(value, 3)))
            for work, theirs, names in self._registered_text:
                value = len(mine & theirs) / max(1, min(len(mine), len(theirs)))
                if value >= self._opts.min_overlap:
                    copies.append(_Copy(work, "text", overlap=round(value, 3),
                                        credit_names=names))
        batch = self._batch
        if images and len(batch.index):
            works = batch.image_works
            allowed = {k for k, (p, _) in enumerate(batch.image_owner)
                       if p in works and self._eligible(post, works[p])}
            for media_index, item in images:
                for match in batch.index.match(item, allowed):
                    if match.coverage < self._opts.min_coverage:
                        continue
                    work = works[batch.image_owner[match.key][0]]
                    names = self._registered_works.get(work.post_id, (work, ()))[1]
                    copies.append(_Copy(work, "image", image=match, media_index=media_index,
                                        credit_names=names))
        if not copies:
            return None
        # The earliest original: a copy of a copy names the source.
        return min(copies, key=lambda c: (_aware(c.work.posted_at), -c.strength,
                                          c.work.post_id))

    def _remember(self, post: Post, hashes: list[int],
                  images: list[tuple[int, tuple[ImageFeatures, ImageFeatures]]],
                  history: History | None) -> None:
        work = Work(post.doc_id, work_author(post.platform, post.author.id), post.author.handle,
                    post.author.display_name, post.platform, _aware(post.created_at), post.url,
                    len(hashes))
        batch = self._batch
        batch.add(work, hashes)
        if history is not None:
            # Its images' visual words go with its shingles: the store finds it by either.
            words = sorted({w for _, f in images for w in visual_words(f[0])})
            batch.records[post.doc_id] = RememberedWork(
                work, (*hashes, *words), tuple(stored(post.doc_id, i, f[0]) for i, f in images))
        # A post read twice in one page (a page retried post by post) is not added twice: two
        # entries of one picture would fail each other's ratio test.
        if images and post.doc_id not in batch.image_works:
            for index, item in images:
                batch.add_image(post.doc_id, index, item[0])
            batch.image_works[post.doc_id] = work

    # --- the work history (written by the runner once the store has the page) -------------

    def history_update(self, posts: Sequence[Post], findings: Sequence[Finding]) -> HistoryUpdate:
        """The works this page read that others could copy; the page's batch ends here."""
        ids = {p.doc_id for p in posts}
        records = [r for post_id, r in self._batch.records.items() if post_id in ids]
        self._batch = Batch()
        return HistoryUpdate(works=records)

    def _finding(self, post: Post, copy: _Copy) -> Finding | None:
        work = copy.work
        claim = claims_authorship(post.text)
        registered = work.platform == "registered"
        signals = [f"{copy.kind}_copy"] + (["claims_authorship"] if claim else []) + (
            ["registered_work"] if registered else [])
        who = (f"{work.author.removeprefix('work:')}'s registered work {Path(work.url or '').name}"
               if registered else f"a post by @{work.handle.lstrip('@')} on {work.platform} "
                                  f"from {work.posted_at:%d %b %Y}")
        if copy.kind == "text":
            score = 0.6 + 0.3 * (copy.overlap - self._opts.min_overlap) / max(
                1e-6, 1 - self._opts.min_overlap)
            what = f"Post repeats {copy.overlap:.0%} of the words of {who}"
        else:
            assert copy.image is not None
            score = 0.3 + 0.1 * min(1.0, copy.image.inliers / 150) + 0.05 * copy.image.coverage
            mirrored = "a mirrored copy" if copy.image.mirrored else "a copy"
            what = (f"Image {copy.media_index + 1} is {mirrored} of the picture in {who} "
                    f"({copy.image.coverage:.0%} of it matches)")
        if claim:
            score += 0.35 if copy.kind == "image" else 0.08
        if registered:
            score += 0.3 if copy.kind == "image" else 0.05
        score = round(min(0.97, max(0.05, score)), 3)
        claimed = f", and presents it as the poster's own ('{claim}')" if claim else ""
        original: dict[str, Any] = {
            "post_id": work.post_id, "author": f"@{work.handle.lstrip('@')}"
            if not registered else work.handle, "display_name": work.display_name,
            "platform": work.platform, "url": work.url,
            "posted_at": None if registered else _aware(work.posted_at).isoformat(),
        }
        evidence: dict[str, Any] = {
            "labels": sorted(signals), "original": original, "kind": copy.kind,
            "terms": [work.post_id],
        }
        if copy.kind == "text":
            evidence["overlap"] = copy.overlap
        elif copy.image is not None:
            evidence.update({"media_index": copy.media_index, "inliers": copy.image.inliers,
                             "coverage": copy.image.coverage, "mirrored": copy.image.mirrored})
        if claim:
            evidence["claim"] = claim
        return Finding(
            post_id=post.doc_id, detector=self.name, category=Category.reposted_work,
            score=score, explanation=f"{what}, without crediting them{claimed}.",
            evidence=evidence, signals=signals,
        )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
