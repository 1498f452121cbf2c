"""What happens to a page of posts between the source and the detectors: fetch media
(guarded), read text inside images. `build_enrichers` is used by the CLI and the DAGs alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pipeline.core.config import OrgConfig
from pipeline.core.models import Post

if TYPE_CHECKING:
    from pipeline.run.runner import RunSummary

Enricher = Callable[[list[Post]], None]


@runtime_checkable
class ReportsToSummary(Protocol):
    """An enricher with something for the run summary: a part of the pass it turned off (and how
    to turn it on), items it could not handle. The runner asks after every page."""

    def report(self, summary: RunSummary) -> None: ...


@runtime_checkable
class DefersWork(Protocol):
    """An enricher with a time budget per page. What it could not do in time it leaves undone
    (never half-recorded as done) and names here, so the runner can store the rest of the post
    now and hold it for a retry that finishes the work."""

    stage: str  # what was deferred, as the quarantine's field: "media", "ocr"

    def take_deferred(self) -> dict[str, str]:
        """Post doc id -> why, for the posts deferred since the last call."""
        ...


def build_enrichers(config: OrgConfig, *, offline: bool = False) -> list[Enricher]:
    """Enrichers in the order they run. `offline` (demo, tests) skips anything that would fetch
    over the network; posts then carry only media already on disk (`Media.path`)."""
    enrichers: list[Enricher] = []
    from pipeline.enrich.media import MediaFetcher, hash_local_media

    enrichers.append(hash_local_media if offline else MediaFetcher.from_config(config))
    # OCR reads local files only, so it runs offline too; it must stay after media fetching.
    from pipeline.enrich.ocr import OcrEnricher

    enrichers.append(OcrEnricher(max_pixels=config.media.max_pixels,
                                 page_budget=config.media.page_budget,
                                 workers=config.media.ocr_workers))
    return enrichers
