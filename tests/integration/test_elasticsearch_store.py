"""Elasticsearch-specific behaviour on the real local node: templates, failures, 429 retries."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from unittest import mock

import pytest
from elasticsearch import Elasticsearch

from pipeline.store.elasticsearch import ElasticsearchStore
from pipeline.store.es_templates import HITS_MAPPING
from tests.factories import make_hit, make_post

pytestmark = pytest.mark.integration


def test_setup_installs_explicit_mappings(es_store, es_client, es_prefix):
    mapping = es_client.indices.get_mapping(index=f"{es_prefix}-hits")
    properties = mapping[f"{es_prefix}-hits"]["mappings"]["properties"]
    assert properties["status"] == {"type": "keyword"}
    assert properties["last_seen"] == {"type": "date"}
    assert set(HITS_MAPPING["properties"]) <= set(properties)


def test_the_work_history_index_has_its_template_and_replicas(es_client, es_prefix):
    from pipeline.store.elasticsearch import ElasticsearchStore

    store = ElasticsearchStore(es_client, prefix=f"{es_prefix}-r", replicas=1)
    store.setup()
    index = f"{es_prefix}-r-works"
    properties = es_client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    assert properties["shingle_terms"]["type"] == "keyword"
    assert properties["images"]["properties"]["descriptors"] == {"type": "binary"}
    settings = es_client.indices.get_settings(index=index)[index]["settings"]["index"]
    assert settings["number_of_replicas"] == "1"


def test_posts_and_checkpoints_refresh_less_often_and_writes_still_read_back(
        es_store, es_client, es_prefix):
    """Posts refresh every 5 s and checkpoints every 30 s, hits at the default; a store that
    refreshes on write still finds a post it wrote at once, and a checkpoint reads back by id
    before any refresh."""
    def interval(kind: str) -> str | None:
        index = f"{es_prefix}-{kind}"
        settings = es_client.indices.get_settings(index=index)[index]["settings"]["index"]
        return settings.get("refresh_interval")

    assert (interval("posts"), interval("checkpoints"), interval("hits")) == ("5s", "30s", None)
    post = make_post(987654)
    es_store.upsert_posts([post])
    found = es_client.search(index=f"{es_prefix}-posts",
                             query={"ids": {"values": [post.doc_id]}})["hits"]["hits"]
    assert [h["_id"] for h in found] == [post.doc_id]
    quiet = ElasticsearchStore(es_client, prefix=es_prefix)  # no refresh on write
    quiet.set_checkpoint("replay", "page-7")
    assert quiet.get_checkpoint("replay") == "page-7"


def test_setup_gives_indices_from_before_the_refresh_intervals_their_interval(
        es_client, es_prefix):
    prefix = f"{es_prefix}-old"
    es_client.indices.create(index=f"{prefix}-posts", settings={"refresh_interval": "1s"})
    ElasticsearchStore(es_client, prefix=prefix).setup()
    index = f"{prefix}-posts"
    settings = es_client.indices.get_settings(index=index)[index]["settings"]["index"]
    assert settings["refresh_interval"] == "5s"


def test_erasing_an_author_finds_posts_written_just_before(es_store, es_client, es_prefix):
    """An erasure right after a write that did not refresh (bulk ingest's) still deletes it."""
    quiet = ElasticsearchStore(es_client, prefix=es_prefix)
    post = make_post(987655, author_id="erase-me")
    quiet.upsert_posts([post])
    assert quiet.erase_author("x", "erase-me") == 1
    assert quiet.get_post(post.doc_id) is None


def test_setup_moves_a_work_history_recorded_as_longs_to_keyword_terms(es_client, es_prefix):
    """A history recorded before the shingles were keyword terms: its works are still found as
    originals after setup, and a second setup finds nothing left to move."""
    from pipeline.core.works import ShingleQuery
    from pipeline.store.es_templates import WORKS_MAPPING
    from tests.factories import BASE_TIME

    old = {**WORKS_MAPPING, "properties": {
        k: v for k, v in WORKS_MAPPING["properties"].items() if k != "shingle_terms"}}
    index = f"{es_prefix}-works"
    es_client.indices.create(index=index, mappings=old)
    big = 2**63 - 1
    es_client.index(index=index, id="x:1", refresh=True, document={
        "post_id": "x:1", "author": "x:a1", "handle": "@a1", "display_name": None,
        "platform": "x", "posted_at": BASE_TIME.isoformat(), "url": None, "shingle_count": 3,
        "shingles": [1, 2, big, -7], "images": []})
    store = ElasticsearchStore(es_client, prefix=es_prefix)
    store.setup()
    source = es_client.get(index=index, id="x:1")["_source"]
    assert source["shingle_terms"] == ["1", "2", str(big), "-7"] and "shingles" not in source
    assert store.shared_shingles_each([ShingleQuery([2, big, 5], BASE_TIME)]) == [{"x:1": 2}]
    assert store.shared_shingles([-7], since=BASE_TIME) == {"x:1": 1}
    with mock.patch.object(store, "_bulk") as moved:
        store.setup()
    moved.assert_not_called()


def test_setup_accepts_an_index_another_setup_created_meanwhile(es_client, es_prefix):
    """Two workers' tasks set the store up at once: the other's create lands between this
    setup's check and its own create (made certain here by a check that always says no)."""
    ElasticsearchStore(es_client, prefix=es_prefix).setup()
    racing = ElasticsearchStore(es_client, prefix=es_prefix)
    with mock.patch.object(es_client.indices, "exists", return_value=False) as exists:
        racing.setup()
    assert exists.call_count == 8  # every index was "missing" and created a second time
    assert es_client.indices.exists(index=f"{es_prefix}-works")


def test_creating_an_index_still_fails_on_other_refusals(es_store, es_prefix):
    from elasticsearch import BadRequestError

    with pytest.raises(BadRequestError) as refused:
        es_store._create_index(f"{es_prefix}-Upper")  # index names must be lower case
    assert refused.value.error == "invalid_index_name_exception"


def test_each_failed_document_is_reported_and_the_rest_written(es_store):
    good = make_hit(1)
    bad = make_hit(2)
    # A value the explicit mapping cannot take: Elasticsearch rejects this one document.
    bad.evidence["authorised"] = "perhaps"
    result = es_store.upsert_hits([good, bad, make_hit(3)])
    assert result.written == 2
    assert [doc_id for doc_id, _ in result.failed] == [bad.id]
    assert "document_parsing_exception" in result.failed[0][1]
    assert es_store.count_hits() == 2


class _Throttler(http.server.BaseHTTPRequestHandler):
    """Forwards to the real node, answering the first bulk requests with 429s as a node with a
    full write queue does: first a whole-request 429, then per-item 429s."""

    upstream = ""
    bulk_calls = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self._forward()

    def do_PUT(self) -> None:  # noqa: N802
        self._forward()

    def do_GET(self) -> None:  # noqa: N802
        self._forward()

    def do_HEAD(self) -> None:  # noqa: N802
        self._forward()

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.path.split("?")[0].endswith("/_bulk"):
            type(self).bulk_calls += 1
            if type(self).bulk_calls == 1:
                return self._reply(429, {"error": {"type": "es_rejected_execution_exception",
                                                   "reason": "rejected execution"}, "status": 429})
            if type(self).bulk_calls == 2:
                lines = [json.loads(x) for x in body.decode().splitlines() if x.strip()]
                actions = [line for line in lines if set(line) & {"index", "update", "create"}]
                items = [
                    {next(iter(a)): {"_id": a[next(iter(a))]["_id"], "status": 429,
                                     "error": {"type": "es_rejected_execution_exception",
                                               "reason": "queue full"}}}
                    for a in actions
                ]
                return self._reply(200, {"took": 1, "errors": True, "items": items})
        request = urllib.request.Request(
            self.upstream + self.path, data=body, method=self.command,
            headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
        )
        try:
            with urllib.request.urlopen(request) as response:
                self._reply(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            self._reply(error.code, error.read(), dict(error.headers))

    def _reply(self, status: int, payload, headers: dict | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def throttled_url(es_url: str) -> Iterator[str]:
    _Throttler.upstream = es_url
    _Throttler.bulk_calls = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Throttler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_429s_are_retried_until_every_document_is_written(throttled_url, es_client, es_prefix):
    client = Elasticsearch(throttled_url, request_timeout=30)
    store = ElasticsearchStore(client, prefix=es_prefix, refresh_on_write=True)
    store.setup()
    result = store.upsert_posts([make_post(n) for n in range(1, 21)])
    assert result.written == 20 and result.ok
    assert _Throttler.bulk_calls >= 3  # rejected whole, rejected per item, then accepted
    es_client.indices.refresh(index=f"{es_prefix}-posts")
    assert es_client.count(index=f"{es_prefix}-posts")["count"] == 20


def test_concurrent_review_edits_do_not_overwrite_each_other(es_store):
    hit = make_hit(1)
    es_store.upsert_hits([hit])
    es_store.update_hit(hit.id, {"assignee": "amira"}, actor="amira", action="assign")
    es_store.update_hit(hit.id, {"status": "escalated"}, actor="ben", action="escalate")
    got = es_store.get_hit(hit.id)
    assert (got.assignee, got.status.value) == ("amira", "escalated")
    assert len(es_store.audit_trail(hit.id)) == 2
