"""Elasticsearch store indexing rate versus a raw `helpers.bulk` of the same documents.

Run against the local node (scripts/elasticsearch.sh start):
    .venv/bin/python bench/bench_store.py --url "$(bash scripts/elasticsearch.sh url)"
Both sides index the same posts into fresh indices with the same template, in one run, alternating
rounds so machine noise hits both alike. Prints posts/s for each and the ratio store/raw.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from elasticsearch import Elasticsearch, helpers

from pipeline.core.models import Author, Media, Post
from pipeline.store.elasticsearch import ElasticsearchStore


def make_posts(n: int) -> list[Post]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        Post(
            platform="x",
            id=str(1_860_000_000_000_000_000 + i),
            url=f"https://x.com/user{i % 500}/status/{i}",
            created_at=start + timedelta(seconds=i),
            text=f"Post {i}: exam timetable at Queen Mary is out, see the library page #QMUL",
            lang="en",
            author=Author(id=str(i % 500), handle=f"user{i % 500}", display_name=f"User {i % 500}",
                          followers=i % 1000),
            media=[Media(url=f"https://pbs.example/{i}.jpg")] if i % 5 == 0 else [],
            metrics={"like_count": i % 17},
        )
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    es = Elasticsearch(args.url, request_timeout=120)
    posts = make_posts(args.posts)
    rates: dict[str, list[float]] = {"store": [], "raw": []}
    for round_no in range(args.rounds):
        for side in ("store", "raw") if round_no % 2 == 0 else ("raw", "store"):
            prefix = f"bench-{uuid.uuid4().hex[:8]}"
            store = ElasticsearchStore(es, prefix=prefix)
            store.setup()  # both sides get the same template and a fresh index
            began = time.perf_counter()
            if side == "store":
                result = store.upsert_posts(posts)
                assert result.ok and result.written == len(posts)
            else:
                # What a user would write by hand: the same documents, the default helper.
                actions = (
                    {"_index": store.index("posts"), "_id": p.doc_id,
                     "_source": p.model_dump(mode="json")}
                    for p in posts
                )
                ok, errors = helpers.bulk(es, actions)
                assert ok == len(posts) and not errors
            rates[side].append(len(posts) / (time.perf_counter() - began))
            es.indices.delete(index=f"{prefix}-*")
            for name in store.es.indices.get_index_template(name=f"{prefix}-*")["index_templates"]:
                es.indices.delete_index_template(name=name["name"])
    store_rate = statistics.median(rates["store"])
    raw_rate = statistics.median(rates["raw"])
    print(f"posts per round: {args.posts}, rounds: {args.rounds}")
    print(f"ElasticsearchStore.upsert_posts: {store_rate:,.0f} posts/s (median)")
    print(f"raw helpers.bulk:                {raw_rate:,.0f} posts/s (median)")
    print(f"ratio store/raw: {store_rate / raw_rate:.2f} (target >= 0.9)")


if __name__ == "__main__":
    main()
