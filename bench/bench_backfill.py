"""Backfill throughput and memory: 100,000 replayed X posts through XSource into a SQLiteStore.

The X API v2 search endpoint is replayed at the HTTP layer (`responses`) with pages of 100
tweets generated on demand, so the replay itself holds no state that grows with the run. No
detectors run. Prints posts/s and peak RSS at 10k, 50k and 100k posts; sources stream, so
peak RSS should stay flat (the ratio 100k/10k near 1.0).

    .venv/bin/python bench/bench_backfill.py [--posts 100000]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import responses

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.core.config import load_config  # noqa: E402
from pipeline.policy.engine import Policy  # noqa: E402
from pipeline.run.runner import run_pass  # noqa: E402
from pipeline.sources._retry import Retrier  # noqa: E402
from pipeline.sources._secrets import Credentials  # noqa: E402
from pipeline.sources.base import Page  # noqa: E402
from pipeline.sources.x import XSource, classify  # noqa: E402
from pipeline.store.sqlite import SQLiteStore  # noqa: E402

URL = "https://api.twitter.com/2/tweets/search/recent"
BASE_ID = 1_860_000_000_000_000_000
T0 = datetime(2026, 11, 1, tzinfo=UTC)
PAGE = 100
MARKS = (10_000, 50_000, 100_000)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def make_page(total: int, offset: int) -> dict[str, Any]:
    """Tweets newest first: tweet `total - 1 - i` is the i-th newest."""
    tweets, users = [], {}
    for i in range(offset, min(total, offset + PAGE)):
        n = total - 1 - i
        author = str(1000 + n % 500)
        users[author] = {
            "id": author, "username": f"user{author}", "name": f"User {author}",
            "created_at": "2020-01-01T00:00:00.000Z", "description": "Student at Queen Mary",
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{author}.jpg",
            "verified": False, "public_metrics": {"followers_count": n % 1000,
                                                  "following_count": 10, "tweet_count": 99},
        }
        tweets.append({
            "id": str(BASE_ID + n), "author_id": author, "lang": "en",
            "text": f"Post {n} about #QMUL and Queen Mary University, lecture hall {n % 40}",
            "created_at": (T0 + timedelta(seconds=n)).isoformat().replace("+00:00", ".000Z"),
            "conversation_id": str(BASE_ID + n),
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": n % 7,
                               "quote_count": 0},
            "entities": {"hashtags": [{"start": 14, "end": 19, "tag": "QMUL"}]},
        })
    body: dict[str, Any] = {"data": tweets, "includes": {"users": list(users.values())},
                            "meta": {"result_count": len(tweets)}}
    if offset + PAGE < total:
        body["meta"]["next_token"] = f"tok{offset + PAGE}"
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = load_config()
    config.organisation.aliases = []
    config.organisation.hashtags = []
    config.accounts = [a for a in config.accounts if a.handle == "QMUL"]

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        params = parse_qs(urlparse(request.url).query)
        offset = int(params.get("next_token", ["tok0"])[0].removeprefix("tok"))
        return 200, {"content-type": "application/json"}, json.dumps(make_page(args.posts, offset))

    with tempfile.TemporaryDirectory() as tmp, \
            responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.GET, URL, callback=answer)
        store = SQLiteStore(Path(tmp) / "bench.sqlite")
        store.setup()
        source = XSource(config, Credentials({"bearer_token": "bench"}, source="x"),
                         name="x-bench", max_pages=args.posts // PAGE + 1, page_size=PAGE,
                         retrier=Retrier(classify))
        seen = 0
        start = time.perf_counter()
        rows: list[tuple[int, float, float]] = []
        marks = [m for m in MARKS if m <= args.posts] or [args.posts]

        def on_page(page: Page) -> None:
            nonlocal seen
            seen += len(page.posts)
            # `responses` records every call, on the mock and on the matched response; the
            # bench measures the collector, not that record.
            rsps.calls.reset()
            for registered in rsps.registered():
                registered.calls.reset()
            if marks and seen >= marks[0]:
                rows.append((seen, seen / (time.perf_counter() - start), peak_rss_mb()))
                marks.pop(0)

        summary = run_pass([source], store=store, detectors=[], policy=Policy(config),
                           on_page=on_page)
        stored = store._db.execute("SELECT count(*) FROM posts").fetchone()[0]
        store.close()
    print(f"backfill of {args.posts:,} replayed X posts into SQLite (no detectors)")
    print(f"{'posts':>9} {'posts/s':>9} {'peak RSS MB':>12}   (posts/s averaged since the start)")
    for posts, rate, rss in rows:
        print(f"{posts:>9,} {rate:>9,.0f} {rss:>12.1f}")
    if len(rows) > 1:
        (first, rate0, rss0), (last, rate1, rss1) = rows[0], rows[-1]
        print(f"peak RSS ratio {last:,}/{first:,} posts: {rss1 / rss0:.2f}")
        print(f"throughput ratio {last:,}/{first:,} posts: {rate1 / rate0:.2f}")
    print(f"stored {stored:,} posts; run ok: {summary.ok}")


if __name__ == "__main__":
    main()
