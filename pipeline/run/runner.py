"""One pipeline pass: sources -> enrich (media, OCR) -> detectors -> policy -> store.

Checkpoints advance only after the store acknowledged a page's posts and hits. An item that
cannot be read, serialised, scored or stored goes to the quarantine (pipeline/run/quarantine.py)
and the page goes on without it; a store that is down stops the source with its checkpoint
untouched, so the next run reads the page again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from detectors.base import Detector, RendersEvidence, UsesHistory
from pipeline.core.masking import redact_post
from pipeline.core.models import Finding, Hit, Post
from pipeline.enrich.base import DefersWork, Enricher, ReportsToSummary
from pipeline.policy.engine import Policy, Screened
from pipeline.run.quarantine import (
    Quarantine,
    QuarantinedItem,
    item_from_post,
    serialisation_problem,
)
from pipeline.sources.base import Page, Source, SourceStopped
from pipeline.store.base import Store, StoreError

log = logging.getLogger(__name__)

@dataclass
class RunSummary:
    posts_read: int = 0
    posts_stored: int = 0  # documents written, a replaced version included
    posts_new: int = 0  # of those, posts the store did not hold before
    hits_written: int = 0
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)  # (category, severity)
    # Findings the policy did not admit: (detector, why) -> count.
    suppressed: Counter[tuple[str, str]] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)  # bad input items, with where and why
    errors: list[str] = field(default_factory=list)  # failures that stopped a source or batch
    quarantined: int = 0  # items written to the quarantine (`crestwatch quarantine list`)
    # Of those, posts stored without what their images hold: the page's time budget ran out
    # first, and the retry fetches and reads them.
    deferred: int = 0
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
            "posts_new": self.posts_new,
            "hits_written": self.hits_written,
            "findings": {f"{c}/{s}": n for (c, s), n in sorted(self.findings.items())},
            "suppressed": {f"{d}/{why}": n for (d, why), n in sorted(self.suppressed.items())},
            "skipped": len(self.skipped),
            "quarantined": self.quarantined,
            "deferred": self.deferred,
            "errors": list(self.errors),
            "sources": dict(self.sources),
            "off": list(self.off),
        }


def run_detectors(
    posts: Sequence[Post], detectors: Sequence[Detector], summary: RunSummary | None = None,
    *, on_failure: Callable[[Post, str, str], None] | None = None,
) -> list[Finding]:
    """Every detector over the batch. A detector that fails on the batch is retried post by post,
    so one bad post costs only its own findings from that detector; `on_failure(post, detector,
    reason)` hears of each such post (the runner quarantines it)."""
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
                if on_failure is not None:
                    on_failure(post, detector.name, f"{type(exc).__name__}: {exc}")
    return findings


def process_page(
    page: Page,
    *,
    store: Store,
    detectors: Sequence[Detector],
    policy: Policy,
    summary: RunSummary,
    enrichers: Sequence[Enricher] = (),
    quarantine: Quarantine | None = None,
    source: str = "",
) -> bool:
    """Detect and store one page; True when the store acknowledged everything, or held in the
    quarantine what it refused."""
    summary.posts_read += len(page.posts)
    summary.skipped.extend(str(e) for e in page.errors)

    def hold(item: QuarantinedItem | None) -> None:
        if quarantine is not None and item is not None:
            quarantine.add(item)
            summary.quarantined += 1

    if quarantine is not None:
        summary.quarantined += quarantine.add_line_errors(source, page.errors)
    # The same id twice in a page (an edit seen twice): the last version is the post, for its
    # stored copy and its hits alike.
    by_id = {p.doc_id: p for p in page.posts}
    posts = list(by_id.values())
    deferred: list[QuarantinedItem] = []
    for enrich in enrichers:
        enrich(posts)
        if isinstance(enrich, ReportsToSummary):
            enrich.report(summary)
        if isinstance(enrich, DefersWork):
            deferred += [item_from_post(source, by_id[doc_id], stage="enrich", field=enrich.stage,
                                        reason=why)
                         for doc_id, why in enrich.take_deferred().items() if doc_id in by_id]
    for detector in detectors:
        if isinstance(detector, UsesHistory):
            detector.use_history(store)
    found = run_detectors(
        posts, detectors, summary,
        on_failure=lambda post, name, why: hold(
            item_from_post(source, post, stage="score", field=name, reason=why)),
    )
    screened = policy.screen(found, by_id)
    render_evidence(screened, detectors, by_id)
    # Secrets and personal details any detector found are masked in everything stored, also
    # when the finding itself was not admitted: the value was still seen.
    stored = {doc_id: redact_post(post, found) for doc_id, post in by_id.items()}
    # A post no store could write (a lone surrogate a source let through) would fail the whole
    # page's write: it is held on its own and the page goes on.
    for doc_id, post in list(stored.items()):
        problem = serialisation_problem(post)
        if problem is not None:
            summary.skipped.append(f"{doc_id}: cannot be serialised: {problem}")
            hold(item_from_post(source, by_id[doc_id], stage="serialise", field="(post)",
                                reason=problem))
            del stored[doc_id]
    hits = [Hit.from_finding(f, stored[f.post_id], d) for f, d in screened.admitted
            if f.post_id in stored]

    posts_result = store.upsert_posts(list(stored.values()))
    hits_result = store.upsert_hits(hits)
    summary.posts_stored += posts_result.written
    summary.posts_new += posts_result.created
    summary.hits_written += hits_result.written
    for f, decision in screened.admitted:
        summary.findings[(f.category.value, decision.severity.value)] += 1
    for f, decision in screened.suppressed:
        summary.suppressed[(f.detector, decision.suppressed_by or "")] += 1
    failed = posts_result.failed + hits_result.failed
    store_wide = posts_result.store_wide + hits_result.store_wide
    if quarantine is None or store_wide:
        for doc_id, reason in failed:
            summary.errors.append(f"store refused {doc_id}: {reason}")
        if not failed:
            record_history(store, detectors, posts, found)
            hold_deferred(deferred, quarantine, summary)
        return not failed
    # A document the store refused (a mapping it cannot take) is held with the post it came
    # from; the rest of the page is stored, so the checkpoint may move past it.
    post_of_hit = {h.id: h.post_id for h in hits}
    for doc_id, reason in failed:
        refused = by_id.get(post_of_hit.get(doc_id, doc_id))
        summary.skipped.append(f"store refused {doc_id}: {reason}")
        if refused is None:
            summary.errors.append(f"store refused {doc_id}: {reason}")
            return False
        hold(item_from_post(source, refused, stage="store", field=doc_id, reason=reason))
    record_history(store, detectors, posts, found)
    hold_deferred(deferred, quarantine, summary)
    return True


def hold_deferred(deferred: Sequence[QuarantinedItem], quarantine: Quarantine | None,
                  summary: RunSummary) -> None:
    """Hold the posts an enricher's page budget left unfinished, once the page is stored: the
    text was read and stored now, what their images hold comes with the retry."""
    for item in deferred:
        summary.deferred += 1
        if quarantine is None:
            summary.skipped.append(f"{item.location}: {item.reason} (no quarantine to retry it)")
            continue
        quarantine.add(item)
        summary.quarantined += 1


def render_evidence(
    screened: Screened, detectors: Sequence[Detector], posts: dict[str, Post]
) -> None:
    """Evidence pictures for the admitted findings only, drawn by their detector."""
    renderers = {d.name: d for d in detectors if isinstance(d, RendersEvidence)}
    for finding, _ in screened.admitted:
        renderer = renderers.get(finding.detector)
        if renderer is not None and finding.post_id in posts:
            finding.evidence.update(renderer.render_evidence(finding, posts[finding.post_id]))


def record_history(
    store: Store, detectors: Sequence[Detector], posts: Sequence[Post], found: Sequence[Finding]
) -> None:
    """The history (accounts, works) moves only once the store holds the page, like the
    checkpoint."""
    for detector in detectors:
        if isinstance(detector, UsesHistory):
            update = detector.history_update(posts, found)
            if update:
                store.record_history(update)


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
    quarantine: Quarantine | None = None,
) -> None:
    pages = 0
    checkpoint: str | None = None
    page: Page | None = None  # the page being written, until its checkpoint is saved
    try:
        checkpoint = None if from_start else store.get_checkpoint(source.name)
        for page in source.pages(checkpoint):
            pages += 1
            stored = process_page(
                page, store=store, detectors=detectors, policy=policy, summary=summary,
                enrichers=enrichers, quarantine=quarantine, source=source.name,
            )
            if on_page:
                on_page(page)
            if not stored:
                summary.sources[source.name] = f"stopped at page {pages}: store refused writes"
                return
            if page.checkpoint is not None:
                store.set_checkpoint(source.name, page.checkpoint)
                checkpoint = page.checkpoint
            page = None
    except SourceStopped as exc:
        summary.errors.append(f"{source.name}: {exc}")
        summary.sources[source.name] = f"stopped after {pages} pages: {exc}"
        return
    except StoreError as exc:
        # The store is down or went away mid-write: this page's checkpoint was not saved, so
        # the next run reads it again. The error names the posts that wait for that run, so an
        # operator can tell what is missing until then.
        error = f"{source.name}: {exc}"
        if page is not None:
            if checkpoint is not None:
                stays = f"at {checkpoint!r}"
            else:  # a replay from the start leaves a saved checkpoint as it was
                stays = "where it was" if from_start else "at the start"
            error += (f"; {unacknowledged(page, pages)}, the checkpoint stays {stays}: "
                      "the next run reads them again")
        summary.errors.append(error)
        summary.sources[source.name] = f"stopped at page {max(pages, 1)}: {exc}"
        return
    summary.sources[source.name] = f"ok, {pages} pages"


def unacknowledged(page: Page, number: int, shown: int = 3) -> str:
    """The posts of a page the store did not acknowledge, by id (the first and last few)."""
    ids = list(dict.fromkeys(p.doc_id for p in page.posts))
    if len(ids) <= 2 * shown:
        named = ", ".join(ids)
    else:
        named = f"{', '.join(ids[:shown])} ... {', '.join(ids[-shown:])}"
    return f"page {number} not acknowledged ({len(ids)} posts: {named})"


def run_pass(
    sources: Sequence[Source],
    *,
    store: Store,
    detectors: Sequence[Detector],
    policy: Policy,
    enrichers: Sequence[Enricher] = (),
    on_page: Callable[[Page], None] | None = None,
    from_start: bool = False,
    quarantine: Quarantine | None = None,
) -> RunSummary:
    """Run every source once. `from_start` ignores saved checkpoints (replays, the demo);
    document ids make that safe: a replay overwrites, it never duplicates. With a `quarantine`,
    an item that cannot be read, scored or stored is held there and its page goes on."""
    summary = RunSummary()
    for source in sources:
        run_source(
            source, store=store, detectors=detectors, policy=policy, summary=summary,
            enrichers=enrichers, on_page=on_page, from_start=from_start, quarantine=quarantine,
        )
    try:
        store.refresh()
    except StoreError as exc:
        summary.errors.append(str(exc))
    return summary
