"""The store on a real three-node Elasticsearch cluster: the contract suite unchanged, every
shard with a replica on another node."""

from __future__ import annotations

import pytest

from tests.contract import test_store_contract as contract

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Every contract test, collected again in this module, where `store` is the cluster's.
globals().update({name: test for name, test in vars(contract).items()
                  if name.startswith("test_") and callable(test)})


@pytest.fixture()
def store(cluster_store):  # type: ignore[no-untyped-def]
    return cluster_store


def test_every_index_has_a_replica_on_another_node(cluster_store, cluster_client, es_prefix):
    assert cluster_store.replica_count() == 1  # chosen from the cluster's three data nodes
    cluster_client.cluster.health(index=f"{es_prefix}-*", wait_for_status="green", timeout="60s")
    shards = cluster_client.cat.shards(index=f"{es_prefix}-*", format="json")
    by_index: dict[str, list[dict[str, str]]] = {}
    for shard in shards:
        by_index.setdefault(shard["index"], []).append(shard)
    assert set(by_index) == {f"{es_prefix}-{kind}" for kind in
                             ("posts", "hits", "audit", "checkpoints", "whitelist",
                              "accounts", "official", "works")}
    for index, copies in by_index.items():
        assert sorted(c["prirep"] for c in copies) == ["p", "r"], index
        assert all(c["state"] == "STARTED" for c in copies), copies
        assert len({c["node"] for c in copies}) == 2, copies  # never both on one node
