"""The ingest DAG maps one task per configured platform source and runs them end to end with
`dag.test()`: X, Reddit, Bluesky and Mastodon collectors through their real client libraries,
their HTTP traffic replayed in the platforms' wire formats, writing to the real local
Elasticsearch. A second run adds nothing.

`dag.test()` runs each task in this process, so the `responses` (requests: tweepy, praw,
Mastodon.py) and `respx` (httpx: atproto) mocks active around it answer the collectors' calls;
the replays' own call logs prove it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import prawcore
import pytest
import responses
import respx
import yaml

from detectors.registry import available
from pipeline.airflow import tasks
from tests.dags.runs import task_states, without_retries
from tests.unit.sources import bluesky_replay, mastodon_replay, reddit_replay, x_replay
from tests.unit.sources.bluesky_replay import BlueskyReplay
from tests.unit.sources.mastodon_replay import MastodonReplay
from tests.unit.sources.reddit_replay import RedditReplay
from tests.unit.sources.x_replay import XSearchReplay

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MARKER = "strictly confidential"
# Made-up credentials, set as the collectors' environment variables; none may be logged.
SECRETS = {
    "CRESTWATCH_X_BEARER_TOKEN": "x-bearer-not-real-41d8cd98",
    "CRESTWATCH_REDDIT_CLIENT_ID": "reddit-id-not-real",
    "CRESTWATCH_REDDIT_CLIENT_SECRET": "reddit-secret-not-real-8f00b204",
    "CRESTWATCH_REDDIT_USER_AGENT": "crestwatch-dag-test/0.1",
    "CRESTWATCH_BLUESKY_HANDLE": "crestwatch.bsky.social",
    "CRESTWATCH_BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop",
    "CRESTWATCH_MASTODON_ACCESS_TOKEN": "mastodon-token-not-real-e9800998",
}
SECRET_KEYS = ("CRESTWATCH_X_BEARER_TOKEN", "CRESTWATCH_REDDIT_CLIENT_SECRET",
               "CRESTWATCH_BLUESKY_APP_PASSWORD", "CRESTWATCH_MASTODON_ACCESS_TOKEN")
PLATFORM_SOURCES = {"x": "x-search", "reddit": "reddit-search", "bluesky": "bluesky-search",
                    "mastodon": "mastodon-search"}
# Posts each platform serves; the first of each carries the confidentiality marker.
PER_PLATFORM = {"x": 3, "reddit": 4, "bluesky": 3, "mastodon": 3}  # reddit: 3 + 1 comment


def write_config(folder: Path, index_prefix: str) -> Path:
    detectors = {name: {"enabled": name == "confidential"} for name in available()}
    config = {
        "organisation": {"name": "QMUL", "short_name": "QMUL"},
        # The replayed authors' avatars live on platform CDNs, which tests may not reach.
        "media": {"fetch_avatars": False},
        "search": {"mastodon": {"hashtags": ["QMUL"], "instances": ["https://mastodon.social"]}},
        "confidential_markers": [MARKER],
        "detectors": detectors,
        "store": {"backend": "elasticsearch", "index_prefix": index_prefix},
        "data_dir": "data",
        "sources": [{"name": name, "platform": platform}
                    for platform, name in PLATFORM_SOURCES.items()],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _text(n: int, what: str) -> str:
    return f"{MARKER.capitalize()}: {what} {n} draft, do not share #QMUL" if n == 1 \
        else f"{what} {n} at QMUL #QMUL"


def recent_status(n: int, now: datetime) -> dict[str, Any]:
    """A Mastodon status from the last hour: a first run reads one day back."""
    at = now - timedelta(minutes=60 - n)
    ident = mastodon_replay.local_id(n, at)
    return mastodon_replay.status(
        n, content=f"<p>{_text(n, 'Seminar')}</p>", id=ident,
        created_at=at.isoformat().replace("+00:00", "Z"),
        uri=f"https://mastodon.social/users/ana/statuses/{ident}",
        url=f"https://mastodon.social/@ana/{ident}")


@dataclass
class Replays:
    x: XSearchReplay
    reddit: RedditReplay
    bluesky: BlueskyReplay
    mastodon: MastodonReplay


@pytest.fixture()
def replays(monkeypatch: pytest.MonkeyPatch) -> Iterator[Replays]:
    # prawcore paces and retries with time.sleep; the replay answers at once.
    monkeypatch.setattr(prawcore.sessions.time, "sleep", lambda seconds: None)
    now = datetime.now(UTC)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps, \
            respx.mock(assert_all_called=False) as router:
        x = XSearchReplay(rsps, [x_replay.tweet(n, text=_text(n, "Lecture"))
                                 for n in range(1, 4)])
        things = [reddit_replay.submission(n, title=_text(n, "Question"), selftext="")
                  for n in range(1, 4)]
        things[1]["data"]["num_comments"] = 1
        reddit = RedditReplay(rsps, things)
        reddit.comments["1g00002"] = [reddit_replay.comment(
            "c01", "t3_1g00002", "t3_1g00002", "Same question at QMUL")]
        bluesky = BlueskyReplay(router, [bluesky_replay.post_view(n, text=_text(n, "Open day"))
                                         for n in range(1, 4)])
        mastodon = MastodonReplay(rsps, "mastodon.social")
        statuses = [recent_status(n, now) for n in range(1, 4)]
        mastodon.tagged["qmul"] = statuses
        mastodon.searchable = statuses  # the same statuses found twice are stored once
        yield Replays(x, reddit, bluesky, mastodon)


@pytest.fixture()
def deployment(
    tmp_path: Path, es_url: str, es_prefix: str, es_client: object,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    path = write_config(tmp_path, es_prefix)
    monkeypatch.setenv("CRESTWATCH_CONFIG", str(path))
    monkeypatch.delenv("CRESTWATCH_STORE_BACKEND", raising=False)
    monkeypatch.delenv("CRESTWATCH_DATA_DIR", raising=False)
    for name in ("URL", "API_KEY", "USER", "PASSWORD"):
        monkeypatch.delenv(f"CRESTWATCH_ES_{name}", raising=False)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CRESTWATCH_MASTODON_INSTANCE", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_CRESTWATCH_ELASTICSEARCH",
                       json.dumps({"conn_type": "generic", "host": es_url}))
    with tasks.open_task_store(tasks.load_config(path)):
        pass  # templates and indices exist from here on (es_client removes them afterwards)
    return path




def _stored(es_client, prefix: str) -> tuple[dict[str, int], int]:  # type: ignore[no-untyped-def]
    es_client.indices.refresh(index=f"{prefix}-*")
    body = es_client.search(index=f"{prefix}-posts", size=0, aggs={
        "platforms": {"terms": {"field": "platform", "size": 10}}})
    per_platform = {b["key"]: b["doc_count"] for b in body["aggregations"]["platforms"]["buckets"]}
    return per_platform, es_client.count(index=f"{prefix}-hits")["count"]


def test_mapped_platform_ingest_stores_every_platform_and_a_second_run_adds_nothing(
    dagbag, deployment: Path, replays: Replays, es_client, es_prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # type: ignore[no-untyped-def]
    dag = without_retries(dagbag.get_dag("ingest"))
    with caplog.at_level(logging.INFO):
        first = dag.test()
    states = task_states(first)
    assert str(first.state) == "success", states
    for platform, name in PLATFORM_SOURCES.items():
        assert states[f"ingest_{platform}"] == ["success"], (platform, states)
        [mapped] = [ti for ti in first.get_task_instances()
                    if ti.task_id == f"ingest_{platform}"]
        assert mapped.rendered_map_index == name
    assert states["ingest_jsonl"] == ["skipped"]
    # The collectors ran inside this process, against the replays.
    assert replays.x.calls and replays.reddit.searches and replays.bluesky.searches
    assert any(path.endswith("/timelines/tag/QMUL") for path, _, _ in replays.mastodon.calls)
    assert any(path == "/api/v2/search" for path, _, _ in replays.mastodon.calls)
    assert replays.bluesky.logins[0]["identifier"] == "crestwatch.bsky.social"

    per_platform, hits = _stored(es_client, es_prefix)
    assert per_platform == PER_PLATFORM
    assert hits == len(PER_PLATFORM)  # one marked post per platform
    marked = {h["_source"]["post_id"] for h in es_client.search(
        index=f"{es_prefix}-hits", size=10)["hits"]["hits"]}
    assert {pid.split(":", 1)[0] for pid in marked} == set(PER_PLATFORM)

    calls_before = len(replays.x.calls)
    second = dag.test()
    assert str(second.state) == "success", task_states(second)
    assert second.run_id != first.run_id
    # The second run asked the platforms again, from the saved checkpoints...
    assert len(replays.x.calls) > calls_before
    assert "since_id" in replays.x.calls[-1]
    assert "since" in replays.bluesky.searches[-1]
    # ...and stored nothing new.
    assert _stored(es_client, es_prefix) == (per_platform, hits)
    for key in SECRET_KEYS:
        assert SECRETS[key] not in caplog.text
