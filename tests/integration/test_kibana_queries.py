"""Every saved search, dashboard panel and alert-rule query, run on the real local node over a
seeded set of hits, returns the expected count."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dashboards.crestwatch import (
    CRITICAL_OPEN,
    LOGO,
    OPEN,
    SPIKE_FACTOR,
    SPIKE_MIN_HITS,
    alert_rules,
    saved_objects,
)
from pipeline.core.config import load_config
from pipeline.core.models import Category, Severity, Status
from pipeline.core.paths import PROJECT_ROOT
from tests.factories import make_hit

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)

# (number, category, risk, status, minutes before now, reviewed)
SEED = [
    (1, Category.harassment, "critical", "new", 2, False),
    (2, Category.harassment, "critical", "acknowledged", 180, True),
    (3, Category.personal_data, "high", "new", 30, False),
    (4, Category.logo_misuse, "medium", "new", 60 * 24, False),
    (5, Category.logo_misuse, "low", "resolved", 60 * 48, True),
    (6, Category.impersonation, "critical", "resolved", 60 * 72, True),
    (7, Category.confidential, "high", "escalated", 60 * 5, True),
    (8, Category.confidential, "critical", "false_positive", 60 * 6, True),
]

EXPECTED = {
    "": 8,
    OPEN: 5,
    CRITICAL_OPEN: 2,
    "status:new": 3,
    "status:escalated": 1,
    LOGO: 2,
    "status:(escalated OR takedown_requested)": 1,
    "status:(resolved OR escalated OR takedown_requested OR false_positive)": 4,
    "review_minutes:*": 5,
}


def seeded_hits():
    hits = []
    for number, category, risk, status, minutes, reviewed in SEED:
        seen = NOW - timedelta(minutes=minutes)
        hit = make_hit(number, category=category, severity=Severity(
            "critical" if risk == "critical" else "high" if risk == "high" else "medium"),
            seen=seen)
        hit.risk = risk
        hit.status = Status(status)
        if reviewed:
            hit.review_minutes = 12.5
            hit.first_action_at = seen + timedelta(minutes=12.5)
        if category is Category.logo_misuse:
            hit.evidence.update({"image_url": f"https://evidence.example/{number}.png",
                                 "reference": "qmul/crest", "authorised": False})
        hits.append(hit)
    return hits


@pytest.fixture()
def seeded(es_store, es_client, es_prefix):
    result = es_store.upsert_hits(seeded_hits())
    assert result.ok and result.written == len(SEED)
    es_client.indices.refresh(index=f"{es_prefix}-hits")
    return es_client


def count(client, index: str, query: dict) -> int:
    return client.count(index=index, query=query)["count"]


def lucene(query: str) -> dict:
    return {"query_string": {"query": query}} if query else {"match_all": {}}


def test_every_saved_search_and_panel_query_counts_as_expected(seeded, es_prefix):
    objects = saved_objects(es_prefix)
    queries: set[str] = set()
    for obj in objects:
        attrs = obj["attributes"]
        if obj["type"] == "search":
            queries.add(json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])
                        ["query"]["query"])
        if obj["type"] == "dashboard":
            queries.add(json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])
                        ["query"]["query"])
            for panel in json.loads(attrs["panelsJSON"]):
                if panel["type"] == "lens":
                    queries.add(panel["embeddableConfig"]["attributes"]["state"]["query"]["query"])
    assert queries <= set(EXPECTED), f"add expectations for: {queries - set(EXPECTED)}"
    index = f"{es_prefix}-hits"
    for query in sorted(queries):
        assert count(seeded, index, lucene(query)) == EXPECTED[query], query


def test_panel_aggregations_run(seeded, es_prefix):
    """The terms, date histogram and median columns the panels use aggregate on the node."""
    response = seeded.search(index=f"{es_prefix}-hits", size=0, aggs={
        "risk": {"terms": {"field": "risk"}},
        "authorised": {"terms": {"field": "evidence.authorised"}},
        "reference": {"terms": {"field": "evidence.reference"}},
        "weekly": {"date_histogram": {"field": "first_seen", "calendar_interval": "week"}},
        "turnaround": {"percentiles": {"field": "review_minutes", "percents": [50]}},
    })
    aggs = response["aggregations"]
    assert {b["key"]: b["doc_count"] for b in aggs["risk"]["buckets"]} == {
        "critical": 4, "high": 2, "medium": 1, "low": 1}
    assert [b["doc_count"] for b in aggs["authorised"]["buckets"]] == [2]
    assert aggs["turnaround"]["values"]["50.0"] == pytest.approx(12.5)
    assert sum(b["doc_count"] for b in aggs["weekly"]["buckets"]) == 8


def test_new_critical_rule_matches_only_fresh_unreviewed_critical_hits(seeded, es_prefix):
    config = load_config(PROJECT_ROOT / "config" / "example.yaml")
    rule = next(r for r in alert_rules(config, es_prefix).values()
                if r["params"]["searchType"] == "esQuery")
    params = rule["params"]
    (index,) = params["index"]
    # Kibana adds the time-window filter on timeField to the rule's query at run time.
    window = {"range": {params["timeField"]: {
        "gte": (NOW - timedelta(**{"minutes": params["timeWindowSize"]})).isoformat()}}}
    query = json.loads(params["esQuery"])["query"]
    combined = {"bool": {"filter": [query, window]}}
    assert count(seeded, index, combined) == 1
    assert count(seeded, index, query) == 1  # h2 is critical but acknowledged


@pytest.mark.parametrize(("recent", "earlier", "fires"), [(12, 12, True), (4, 0, False),
                                                          (6, 24, False)])
def test_spike_rule_condition(es_store, es_client, es_prefix, recent, earlier, fires):
    """The local node has no ES|QL, so the spike rule's condition is checked through the same
    arithmetic on the same fields with Query DSL aggregations."""
    hits = [make_hit(n, seen=NOW - timedelta(minutes=5 + n)) for n in range(recent)]
    hits += [make_hit(1000 + n, seen=NOW - timedelta(hours=1, minutes=5 + n * 25))
             for n in range(earlier)]
    if hits:
        assert es_store.upsert_hits(hits).ok
    es_client.indices.refresh(index=f"{es_prefix}-hits")
    response = es_client.search(index=f"{es_prefix}-hits", size=0, query={"range": {
        "first_seen": {"gte": (NOW - timedelta(hours=13)).isoformat()}}}, aggs={
        "last_hour": {"filter": {"range": {"first_seen": {
            "gte": (NOW - timedelta(hours=1)).isoformat()}}}},
    })
    last_hour = response["aggregations"]["last_hour"]["doc_count"]
    hourly_mean = (response["hits"]["total"]["value"] - last_hour) / 12.0
    assert (last_hour >= SPIKE_MIN_HITS and last_hour > SPIKE_FACTOR * hourly_mean) is fires
