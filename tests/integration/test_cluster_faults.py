"""Elasticsearch nodes SIGKILLed in the middle of `crestwatch run`, on real nodes.

A backfill of a few thousand posts from a JSONL file goes through the CLI into Elasticsearch;
while the bulk write of one page is in flight, a node's server process gets SIGKILL (a crash,
no shutdown). The kill is triggered from inside the run, as a chosen bulk request leaves for
the victim, so it lands in the middle of the write every time instead of when a poller happens
to look (on the development machine the node dies holding the request: the client sees the
connection reset, not refused).

- Three-node cluster (tests/integration/conftest.py): the node holding the posts index's
  primary dies; the client retries on the other nodes, the replica is promoted, the run ends
  cleanly, and every post and hit is stored exactly once.
- A lone node of this module's own (scripts/elasticsearch-cluster.sh with one node, on its own
  name and ports, never the shared development node): the run stops with an error naming the
  posts of the page that was not acknowledged, the checkpoint stays at the last acknowledged
  page, and after the node is back the rerun reads from there and completes.

The lone node's name and ports: CRESTWATCH_ES_LONE_NODE (default: the cluster's name + "-lone"),
CRESTWATCH_ES_LONE_NODE_HTTP_PORT (9309) and CRESTWATCH_ES_LONE_NODE_TRANSPORT_PORT (9409).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from detectors.registry import available
from pipeline.cli.app import app
from pipeline.run import runner
from pipeline.run.runner import RunSummary
from pipeline.store.elasticsearch import ElasticsearchStore
from tests.integration.conftest import cluster_script, drop_prefix, wait_for_green

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MARKER = "strictly confidential"
POSTS = 3000
PAGE = 100  # JsonlSource's page size: the checkpoint moves in steps of this many lines
# Each page writes its posts, then its hits: bulk request 2k + 1 is page k + 1's posts.
KILL_AT_BULK = 11  # page 6's posts, after five acknowledged pages


def write_backfill(folder: Path, *, prefix: str, es_url: str) -> tuple[Path, set[str], set[str]]:
    """A JSONL backfill and a config for it; returns the config and the post ids and the ids of
    the posts that must each have one hit (every tenth carries the confidentiality marker; only
    that cheap detector runs, the test is about the store)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines, posts, marked = [], set(), set()
    filler = "The open day programme, the library hours and the bus timetable. "
    for n in range(1, POSTS + 1):
        hit = n % 10 == 0
        text = (f"{MARKER.capitalize()}: board minutes {n}, do not share. " if hit
                else f"Post {n} about the open day. ") + filler * (1 + n % 12)
        lines.append(json.dumps({
            "platform": "x", "id": str(n), "url": f"https://x.com/someone/status/{n}",
            "created_at": f"2026-11-{1 + n % 28:02d}T10:00:00+00:00", "text": text,
            "author": {"id": f"a{n % 7}", "handle": f"user_{n % 7}"},
        }))
        posts.add(f"x:{n}")
        if hit:
            marked.add(f"x:{n}")
    source = folder / "backfill.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = {
        "organisation": {"name": "Test University", "short_name": "TU"},
        "confidential_markers": [MARKER],
        "detectors": {name: {"enabled": name == "confidential"} for name in available()},
        "store": {"backend": "elasticsearch", "index_prefix": prefix, "elasticsearch_url": es_url},
        "data_dir": str(folder / "data"),
        "sources": [{"name": "backfill", "platform": "jsonl", "path": str(source)}],
    }
    path = folder / "crestwatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path, posts, marked


@dataclass
class NodeRequest:
    node: str  # the node's URL
    target: str  # path and query, e.g. /_bulk
    error: str | None = None  # the exception's type name, when the node gave no answer
    detail: str = ""  # and its message (connection refused, or reset mid-request)
    killed_its_node: bool = False  # the request during which its node was SIGKILLed


@dataclass
class Run:
    """What one `crestwatch run` did: its exit code, output and summary, the checkpoints the
    store acknowledged, every request as each node saw it, and when the node died relative to
    the bulk call that triggered it."""
    exit_code: int
    output: str
    summary: RunSummary
    checkpoints: list[str] = field(default_factory=list)
    requests: list[NodeRequest] = field(default_factory=list)
    bulks: int = 0
    killed_at: float | None = None
    trigger_returned_at: float | None = None


def crestwatch_run(monkeypatch: pytest.MonkeyPatch, config: Path, es_url: str, *,
                   kill: Callable[[], None] | None = None, victim: str = "") -> Run:
    """`crestwatch run` in this process. With `kill`: bulk call KILL_AT_BULK is sent to the node
    at `victim` (as round robin would, some time), and `kill` runs from a thread as that request
    leaves, so the node dies while it is in flight; whatever the node does with it, the client
    must get an answer for that bulk from another node or fail the run."""
    from elastic_transport import NodePool, Urllib3HttpNode

    summaries: list[RunSummary] = []
    acknowledged: list[str] = []
    requests: list[NodeRequest] = []
    state: dict[str, Any] = {"bulks": 0, "route": False, "killed_at": None, "returned_at": None}
    real_run_pass = runner.run_pass
    real_bulk = ElasticsearchStore._bulk_results
    real_checkpoint = ElasticsearchStore.set_checkpoint
    real_get = NodePool.get
    real_request = Urllib3HttpNode.perform_request

    def run_pass(*args: Any, **kwargs: Any) -> RunSummary:
        summary = real_run_pass(*args, **kwargs)
        summaries.append(summary)
        return summary

    def bulk(self: ElasticsearchStore, actions: Any) -> Any:
        state["bulks"] += 1
        if kill is None or state["bulks"] != KILL_AT_BULK:
            return real_bulk(self, actions)
        state["route"] = True
        try:
            return real_bulk(self, actions)
        finally:
            state["returned_at"] = time.monotonic()

    def get(self: NodePool) -> Any:
        if state["route"]:
            for node in self.all():
                if str(node.base_url) == victim:
                    return node
        return real_get(self)

    def killer() -> None:
        assert kill is not None
        kill()
        state["killed_at"] = time.monotonic()

    def node_request(self: Urllib3HttpNode, method: str, target: str, *args: Any,
                     **kwargs: Any) -> Any:
        entry = NodeRequest(str(self.base_url), target)
        requests.append(entry)
        thread = None
        if state["route"]:
            state["route"] = False  # only the first try goes to the victim
            entry.killed_its_node = True
            thread = threading.Thread(target=killer)
            thread.start()
        try:
            return real_request(self, method, target, *args, **kwargs)
        except Exception as exc:
            entry.error, entry.detail = type(exc).__name__, str(exc)[:300]
            raise
        finally:
            if thread is not None:
                thread.join()

    def set_checkpoint(self: ElasticsearchStore, source: str, value: str) -> None:
        real_checkpoint(self, source, value)
        acknowledged.append(value)  # only once the store said it holds it

    with monkeypatch.context() as patch:
        patch.setattr(runner, "run_pass", run_pass)
        patch.setattr(ElasticsearchStore, "_bulk_results", bulk)
        patch.setattr(ElasticsearchStore, "set_checkpoint", set_checkpoint)
        patch.setattr(NodePool, "get", get)
        patch.setattr(Urllib3HttpNode, "perform_request", node_request)
        result = CliRunner().invoke(app, ["run", "-c", str(config), "--store", "elasticsearch",
                                          "--es-url", es_url])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert len(summaries) == 1, result.output
    return Run(result.exit_code, result.output, summaries[0], acknowledged, requests,
               state["bulks"], state["killed_at"], state["returned_at"])


def stored(client: Any, prefix: str) -> tuple[list[str], list[str], str | None]:
    """Every stored post id and the post id of every stored hit (repeats kept, so a doubled
    document would show), and the backfill's checkpoint."""
    from elasticsearch import NotFoundError, helpers

    client.indices.refresh(index=f"{prefix}-*")
    posts = [d["_id"] for d in helpers.scan(client, index=f"{prefix}-posts", _source=False)]
    hits = [d["_source"]["post_id"] for d in helpers.scan(client, index=f"{prefix}-hits",
                                                          _source=["post_id"])]
    try:
        checkpoint = client.get(index=f"{prefix}-checkpoints", id="backfill")["_source"]["value"]
    except NotFoundError:
        checkpoint = None
    return posts, hits, checkpoint


def line(doc_id: str) -> int:
    return int(doc_id.partition(":")[2])


def sigkill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


# -- three nodes --------------------------------------------------------------------------------


def primary_node(client: Any, index: str) -> str:
    [primary] = [s for s in client.cat.shards(index=index, format="json") if s["prirep"] == "p"]
    assert primary["state"] == "STARTED", primary
    return str(primary["node"])


def test_a_node_killed_mid_bulk_loses_nothing_and_doubles_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, es_cluster_urls: list[str],
    cluster_store: ElasticsearchStore, cluster_client: Any, es_prefix: str,
) -> None:
    es_url = ",".join(es_cluster_urls)
    config, posts, marked = write_backfill(tmp_path, prefix=es_prefix, es_url=es_url)
    # The indices exist before the run (with their replicas on other nodes), so the victim can
    # be the node that holds the posts primary: its death needs the replica promoted.
    wait_for_green(cluster_client, len(es_cluster_urls))
    victim = primary_node(cluster_client, f"{es_prefix}-posts")
    number = victim.rpartition("-")[2]
    pid = int(cluster_script("pid", number, timeout=60))
    victim_url = es_cluster_urls[int(number) - 1]
    try:
        run = crestwatch_run(monkeypatch, config, es_url, kill=lambda: sigkill(pid),
                             victim=victim_url)
        assert run.killed_at is not None and run.trigger_returned_at is not None
        # The bulk call that triggered the kill was still unanswered when the node died.
        assert run.trigger_returned_at > run.killed_at
        # Its request to the victim got no answer; the client sent it again, to another node,
        # which answered; nothing else went to the dead node unanswered but a few more tries.
        [trigger] = [i for i, r in enumerate(run.requests) if r.killed_its_node]
        sent, retried = run.requests[trigger], run.requests[trigger + 1]
        assert (sent.node, sent.error) == (victim_url, "ConnectionError"), sent
        assert retried.target == sent.target and sent.target.startswith("/_bulk")
        assert retried.node != victim_url and retried.error is None
        later = run.requests[trigger + 1:]
        assert all(r.error in (None, "ConnectionError") for r in later)
        assert all(r.node == victim_url for r in later if r.error)
        assert run.exit_code == 0, run.output
        assert run.summary.errors == [] and run.summary.quarantined == 0, run.output
        assert run.summary.posts_read == POSTS and run.summary.posts_stored == POSTS
        assert run.summary.hits_written == len(marked)
        assert run.bulks == 2 * POSTS // PAGE  # nothing written twice by the runner itself
        assert run.checkpoints == [str(n) for n in range(PAGE, POSTS + 1, PAGE)]
        # The replica took over: the posts primary now lives on a surviving node.
        assert primary_node(cluster_client, f"{es_prefix}-posts") != victim
        post_ids, hit_posts, checkpoint = stored(cluster_client, es_prefix)
        assert len(post_ids) == POSTS and set(post_ids) == posts  # none lost, none doubled
        assert len(hit_posts) == len(marked) and set(hit_posts) == marked
        assert checkpoint == str(POSTS)
    finally:
        cluster_script("kill-node", number, timeout=120)  # the launcher too, if it lingers
        cluster_script("start-node", number)
        wait_for_green(cluster_client, len(es_cluster_urls))
    # Back with three nodes, the restarted node's stale copies were replaced: still the same.
    post_ids, hit_posts, _ = stored(cluster_client, es_prefix)
    assert sorted(post_ids) == sorted(posts) and sorted(hit_posts) == sorted(marked)


# -- one node -----------------------------------------------------------------------------------


def lone_node_env() -> dict[str, str]:
    cluster = os.environ.get("CRESTWATCH_ES_CLUSTER", "cluster")
    return {
        "CRESTWATCH_ES_CLUSTER": os.environ.get("CRESTWATCH_ES_LONE_NODE", f"{cluster}-lone"),
        "CRESTWATCH_ES_CLUSTER_NODES": "1",
        "CRESTWATCH_ES_CLUSTER_HTTP_PORT": os.environ.get("CRESTWATCH_ES_LONE_NODE_HTTP_PORT",
                                                          "9309"),
        "CRESTWATCH_ES_CLUSTER_TRANSPORT_PORT": os.environ.get(
            "CRESTWATCH_ES_LONE_NODE_TRANSPORT_PORT", "9409"),
    }


@pytest.fixture(scope="module")
def lone_node() -> Iterator[str]:
    """A single Elasticsearch node for this module alone, started here and stopped (its data
    deleted) at the end, so killing it disturbs nobody."""
    env = lone_node_env()
    url = cluster_script("start", env=env)
    try:
        yield url
    finally:
        cluster_script("stop", timeout=120, env=env)


def test_the_only_node_killed_mid_run_stops_the_run_and_the_rerun_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lone_node: str, es_prefix: str,
) -> None:
    from elasticsearch import Elasticsearch

    env = lone_node_env()
    config, posts, marked = write_backfill(tmp_path, prefix=es_prefix, es_url=lone_node)
    pid = int(cluster_script("pid", "1", timeout=60, env=env))
    client = Elasticsearch(lone_node, request_timeout=60)
    try:
        run = crestwatch_run(monkeypatch, config, lone_node, kill=lambda: sigkill(pid),
                             victim=lone_node)
        assert run.killed_at is not None and run.trigger_returned_at is not None
        assert run.trigger_returned_at > run.killed_at
        [trigger] = [r for r in run.requests if r.killed_its_node]
        assert trigger.target.startswith("/_bulk") and trigger.error == "ConnectionError", trigger
        assert run.exit_code == 1
        acknowledged = [str(n) for n in range(PAGE, PAGE * (KILL_AT_BULK // 2) + 1, PAGE)]
        assert run.checkpoints == acknowledged  # five pages, then the write that failed
        last = int(acknowledged[-1])
        # One error for the source, on one line, naming the node, the reason and the posts of
        # the page that was not acknowledged, and where the next run starts.
        [error] = [e for e in run.summary.errors if e.startswith("backfill:")]
        assert "\n" not in error
        assert f"{lone_node.removeprefix('http://')}" in error
        assert "unreachable while writing a bulk request" in error
        assert f"page {last // PAGE + 1} not acknowledged ({PAGE} posts: x:{last + 1}, " in error
        assert f"x:{last + PAGE})" in error
        assert f"the checkpoint stays at '{last}'" in error
        assert f"x:{last + 1}" in run.output and f"x:{last + PAGE}" in run.output
        assert run.summary.sources["backfill"].startswith(f"stopped at page {last // PAGE + 1}")

        cluster_script("kill-node", "1", timeout=120, env=env)
        cluster_script("start-node", "1", env=env)
        post_ids, hit_posts, checkpoint = stored(client, es_prefix)
        assert checkpoint == str(last)  # the acknowledged checkpoint survived the crash
        # Everything acknowledged is there; of the page in flight, at most its own posts.
        assert {p for p in posts if line(p) <= last} <= set(post_ids)
        assert all(line(p) <= last + PAGE for p in post_ids)
        assert len(post_ids) == len(set(post_ids))

        rerun = crestwatch_run(monkeypatch, config, lone_node)
        assert rerun.exit_code == 0, rerun.output
        assert rerun.summary.errors == [] and rerun.summary.quarantined == 0
        assert rerun.summary.posts_read == POSTS - last  # it resumed at the checkpoint
        assert rerun.checkpoints == [str(n) for n in range(last + PAGE, POSTS + 1, PAGE)]
        post_ids, hit_posts, checkpoint = stored(client, es_prefix)
        assert len(post_ids) == POSTS and set(post_ids) == posts  # none lost, none doubled
        assert len(hit_posts) == len(marked) and set(hit_posts) == marked
        assert checkpoint == str(POSTS)
    finally:
        try:
            cluster_script("start-node", "1", env=env)  # nothing to do unless a step failed
            drop_prefix(client, es_prefix)
        finally:
            client.close()
