"""The generated Kibana objects: well-formed, self-consistent, and only using mapped fields."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dashboards.crestwatch import alert_rules, email_connector, saved_objects
from dashboards.saved_objects import GRID_COLUMNS, to_ndjson
from pipeline.core.paths import PROJECT_ROOT
from pipeline.store.es_templates import HITS_MAPPING, POSTS_MAPPING
from tests.conftest import SHARED

PREFIX = "crestwatch"


def mapped_fields(mapping: dict, path: str = "") -> set[str]:
    fields = set()
    for name, spec in mapping.get("properties", {}).items():
        full = f"{path}{name}"
        if "properties" in spec:
            fields |= mapped_fields(spec, f"{full}.")
        else:
            fields.add(full)
        for sub in spec.get("fields", {}):
            fields.add(f"{full}.{sub}")
    return fields


HIT_FIELDS = mapped_fields(HITS_MAPPING)


def lucene_fields(query: str) -> set[str]:
    return set(re.findall(r"([A-Za-z_][\w.]*):", query))


def panels(objects):
    for obj in objects:
        if obj["type"] == "dashboard":
            for panel in json.loads(obj["attributes"]["panelsJSON"]):
                yield obj, panel


def test_export_files_are_up_to_date(example_config, tmp_path: Path):
    from pipeline.cli.app import app

    result = CliRunner().invoke(app, ["dashboards", "export", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in ("saved_objects.ndjson", "rules.json", "connector.json"):
        committed = PROJECT_ROOT / "dashboards" / "export" / name
        assert committed.read_text() == (tmp_path / name).read_text(), (
            f"dashboards/export/{name} is stale: run `crestwatch dashboards export`")


def test_ndjson_parses_and_every_reference_resolves():
    objects = [json.loads(line) for line in to_ndjson(saved_objects(PREFIX)).splitlines()]
    by_id = {(o["type"], o["id"]) for o in objects}
    assert len(by_id) == len(objects)
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in by_id, (obj["attributes"]["title"], ref)
    titles = {o["attributes"]["title"] for o in objects if o["type"] == "dashboard"}
    assert titles == {"Crestwatch: Alerts", "Crestwatch: Logo misuse", "Crestwatch: Trends"}


def test_panels_fit_the_grid_and_link_to_their_references():
    objects = saved_objects(PREFIX)
    for dash, panel in panels(objects):
        grid = panel["gridData"]
        assert grid["i"] == panel["panelIndex"]
        assert grid["x"] + grid["w"] <= GRID_COLUMNS
        names = {r["name"] for r in dash["references"]}
        if panel["type"] == "lens":
            state = panel["embeddableConfig"]["attributes"]["state"]
            (layer_id,) = state["datasourceStates"]["formBased"]["layers"]
            assert f"{panel['panelIndex']}:indexpattern-datasource-layer-{layer_id}" in names
        elif panel["type"] == "search":
            assert f"{panel['panelIndex']}:{panel['panelRefName']}" in names


def test_every_field_used_exists_in_the_index_template():
    objects = saved_objects(PREFIX)
    used: set[str] = set()
    for obj in objects:
        attrs = obj["attributes"]
        if obj["type"] == "search":
            used |= set(attrs["columns"]) | {s[0] for s in attrs["sort"]}
            used |= lucene_fields(json.loads(
                attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"])
        if obj["type"] == "index-pattern" and attrs["title"].endswith("-hits"):
            used |= set(json.loads(attrs["fieldFormatMap"])) | {attrs["timeFieldName"]}
        if obj["type"] == "index-pattern" and attrs["title"].endswith("-posts"):
            assert attrs["timeFieldName"] in mapped_fields(POSTS_MAPPING)
    for _, panel in panels(objects):
        if panel["type"] != "lens":
            continue
        state = panel["embeddableConfig"]["attributes"]["state"]
        used |= lucene_fields(state["query"]["query"])
        for layer in state["datasourceStates"]["formBased"]["layers"].values():
            used |= {c["sourceField"] for c in layer["columns"].values()
                     if c["sourceField"] != "___records___"}
    for rule in alert_rules(_config(), PREFIX).values():
        params = rule["params"]
        used.add(params["timeField"])
        if params["searchType"] == "esQuery":
            used |= set(re.findall(r'"term": \{"([\w.]+)"', params["esQuery"]))
        else:
            esql = params["esqlQuery"]["esql"]
            used |= {f for f in ("first_seen",) if f in esql}
    missing = used - HIT_FIELDS
    assert not missing, f"fields not in the hits template: {sorted(missing)}"
    assert {"risk", "status", "category", "evidence.image_url", "review_minutes"} <= used


def _config():
    from pipeline.core.config import load_config

    return load_config(PROJECT_ROOT / "config" / "example.yaml")


def test_rules_send_to_the_configured_recipients():
    config = _config()
    for rule in alert_rules(config, PREFIX).values():
        (action,) = rule["actions"]
        assert action["params"]["to"] == config.notifications.recipients
        assert action["group"] == "query matched"
    connector = email_connector(config, PREFIX, {"user": "u", "password": "p"})
    assert connector["config"]["from"] == config.notifications.sender
    assert connector["config"]["hasAuth"] is True


# -- conformance with Kibana's published formats, where the reference folder is present -------

SCHEMAS = SHARED / "reference" / "kibana" / "schemas"
CASES = []
if SCHEMAS.is_dir():
    CASES = ["saved_object_lines", "dashboard_panels", "rule_params", "rule_bodies", "connector"]


# Defined only where the reference folder exists (beside the checkout, in CI): on a user's
# machine there is nothing to check against, and no test is collected rather than skipped.
if CASES:

    @pytest.mark.parametrize("case", CASES)
    def test_conformance_with_kibana_reference_schemas(case):
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource

        def validator(name: str, pointer: str = "") -> Draft202012Validator:
            schema = json.loads((SCHEMAS / name).read_text())
            if not pointer:
                return Draft202012Validator(schema)
            registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
            return Draft202012Validator({"$ref": f"{schema['$id']}{pointer}"}, registry=registry)

        config = _config()
        objects = saved_objects(PREFIX)
        if case == "saved_object_lines":
            items = objects
            check = validator("saved_object_ndjson_line.schema.json")
        elif case == "dashboard_panels":
            items = [panel for _, panel in panels(objects)]
            check = validator("saved_object_ndjson_line.schema.json", "#/$defs/dashboard_panel")
        elif case == "rule_params":
            items = [rule["params"] for rule in alert_rules(config, PREFIX).values()]
            check = validator("es_query_rule_params.schema.json")
        elif case == "rule_bodies":
            items = list(alert_rules(config, PREFIX).values())
            check = validator("alerting_create_rule_request.schema.json")
        else:
            items = [email_connector(config, PREFIX, {"user": "u", "password": "p"})]
            check = validator("connector_create_email_request.schema.json")
        for item in items:
            errors = sorted(check.iter_errors(item), key=str)
            assert not errors, f"{case}: {errors[0].message} at {list(errors[0].absolute_path)}"
