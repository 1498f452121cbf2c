"""Crestwatch's Kibana objects: data views, saved searches, the three dashboards, alert rules and
the e-mail connector, all built from the index prefix and the organisation config.

- comms "Alerts": open hits by risk, category and platform, a timeline, the latest critical hits;
- brand "Logo misuse": hits with the evidence image (URL field shown as an image), by account,
  by reference logo, authorised or not;
- analysts "Trends": weekly volumes by category, platform and risk, review turnaround, outcomes
  per detector (false-positive rate).

Queries are Lucene syntax (Elasticsearch's own `query_string`), so the test suite runs each one
on a real node and checks its counts.
"""

from __future__ import annotations

import json
from typing import Any

from dashboards.saved_objects import (
    Panel,
    bar_over_time,
    dashboard,
    data_view,
    donut,
    median_column,
    metric,
    object_id,
    saved_search,
    table,
)
from pipeline.core.config import OrgConfig

OPEN = "status:(new OR acknowledged OR escalated OR takedown_requested)"
CRITICAL_OPEN = f"risk:critical AND {OPEN}"
LOGO = "category:logo_misuse"

# The spike rule: hits first seen in the last hour above SPIKE_FACTOR times the hourly mean of
# the 12 hours before, and at least SPIKE_MIN_HITS of them.
SPIKE_FACTOR = 3
SPIKE_MIN_HITS = 5


def ids(prefix: str) -> dict[str, str]:
    names = ("hits-view", "posts-view", "search-open-critical", "search-new", "search-logo",
             "search-escalated", "dash-alerts", "dash-logo", "dash-trends", "rule-critical",
             "rule-spike", "connector-email")
    return {name: object_id("crestwatch", prefix, name) for name in names}


def saved_objects(prefix: str) -> list[dict[str, Any]]:
    """Every saved object, in an order where each object's references come before it."""
    i = ids(prefix)
    hits_view = i["hits-view"]
    formats = {
        # The brand team sees the annotated evidence image in Discover and saved searches.
        "evidence.image_url": {"id": "url", "params": {
            "type": "img", "urlTemplate": "", "labelTemplate": "", "width": 320, "height": 200}},
        "post_url": {"id": "url", "params": {"type": "a", "urlTemplate": "",
                                             "labelTemplate": "open post"}},
    }
    columns = ["risk", "category", "platform", "author_handle", "explanation", "post_url",
               "status"]
    objects = [
        data_view(hits_view, title=f"{prefix}-hits", name="Crestwatch hits",
                  time_field="first_seen", field_formats=formats),
        data_view(i["posts-view"], title=f"{prefix}-posts", name="Crestwatch posts",
                  time_field="created_at"),
        saved_search(i["search-open-critical"], title="Crestwatch: open critical hits",
                     description="Critical hits nobody has closed yet, newest first.",
                     view_id=hits_view, query=CRITICAL_OPEN, columns=columns,
                     sort_field="first_seen"),
        saved_search(i["search-new"], title="Crestwatch: new hits",
                     description="Hits waiting for a first look.", view_id=hits_view,
                     query="status:new", columns=columns, sort_field="first_seen"),
        saved_search(i["search-logo"], title="Crestwatch: logo misuse with evidence",
                     description="Logo hits with the annotated evidence image.",
                     view_id=hits_view, query=LOGO,
                     columns=["evidence.image_url", "author_handle", "evidence.reference",
                              "evidence.authorised", "score", "post_url", "status"],
                     sort_field="first_seen"),
        saved_search(i["search-escalated"], title="Crestwatch: escalated and takedowns",
                     description="Hits escalated or with a takedown requested.",
                     view_id=hits_view, query="status:(escalated OR takedown_requested)",
                     columns=columns + ["assignee"], sort_field="last_seen"),
    ]
    objects.append(dashboard(
        i["dash-alerts"], title="Crestwatch: Alerts",
        description="For the comms team: what is open, how risky, where, and the latest "
                    "critical hits.",
        view_id=hits_view, time_from="now-24h",
        panels=[
            Panel(0, 0, 12, 6, lens=metric("Open hits", OPEN)),
            Panel(12, 0, 12, 6, lens=metric("Open critical hits", CRITICAL_OPEN)),
            Panel(24, 0, 12, 6, lens=metric("New, not yet seen", "status:new")),
            Panel(36, 0, 12, 6, lens=metric("Escalated", "status:escalated")),
            Panel(0, 6, 16, 12, lens=donut("Open hits by risk", "risk", OPEN)),
            Panel(16, 6, 16, 12, lens=donut("Open hits by category", "category", OPEN)),
            Panel(32, 6, 16, 12, lens=donut("Open hits by platform", "platform", OPEN)),
            Panel(0, 18, 48, 12, lens=bar_over_time("Hits over time by category", "first_seen",
                                                    "category")),
            Panel(0, 30, 48, 16, search_id=i["search-open-critical"],
                  title="Latest critical hits"),
        ],
    ))
    objects.append(dashboard(
        i["dash-logo"], title="Crestwatch: Logo misuse",
        description="For the brand team: every logo hit with its evidence image, by account "
                    "and by reference logo.",
        view_id=hits_view, time_from="now-30d", query=LOGO,
        panels=[
            Panel(0, 0, 12, 8, lens=metric("Logo hits", LOGO)),
            Panel(12, 0, 12, 8, lens=donut("Authorised or not", "evidence.authorised", LOGO)),
            Panel(24, 0, 24, 8, lens=table("By reference logo", ["evidence.reference"], LOGO)),
            Panel(0, 8, 24, 12, lens=table("By account", ["author_handle", "platform"], LOGO)),
            Panel(24, 8, 24, 12, lens=bar_over_time("Logo hits over time", "first_seen",
                                                    "platform", LOGO)),
            Panel(0, 20, 48, 22, search_id=i["search-logo"], title="Evidence"),
        ],
    ))
    objects.append(dashboard(
        i["dash-trends"], title="Crestwatch: Trends",
        description="For analysts: weekly volumes by category, platform and risk, review "
                    "turnaround and outcomes. The weekly report (crestwatch report) has the "
                    "exact week-over-week figures.",
        view_id=hits_view, time_from="now-12w",
        panels=[
            Panel(0, 0, 24, 12, lens=bar_over_time("Weekly hits by category", "first_seen",
                                                   "category", interval="w")),
            Panel(24, 0, 24, 12, lens=bar_over_time("Weekly hits by platform", "first_seen",
                                                    "platform", interval="w")),
            Panel(0, 12, 24, 12, lens=bar_over_time("Weekly hits by risk", "first_seen", "risk",
                                                    interval="w")),
            Panel(24, 12, 24, 12, lens=table(
                "Review turnaround by category", ["category"], "review_minutes:*",
                extra={"t": median_column("review_minutes", "Median minutes to first action")})),
            Panel(0, 24, 48, 14, lens=table(
                "Outcomes by detector (false-positive rate)", ["detector", "status"],
                "status:(resolved OR escalated OR takedown_requested OR false_positive)")),
        ],
    ))
    return objects


def email_connector(config: OrgConfig, prefix: str,
                    secrets: dict[str, str] | None = None) -> dict[str, Any]:
    """The .email connector the alert rules send through; secrets are filled in at setup."""
    settings = config.notifications
    body: dict[str, Any] = {
        "name": "Crestwatch alerts e-mail",
        "connector_type_id": ".email",
        "config": {
            "from": settings.sender,
            "service": "other",
            "host": settings.smtp_host,
            "port": settings.smtp_port,
            "secure": False,  # STARTTLS on the submission port, not implicit TLS
            "hasAuth": bool(secrets),
        },
    }
    if secrets:
        body["secrets"] = secrets
    return body


def _email_action(config: OrgConfig, connector_id: str, subject: str,
                  message: str) -> dict[str, Any]:
    return {
        "group": "query matched",
        "id": connector_id,
        "params": {"to": config.notifications.recipients, "subject": subject,
                   "message": message},
        "frequency": {"summary": False, "notify_when": "onActiveAlert", "throttle": None},
    }


def critical_query() -> dict[str, Any]:
    return {"query": {"bool": {"filter": [{"term": {"risk": "critical"}},
                                          {"term": {"status": "new"}}]}}}


def spike_esql(prefix: str) -> str:
    return (
        f"FROM {prefix}-hits "
        "| WHERE first_seen >= NOW() - 13 hours "
        "| EVAL recent = CASE(first_seen >= NOW() - 1 hour, 1, 0) "
        "| STATS last_hour = SUM(recent), earlier = COUNT(*) - SUM(recent) "
        "| EVAL hourly_mean = earlier / 12.0 "
        f"| WHERE last_hour >= {SPIKE_MIN_HITS} AND last_hour > {SPIKE_FACTOR} * hourly_mean "
        "| KEEP last_hour, hourly_mean"
    )


def alert_rules(config: OrgConfig, prefix: str) -> dict[str, dict[str, Any]]:
    """Rule id -> create-rule body (POST /api/alerting/rule/{id})."""
    i = ids(prefix)
    critical = {
        "name": "Crestwatch: new critical hit",
        "rule_type_id": ".es-query",
        "consumer": "stackAlerts",
        "schedule": {"interval": "1m"},
        "tags": ["crestwatch"],
        "params": {
            "searchType": "esQuery",
            "esQuery": json.dumps(critical_query()),
            "index": [f"{prefix}-hits"],
            "timeField": "first_seen",
            "timeWindowSize": 5,
            "timeWindowUnit": "m",
            "threshold": [0],
            "thresholdComparator": ">",
            "size": 10,
            "excludeHitsFromPreviousRun": True,
        },
        "actions": [_email_action(
            config, i["connector-email"], "[Crestwatch] New critical hit",
            "{{context.hits.length}} new critical hit(s) in the last 5 minutes.\n"
            "{{#context.hits}}- {{_source.category}} by @{{_source.author_handle}} on "
            "{{_source.platform}}: {{_source.explanation}} {{_source.post_url}}\n{{/context.hits}}"
        )],
    }
    spike = {
        "name": "Crestwatch: spike in hits",
        "rule_type_id": ".es-query",
        "consumer": "stackAlerts",
        "schedule": {"interval": "10m"},
        "tags": ["crestwatch"],
        "params": {
            "searchType": "esqlQuery",
            "esqlQuery": {"esql": spike_esql(prefix)},
            "timeField": "first_seen",
            "timeWindowSize": 13,
            "timeWindowUnit": "h",
            "threshold": [0],
            "thresholdComparator": ">",
            "size": 0,
        },
        "actions": [_email_action(
            config, i["connector-email"], "[Crestwatch] Spike in hits",
            f"More than {SPIKE_FACTOR} times the usual hourly number of hits in the last hour. "
            "{{context.message}}"
        )],
    }
    return {i["rule-critical"]: critical, i["rule-spike"]: spike}
