"""What the collectors' deadline transport costs: X backfill with and without it, in one run.

The transport (pipeline/sources/_transport.py) reads every answer in full and checks it is whole
JSON before tweepy parses it again. This replays the backfill bench's X search pages through
XSource and tweepy into SQLite, alternating runs with the project's adapter and with a plain
requests adapter, and prints posts per CPU second (wall time on a shared machine measures the
other jobs) and the ratio of the medians.

    .venv/bin/python bench/bench_transport.py            # --posts N --rounds R
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import responses
from requests.adapters import HTTPAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_backfill import PAGE, URL, make_page  # noqa: E402

from pipeline.core.config import OrgConfig, load_config  # noqa: E402
from pipeline.policy.engine import Policy  # noqa: E402
from pipeline.run.runner import run_pass  # noqa: E402
from pipeline.sources._retry import Retrier  # noqa: E402
from pipeline.sources._secrets import Credentials  # noqa: E402
from pipeline.sources.base import Page  # noqa: E402
from pipeline.sources.x import XSource, classify  # noqa: E402
from pipeline.store.sqlite import SQLiteStore  # noqa: E402


def one_run(config: OrgConfig, posts: int, *, plain: bool) -> float:
    """Posts per CPU second of one backfill of `posts` replayed tweets."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        params = parse_qs(urlparse(request.url).query)
        offset = int(params.get("next_token", ["tok0"])[0].removeprefix("tok"))
        return 200, {"content-type": "application/json"}, json.dumps(make_page(posts, offset))

    with tempfile.TemporaryDirectory() as tmp, \
            responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.GET, URL, callback=answer)
        store = SQLiteStore(Path(tmp) / "bench.sqlite")
        store.setup()
        source = XSource(config, Credentials({"bearer_token": "bench"}, source="x"),
                         name="x-bench", max_pages=posts // PAGE + 1, page_size=PAGE,
                         retrier=Retrier(classify))
        if plain:
            source.client.session.mount("https://", HTTPAdapter())

        def on_page(page: Page) -> None:
            rsps.calls.reset()  # `responses` keeps every call; not what is measured here
            for registered in rsps.registered():
                registered.calls.reset()

        start = time.process_time()
        summary = run_pass([source], store=store, detectors=[], policy=Policy(config),
                           on_page=on_page)
        cpu = time.process_time() - start
        store.close()
    if summary.posts_read != posts:
        raise SystemExit(f"read {summary.posts_read} of {posts} posts: {summary.errors}")
    return posts / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = load_config()
    config.organisation.aliases = []
    config.organisation.hashtags = []
    config.accounts = [a for a in config.accounts if a.handle == "QMUL"]
    rates: dict[str, list[float]] = {"plain adapter": [], "deadline transport": []}
    for _ in range(args.rounds):
        rates["plain adapter"].append(one_run(config, args.posts, plain=True))
        rates["deadline transport"].append(one_run(config, args.posts, plain=False))
    print(f"X backfill of {args.posts:,} replayed posts, {args.rounds} rounds each, alternating")
    for name, values in rates.items():
        shown = ", ".join(f"{v:,.0f}" for v in values)
        print(f"{name:>20}: posts per CPU second {shown} (median {statistics.median(values):,.0f})")
    ratio = statistics.median(rates["deadline transport"]) / statistics.median(
        rates["plain adapter"])
    print(f"ratio deadline transport / plain adapter (medians): {ratio:.2f}")


if __name__ == "__main__":
    main()
