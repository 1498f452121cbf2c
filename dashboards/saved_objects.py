"""Builders for Kibana 9 saved objects in the import/export wire format.

A data view, a saved search, a dashboard of by-value Lens panels: each is a dict that becomes one
NDJSON line. The wire format's quirks are kept in one place: `panelsJSON`, `optionsJSON`,
`searchSourceJSON` and the data view's field maps are strings holding JSON; a by-value Lens
panel's link to its data view lives in the dashboard's `references` under
`<panelIndex>:indexpattern-datasource-layer-<layerId>`; the grid is 48 columns wide.

Ids are UUIDs derived from names, so building twice gives the same objects and importing with
`overwrite=true` updates them in place instead of adding copies.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

# Versions no newer than what Kibana 9.0 writes, so the import works on every 9.x.
CORE_MIGRATION_VERSION = "8.8.0"
TYPE_MIGRATION_VERSION = {"index-pattern": "8.0.0", "search": "10.5.0", "dashboard": "10.3.0"}
GRID_COLUMNS = 48
_NAMESPACE = uuid.UUID("6f1c6c4e-1d1b-4a53-9d36-2f0f4b8f3c11")


def object_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, ":".join(parts)))


def _saved_object(kind: str, oid: str, attributes: dict[str, Any],
                  references: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "id": oid,
        "type": kind,
        "attributes": attributes,
        "references": references,
        "coreMigrationVersion": CORE_MIGRATION_VERSION,
        "typeMigrationVersion": TYPE_MIGRATION_VERSION[kind],
        "managed": False,
    }


def data_view(oid: str, *, title: str, name: str, time_field: str,
              field_formats: dict[str, Any] | None = None) -> dict[str, Any]:
    return _saved_object("index-pattern", oid, {
        "title": title,
        "name": name,
        "timeFieldName": time_field,
        "allowHidden": False,
        "fields": "[]",
        "fieldAttrs": "{}",
        "fieldFormatMap": json.dumps(field_formats or {}),
        "runtimeFieldMap": "{}",
        "sourceFilters": "[]",
    }, [])


def lucene(query: str) -> dict[str, str]:
    # Lucene syntax rather than KQL: Elasticsearch runs it natively (query_string), so the tests
    # execute exactly the query Kibana will send.
    return {"query": query, "language": "lucene"}


def saved_search(oid: str, *, title: str, description: str, view_id: str, query: str,
                 columns: list[str], sort_field: str) -> dict[str, Any]:
    source = {"query": lucene(query), "filter": [],
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return _saved_object("search", oid, {
        "title": title,
        "description": description,
        "columns": columns,
        "sort": [[sort_field, "desc"]],
        "isTextBasedQuery": False,
        "hideChart": False,
        "grid": {},
        "timeRestore": False,
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)},
    }, [{"id": view_id, "name": "kibanaSavedObjectMeta.searchSourceJSON.index",
         "type": "index-pattern"}])


# -- Lens columns -----------------------------------------------------------------------------


def count_column(label: str = "Hits") -> dict[str, Any]:
    return {"label": label, "dataType": "number", "operationType": "count", "isBucketed": False,
            "sourceField": "___records___", "params": {"emptyAsNull": False},
            "customLabel": True}


def terms_column(field_name: str, *, size: int = 10, order_by: str | None = None,
                 label: str | None = None) -> dict[str, Any]:
    order = ({"type": "column", "columnId": order_by} if order_by
             else {"type": "alphabetical", "fallback": True})
    return {"label": label or f"Top {size} values of {field_name}", "dataType": "string",
            "operationType": "terms", "sourceField": field_name, "isBucketed": True,
            "customLabel": label is not None,
            "params": {"size": size, "orderBy": order, "orderDirection": "desc",
                       "otherBucket": True, "missingBucket": False,
                       "parentFormat": {"id": "terms"}, "include": [], "exclude": [],
                       "includeIsRegex": False, "excludeIsRegex": False}}


def date_column(field_name: str, *, interval: str = "auto") -> dict[str, Any]:
    return {"label": field_name, "dataType": "date", "operationType": "date_histogram",
            "sourceField": field_name, "isBucketed": True,
            "params": {"interval": interval, "includeEmptyRows": True, "dropPartials": False}}


def median_column(field_name: str, label: str) -> dict[str, Any]:
    return {"label": label, "dataType": "number", "operationType": "median",
            "sourceField": field_name, "isBucketed": False, "customLabel": True,
            "params": {"emptyAsNull": True}}


@dataclass
class Lens:
    """One by-value Lens panel: its columns, its chart and its own query."""

    title: str
    chart: str  # lnsMetric, lnsXY, lnsPie, lnsDatatable
    columns: dict[str, dict[str, Any]]  # column id -> column, in display order
    visualization: dict[str, Any]
    query: str = ""  # Lucene, on top of the dashboard's time range

    def state(self, view_id: str, layer_id: str) -> dict[str, Any]:
        return {
            "visualization": {**self.visualization, "layerId": layer_id, "layerType": "data"}
            if self.chart in ("lnsMetric", "lnsDatatable")
            else self._layered_visualization(layer_id),
            "query": lucene(self.query),
            "filters": [],
            "datasourceStates": {"formBased": {"layers": {layer_id: {
                "columns": self.columns,
                "columnOrder": list(self.columns),
                "incompleteColumns": {},
                "sampling": 1,
                "indexPatternId": view_id,
            }}}},
            "internalReferences": [],
            "adHocDataViews": {},
        }

    def _layered_visualization(self, layer_id: str) -> dict[str, Any]:
        visualization = json.loads(json.dumps(self.visualization))
        for layer in visualization.get("layers", []):
            layer["layerId"] = layer_id
            layer["layerType"] = "data"
        return visualization


def metric(title: str, query: str = "") -> Lens:
    return Lens(title, "lnsMetric", {"m": count_column(title)},
                {"metricAccessor": "m"}, query)


def bar_over_time(title: str, time_field: str, split_field: str | None = None,
                  query: str = "", interval: str = "auto") -> Lens:
    columns = {"x": date_column(time_field, interval=interval), "y": count_column()}
    layer: dict[str, Any] = {"accessors": ["y"], "xAccessor": "x", "seriesType": "bar_stacked",
                             "position": "top", "showGridlines": False}
    if split_field:
        columns = {"x": columns["x"], "s": terms_column(split_field, order_by="y"),
                   "y": columns["y"]}
        layer["splitAccessor"] = "s"
    return Lens(title, "lnsXY", columns, {
        "legend": {"isVisible": True, "position": "right"},
        "valueLabels": "hide", "preferredSeriesType": "bar_stacked", "layers": [layer],
    }, query)


def donut(title: str, field_name: str, query: str = "") -> Lens:
    return Lens(title, "lnsPie", {"g": terms_column(field_name, order_by="c"),
                                  "c": count_column()}, {
        "shape": "donut",
        "layers": [{"primaryGroups": ["g"], "metrics": ["c"], "numberDisplay": "value",
                    "categoryDisplay": "default", "legendDisplay": "default",
                    "nestedLegend": False}],
    }, query)


def table(title: str, group_fields: list[str], query: str = "",
          extra: dict[str, dict[str, Any]] | None = None) -> Lens:
    columns = {f"g{i}": terms_column(f, size=20, order_by="c")
               for i, f in enumerate(group_fields)}
    columns["c"] = count_column()
    columns.update(extra or {})
    return Lens(title, "lnsDatatable", columns, {
        "columns": [{"columnId": c, "isTransposed": False} for c in columns],
    }, query)


@dataclass
class Panel:
    x: int
    y: int
    w: int
    h: int
    lens: Lens | None = None
    search_id: str | None = None  # a saved search shown by reference
    markdown: str | None = None
    title: str | None = None


def dashboard(oid: str, *, title: str, description: str, view_id: str, panels: list[Panel],
              time_from: str = "now-7d", query: str = "") -> dict[str, Any]:
    panel_json: list[dict[str, Any]] = []
    references: list[dict[str, str]] = []
    for number, panel in enumerate(panels):
        index = object_id(oid, "panel", str(number))
        if panel.x + panel.w > GRID_COLUMNS:
            raise ValueError(f"panel {number} of {title!r} is wider than the 48-column grid")
        entry: dict[str, Any] = {
            "panelIndex": index,
            "gridData": {"x": panel.x, "y": panel.y, "w": panel.w, "h": panel.h, "i": index},
        }
        if panel.lens is not None:
            layer = object_id(oid, "layer", str(number))
            ref_name = f"indexpattern-datasource-layer-{layer}"
            entry["type"] = "lens"
            entry["embeddableConfig"] = {
                "title": panel.lens.title,
                "enhancements": {"dynamicActions": {"events": []}},
                "syncColors": False, "syncCursor": True, "syncTooltips": False,
                "filters": [], "query": lucene(panel.lens.query),
                "attributes": {
                    "title": panel.lens.title,
                    "visualizationType": panel.lens.chart,
                    "type": "lens",
                    "references": [{"type": "index-pattern", "id": view_id, "name": ref_name}],
                    "state": panel.lens.state(view_id, layer),
                },
            }
            references.append({"type": "index-pattern", "id": view_id,
                               "name": f"{index}:{ref_name}"})
        elif panel.search_id is not None:
            entry["type"] = "search"
            entry["panelRefName"] = f"panel_{index}"
            entry["embeddableConfig"] = {"title": panel.title} if panel.title else {}
            references.append({"type": "search", "id": panel.search_id,
                               "name": f"{index}:panel_{index}"})
        elif panel.markdown is not None:
            entry["type"] = "visualization"
            entry["embeddableConfig"] = {
                "enhancements": {"dynamicActions": {"events": []}},
                "savedVis": {
                    "title": panel.title or "", "description": "", "type": "markdown",
                    "params": {"fontSize": 12, "openLinksInNewTab": True,
                               "markdown": panel.markdown},
                    "uiState": {},
                    "data": {"aggs": [], "searchSource": {"query": lucene(""), "filter": []}},
                },
            }
        else:
            raise ValueError(f"panel {number} of {title!r} shows nothing")
        panel_json.append(entry)
    return _saved_object("dashboard", oid, {
        "title": title,
        "description": description,
        "panelsJSON": json.dumps(panel_json),
        "optionsJSON": json.dumps({"useMargins": True, "syncColors": False, "syncCursor": True,
                                   "syncTooltips": False, "hidePanelTitles": False}),
        "timeRestore": True,
        "timeFrom": time_from,
        "timeTo": "now",
        "refreshInterval": {"pause": False, "value": 60_000},
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
            {"query": lucene(query), "filter": []})},
        "version": 3,
    }, references)


def to_ndjson(objects: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in objects)
