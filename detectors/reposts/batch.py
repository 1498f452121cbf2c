"""What the reposted-work detector knows within one batch, and nothing longer.

A copy and its original may come in the same batch, before the store holds either: the works
read so far in the batch are found again here by the later posts of the same batch. For the
runner a batch is a page (`use_history` starts one, `history_update` hands over what it read and
ends it), so a page the detector had to read again post by post still sees its earlier posts;
without a store each `detect` call is a batch of its own. What earlier batches read comes from
the store's work history, never from here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from detectors.reposts.images import ImageFeatures, ImageIndex
from pipeline.core.works import RememberedWork, Work


class Batch:
    def __init__(self) -> None:
        self.reading: set[str] = set()  # the ids of the posts in the batch
        self.works: dict[str, Work] = {}
        self.records: dict[str, RememberedWork] = {}  # for the runner to record after the ack
        self._postings: dict[int, set[str]] = {}  # shingle hash -> post ids in this batch
        # The images to compare with: registered works', the store's (within the memory
        # period, those sharing visual words with an image read) and this batch's; filled as
        # the batch's images need them.
        self.images_loaded = False  # the registered works' images
        self.looked_up: set[str] = set()  # the store's works already in the index
        self.index = ImageIndex()
        self.image_owner: list[tuple[str, int]] = []  # index key -> (post id, media index)
        self.image_works: dict[str, Work] = {}  # who posted each image in the index

    def add(self, work: Work, hashes: Sequence[int]) -> None:
        """A work read in this batch; a post read again (a page retried post by post) keeps
        its first entry's shingles, which are the same words."""
        if work.post_id not in self.works:
            for value in hashes:
                self._postings.setdefault(value, set()).add(work.post_id)
        self.works[work.post_id] = work

    def shared(self, hashes: Sequence[int]) -> dict[str, int]:
        """post id -> how many of `hashes` its text has, for this batch's works."""
        return dict(Counter(p for value in set(hashes) for p in self._postings.get(value, ())))

    def add_image(self, post_id: str, media_index: int, item: ImageFeatures) -> None:
        self.index.add(item)
        self.image_owner.append((post_id, media_index))
