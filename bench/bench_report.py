"""Weekly report build time for a week of 50,000 hits (target: under a minute on 2 cores), and
the review list's answer time on 100,000 hits (target: under a second), on either store.

    .venv/bin/python bench/bench_report.py                       # SQLite
    .venv/bin/python bench/bench_report.py --es-url "$(bash scripts/elasticsearch.sh url)"

Prints each time and its ratio to the target (below 1.0 meets it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from pipeline.core.config import load_config
from pipeline.core.models import Author, Category, Decision, Finding, Hit, Post, Severity, Status
from pipeline.reporting.render import write_report
from pipeline.reporting.report import build_weekly_report, iso_week
from pipeline.store.base import HitQuery

WEEK = "2026-W47"


def make_hits(n: int, start, rng: random.Random) -> list[Hit]:
    categories = list(Category)
    statuses = [Status.new] * 6 + [Status.acknowledged, Status.escalated, Status.resolved,
                                   Status.false_positive]
    hits = []
    for i in range(n):
        author = str(rng.randrange(5000))
        post = Post(platform=rng.choice(["x", "reddit", "bluesky", "mastodon"]), id=str(i),
                    created_at=start, text=f"post {i} about exams #QMUL and the library queue",
                    author=Author(id=author, handle=f"user{author}"))
        finding = Finding(post_id=post.doc_id, detector="bench", category=rng.choice(categories),
                          score=rng.random(), explanation="benchmark hit")
        decision = Decision(True, rng.choice(list(Severity)), ("benchmark",))
        hit = Hit.from_finding(finding, post, decision, now=start + timedelta(seconds=rng.randrange(
            14 * 24 * 3600)) - timedelta(days=7))
        hit.status = rng.choice(statuses)
        if hit.status is not Status.new:
            hit.review_minutes = rng.uniform(1, 600)
        hits.append(hit)
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--es-url")
    parser.add_argument("--week-hits", type=int, default=50_000)
    parser.add_argument("--total-hits", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("CRESTWATCH_HASH_SALT", "bench")
    rng = random.Random(47)
    start, _ = iso_week(WEEK)
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config().model_copy(update={"data_dir": Path(tmp)})
        if args.es_url:
            from elasticsearch import Elasticsearch

            from pipeline.store.elasticsearch import ElasticsearchStore

            store = ElasticsearchStore(Elasticsearch(args.es_url, request_timeout=120),
                                       prefix=f"bench-{uuid.uuid4().hex[:8]}")
        else:
            from pipeline.store.sqlite import SQLiteStore

            store = SQLiteStore(Path(tmp) / "bench.sqlite")
        store.setup()
        # Half the hits in the report's week and half in the week before (for the change);
        # the rest of the total outside both.
        hits = make_hits(args.week_hits * 2, start, rng)
        hits += make_hits(args.total_hits - len(hits), start - timedelta(days=21), rng)
        result = store.upsert_hits(hits)
        assert result.ok, result.failed[:3]
        store.refresh()

        began = time.perf_counter()
        report = build_weekly_report(store, config, WEEK)
        files = write_report(report, Path(tmp) / "report", pdf=True)
        build = time.perf_counter() - began

        timings = []
        for status in ([], ["new"], ["escalated"], ["false_positive"], []):
            began = time.perf_counter()
            listed = store.search_hits(HitQuery(status=status, limit=50))
            store.count_hits(HitQuery(status=status))
            timings.append(time.perf_counter() - began)
            assert listed
        review = statistics.median(timings)
        backend = "Elasticsearch" if args.es_url else "SQLite"
        print(f"store: {backend}, hits: {len(hits)}, in the week: {report.total.this_week}")
        print(f"weekly report (HTML, CSVs, PDF): {build:.1f} s, ratio to 60 s target: "
              f"{build / 60:.2f}")
        print(f"review list + count (median of 5): {review * 1000:.0f} ms, ratio to 1 s target: "
              f"{review:.2f}")
        print(f"files: {', '.join(sorted(p.name for p in files.values()))[:120]}...")
        if args.es_url:
            store.es.indices.delete(index=f"{store.prefix}-*")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
