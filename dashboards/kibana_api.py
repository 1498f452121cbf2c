"""Installs Crestwatch's objects into Kibana through its saved-objects, connectors and alerting
APIs.

Order matters and stops early: saved objects are imported first (`overwrite=true`, so a rerun
updates); only when Kibana reports every object imported are the connector and the rules
created or updated. A refused import therefore leaves no rules pointing at missing data views.
Credentials: CRESTWATCH_KIBANA_API_KEY, or CRESTWATCH_KIBANA_USER + CRESTWATCH_KIBANA_PASSWORD.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from dashboards.crestwatch import alert_rules, email_connector, ids, saved_objects
from dashboards.saved_objects import to_ndjson
from pipeline.core.config import OrgConfig

log = logging.getLogger(__name__)


class KibanaError(RuntimeError):
    pass


@dataclass
class InstallReport:
    imported: int = 0
    connector: str | None = None  # "created", "updated" or why it was skipped
    rules: dict[str, str] = field(default_factory=dict)  # rule name -> created/updated


class KibanaClient:
    def __init__(self, url: str, *, space: str | None = None, timeout: float = 30.0) -> None:
        from pipeline.core.http import new_session

        self.base = url.rstrip("/") + (f"/s/{space}" if space else "")
        self.session = new_session()
        self.timeout = timeout
        # Every write needs kbn-xsrf; Kibana refuses it without.
        self.session.headers["kbn-xsrf"] = "true"
        if api_key := os.environ.get("CRESTWATCH_KIBANA_API_KEY"):
            self.session.headers["Authorization"] = f"ApiKey {api_key}"
        elif user := os.environ.get("CRESTWATCH_KIBANA_USER"):
            self.session.auth = (user, os.environ.get("CRESTWATCH_KIBANA_PASSWORD", ""))

    def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        response = self.session.request(method, self.base + path, timeout=self.timeout, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = response.text[:500]
        if response.status_code in (401, 403):
            raise KibanaError(f"{method} {path}: Kibana refused the credentials "
                              f"(HTTP {response.status_code})")
        return response.status_code, body

    def import_saved_objects(self, ndjson: str) -> int:
        status, body = self._call(
            "POST", "/api/saved_objects/_import", params={"overwrite": "true"},
            files={"file": ("crestwatch.ndjson", ndjson.encode(), "application/ndjson")},
        )
        # HTTP 200 with success:false is a failed import: read the per-object errors.
        if status != 200 or not isinstance(body, dict) or not body.get("success"):
            raise KibanaError(f"saved-objects import failed (HTTP {status}): "
                              f"{_describe_import_errors(body)}")
        return int(body.get("successCount", 0))

    def upsert_connector(self, connector_id: str, body: dict[str, Any]) -> str:
        status, _ = self._call("GET", f"/api/actions/connector/{connector_id}")
        if status == 404:
            status, answer = self._call("POST", f"/api/actions/connector/{connector_id}",
                                        json=body)
            outcome = "created"
        else:
            update = {k: v for k, v in body.items() if k != "connector_type_id"}
            status, answer = self._call("PUT", f"/api/actions/connector/{connector_id}",
                                        json=update)
            outcome = "updated"
        if status >= 300:
            raise KibanaError(f"connector {connector_id}: HTTP {status}: {_message(answer)}")
        return outcome

    def upsert_rule(self, rule_id: str, body: dict[str, Any]) -> str:
        status, _ = self._call("GET", f"/api/alerting/rule/{rule_id}")
        if status == 404:
            status, answer = self._call("POST", f"/api/alerting/rule/{rule_id}", json=body)
            outcome = "created"
        else:
            # An update may not change the rule type or the consumer.
            update = {k: v for k, v in body.items() if k not in ("rule_type_id", "consumer")}
            status, answer = self._call("PUT", f"/api/alerting/rule/{rule_id}", json=update)
            outcome = "updated"
        if status >= 300:
            raise KibanaError(f"rule {body['name']!r}: HTTP {status}: {_message(answer)}")
        return outcome


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or json.dumps(body)[:300])
    return str(body)[:300]


def _describe_import_errors(body: Any) -> str:
    if not isinstance(body, dict):
        return _message(body)
    errors = body.get("errors") or []
    if not errors:
        return _message(body)
    return "; ".join(
        f"{e.get('type')} {e.get('id')} ({e.get('meta', {}).get('title', '')}): "
        f"{e.get('error', {}).get('type')}" for e in errors
    )


def smtp_secrets_from_env() -> dict[str, str] | None:
    user = os.environ.get("CRESTWATCH_SMTP_USER")
    return {"user": user, "password": os.environ.get("CRESTWATCH_SMTP_PASSWORD", "")} \
        if user else None


def install(config: OrgConfig, kibana_url: str, *, space: str | None = None) -> InstallReport:
    prefix = config.store.index_prefix
    client = KibanaClient(kibana_url, space=space)
    report = InstallReport()
    report.imported = client.import_saved_objects(to_ndjson(saved_objects(prefix)))
    if not config.notifications.recipients:
        report.connector = "skipped: notifications.recipients is empty"
        rules = {}
    else:
        report.connector = client.upsert_connector(
            ids(prefix)["connector-email"],
            email_connector(config, prefix, smtp_secrets_from_env()),
        )
        rules = alert_rules(config, prefix)
    for rule_id, body in rules.items():
        report.rules[body["name"]] = client.upsert_rule(rule_id, body)
    return report
