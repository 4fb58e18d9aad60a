"""The example Grafana dashboard and the docs name only metrics the code records.

An OpenTelemetry collector's Prometheus exporter renames a metric: dots become
underscores, the unit adds a suffix (``s`` -> ``_seconds``, ``By`` -> ``_bytes``; units in
braces add none), a monotonic counter adds ``_total`` and a histogram is exposed as
``_bucket``, ``_sum`` and ``_count``. Every metric name a dashboard query uses must be one
of those names for a metric in ``METRICS``, and every metric in ``METRICS`` must be listed
in ``docs/observability.md``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from redis_oxide._telemetry import METRICS, MetricSpec

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "examples" / "grafana-dashboard.json"
DOCS = ROOT / "docs" / "observability.md"
_UNIT_SUFFIX = {"s": "_seconds", "By": "_bytes"}
_METRIC = re.compile(r"\b((?:db|redis)_client_[a-z_]+)\b")
# Where PromQL names labels, not metrics: selectors, grouping, label_values' second argument.
_LABELS = (
    re.compile(r"\{[^}]*\}"),
    re.compile(r"\bby \([^)]*\)"),
    re.compile(r",\s*\w+\)"),
)


def _metric_names(query: str) -> set[str]:
    for labels in _LABELS:
        query = labels.sub(" ", query)
    return set(_METRIC.findall(query))


def _exposed_name(spec: MetricSpec) -> str:
    """The name the docs give: a histogram's series add ``_bucket``/``_sum``/``_count``."""
    base = spec.name.replace(".", "_") + _UNIT_SUFFIX.get(spec.unit, "")
    return base + "_total" if spec.kind in ("counter", "observable_counter") else base


def _prometheus_names(spec: MetricSpec) -> set[str]:
    name = _exposed_name(spec)
    if spec.kind == "histogram":
        return {name + "_bucket", name + "_sum", name + "_count"}
    return {name}


def _queries(dashboard: dict[str, object]) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("expr", "definition") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(dashboard)
    return found


def test_every_metric_the_dashboard_queries_is_recorded_by_the_code() -> None:
    known = {name for spec in METRICS for name in _prometheus_names(spec)}
    queries = _queries(json.loads(DASHBOARD.read_text()))
    used = {name for query in queries for name in _metric_names(query)}
    assert len(queries) >= 10
    assert used - known == set()
    # The dashboard shows every metric the client records.
    assert {spec.name for spec in METRICS if _prometheus_names(spec) & used} == {
        spec.name for spec in METRICS
    }


def test_the_docs_list_every_metric_with_its_prometheus_name() -> None:
    text = DOCS.read_text()
    for spec in METRICS:
        assert f"`{spec.name}`" in text, spec.name
        assert f"`{_exposed_name(spec)}`" in text, spec.name
