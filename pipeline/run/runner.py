"""One pipeline pass: sources -> enrich (media, OCR) -> detectors -> policy -> store.

Checkpoints advance only after the store acknowledged a page's posts and hits; a page whose
write failed stops that source for this run, so the next run reads it again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from detectors.base import Detector
from pipeline.core.masking import redact_post
from pipeline.core.models import Finding, Hit, Post
from pipeline.enrich.base import Enricher, ReportsToSummary
from pipeline.policy.engine import Policy
from pipeline.sources.base import Page, Source, SourceStopped
from pipeline.store.base import Store

log = logging.getLogger(__name__)

@dataclass
class RunSummary:
    posts_read: int = 0
    posts_stored: int = 0
    hits_written: int = 0
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)  # (category, severity)
    # Findings the policy did not admit: (detector, why) -> count.
    suppressed: Counter[tuple[str, str]] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)  # bad input items, with where and why
    errors: list[str] = field(default_factory=list)  # failures that stopped a source or batch
    sources: dict[str, str] = field(default_factory=dict)  # source name -> outcome
    # Parts of the pass that were off (a missing system package), each with how to turn it on;
    # the run went on without them, so they are neither errors nor skipped items.
    off: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def turned_off(self, note: str) -> None:
        """Record a part of the pass that is off; told once however many pages ask."""
        if note not in self.off:
            self.off.append(note)

    def as_dict(self) -> dict[str, object]:
        return {
            "posts_read": self.posts_read,
            "posts_stored": self.posts_stored,
            "hits_written": self.hits_written,
            "findings": {f"{c}/{s}": n for (c, s), n in sorted(self.findings.items())},
            "suppressed": {f"{d}/{why}": n for (d, why), n in sorted(self.suppressed.items())},
            "skipped": len(self.skipped),
            "errors": list(self.errors),
            "sources": dict(self.sources),
            "off": list(self.off),
        }


def run_detectors(
    posts: Sequence[Post], detectors: Sequence[Detector], summary: RunSummary | None = None
) -> list[Finding]:
    """Every detector over the batch. A detector that fails on the batch is retried post by post,
    so one bad post costs only its own findings from that detector."""
    findings: list[Finding] = []
    for detector in detectors:
        detector.ensure_loaded()
        try:
            findings.extend(detector.detect(posts))
            continue
        except Exception:
            log.exception("detector %s failed on a batch; retrying post by post", detector.name)
        for post in posts:
            try:
                findings.extend(detector.detect([post]))
            except Exception as exc:  # noqa: BLE001 - reported in the summary, run goes on
                message = f"{detector.name} on {post.doc_id}: {type(exc).__name__}: {exc}"
                log.error("detector failed: %s", message)
                if summary is not None:
                    summary.skipped.append(message)
    return findings


def process_page(
    page: Page,
    *,
    store: Store,
    detectors: Sequence[Detector],
    policy: Policy,
    summary: RunSummary,
    enrichers: Sequence[Enricher] = (),
) -> bool:
    """Detect and store one page; True when the store acknowledged everything."""
    summary.posts_read += len(page.posts)
    summary.skipped.extend(str(e) for e in page.errors)
    for enrich in enrichers:
        enrich(page.posts)
        if isinstance(enrich, ReportsToSummary):
            enrich.report(summary)
    by_id = {p.doc_id: p for p in page.posts}
    found = run_detectors(page.posts, detectors, summary)
    screened = policy.screen(found, by_id)
    # Secrets and personal details any detector found are masked in everything stored, also
    # when the finding itself was not admitted: the value was still seen.
    stored = {doc_id: redact_post(post, found) for doc_id, post in by_id.items()}
    hits = [Hit.from_finding(f, stored[f.post_id], d) for f, d in screened.admitted]

    posts_result = store.upsert_posts(list(stored.values()))
    hits_result = store.upsert_hits(hits)
    summary.posts_stored += posts_result.written
    summary.hits_written += hits_result.written
    for f, decision in screened.admitted:
        summary.findings[(f.category.value, decision.severity.value)] += 1
    for f, decision in screened.suppressed:
        summary.suppressed[(f.detector, decision.suppressed_by or "")] += 1
    failed = posts_result.failed + hits_result.failed
    for doc_id, reason in failed:
        summary.errors.append(f"store refused {doc_id}: {reason}")
    return not failed


def run_source(
    source: Source,
    *,
    store: Store,
    detectors: Sequence[Detector],
    policy: Policy,
    summary: RunSummary,
    enrichers: Sequence[Enricher] = (),
    on_page: Callable[[Page], None] | None = None,
    from_start: bool = False,
) -> None:
    checkpoint = None if from_start else store.get_checkpoint(source.name)
    pages = 0
    try:
        for page in source.pages(checkpoint):
            pages += 1
            stored = process_page(
                page, store=store, detectors=detectors, policy=policy, summary=summary,
                enrichers=enrichers,
            )
            if on_page:
                on_page(page)
            if not stored:
                summary.sources[source.name] = f"stopped at page {pages}: store refused writes"
                return
            if page.checkpoint is not None:
                store.set_checkpoint(source.name, page.checkpoint)
    except SourceStopped as exc:
        summary.errors.append(f"{source.name}: {exc}")
        summary.sources[source.name] = f"stopped after {pages} pages: {exc}"
        return
    summary.sources[source.name] = f"ok, {pages} pages"


def run_pass(
    sources: Sequence[Source],
    *,
    store: Store,
    detectors: Sequence[Detector],
    policy: Policy,
    enrichers: Sequence[Enricher] = (),
    on_page: Callable[[Page], None] | None = None,
    from_start: bool = False,
) -> RunSummary:
    """Run every source once. `from_start` ignores saved checkpoints (replays, the demo);
    document ids make that safe: a replay overwrites, it never duplicates."""
    summary = RunSummary()
    for source in sources:
        run_source(
            source, store=store, detectors=detectors, policy=policy, summary=summary,
            enrichers=enrichers, on_page=on_page, from_start=from_start,
        )
    store.refresh()
    return summary
