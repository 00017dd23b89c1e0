"""Alarms that can fire (issue 18 item 4): every alarm on a service metric watches a metric the
code emits, under the namespace and exactly the dimension set it is emitted with, and a breaching
value published that way breaches the alarm's own statistic and comparison on the moto server.

What the code emits is read from its source (ast), never by importing it: risk-monitoring's
metric catalogue (`risk_monitoring/metrics.py`, the README's table) and the inference service's
`_add("<metric>", ...)` calls with its Powertools dimensions (`service`, `function_version`).
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from . import wiring
from .conftest import REPO
from .jobs import EMULATOR_REGION, EmulatorDeployment

MONITORING_METRICS = REPO / "risk-monitoring/src/risk_monitoring/metrics.py"
MONITORING_CONFIG = REPO / "risk-monitoring/src/risk_monitoring/config.py"
INFERENCE_METRICS = REPO / "inference-service/src/inference_service/observability.py"
INFERENCE_CONFIG = REPO / "inference-service/src/inference_service/config.py"
MODEL_NAME = "credit-risk"  # metadata.model_name of the bundles model-training publishes


def _tuple(node: ast.expr, names: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    assert isinstance(node, (ast.Tuple, ast.Name)), ast.unparse(node)
    if isinstance(node, ast.Name):
        return names[node.id]
    values: list[str] = []
    for element in node.elts:
        if isinstance(element, ast.Starred):
            values.extend(_tuple(element.value, names))
        else:
            assert isinstance(element, ast.Constant)
            values.append(str(element.value))
    return tuple(values)


def monitoring_catalogue() -> tuple[str, dict[str, set[tuple[str, ...]]], str]:
    """SERVICE, metric name -> the dimension sets it is emitted with, and the CheckAlert meaning."""
    tree = ast.parse(MONITORING_METRICS.read_text())
    names: dict[str, tuple[str, ...]] = {}
    service = ""
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
            if target == "SERVICE":
                service = str(ast.literal_eval(node.value))
            elif isinstance(node.value, ast.Tuple) and all(
                isinstance(e, (ast.Constant, ast.Starred)) for e in node.value.elts
            ):
                names[target] = _tuple(node.value, names)
    metrics: dict[str, set[tuple[str, ...]]] = {}
    check_meaning = ""
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and ast.unparse(call.func) == "MetricSpec":
            name = str(ast.literal_eval(call.args[0]))
            metrics.setdefault(name, set()).add(_tuple(call.args[2], names))
            if name == "CheckAlert":
                check_meaning = ast.unparse(call.args[3])
    assert service, "no SERVICE in risk_monitoring/metrics.py"
    assert metrics, "no catalogue found in risk_monitoring/metrics.py"
    return service, metrics, check_meaning


def field_default(path: Any, field: str) -> str:
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == field
        ):
            assert node.value is not None
            return str(ast.literal_eval(node.value))
    raise AssertionError(f"{path}: no field {field}")


def inference_metrics() -> tuple[set[str], set[str]]:
    """Metric names the inference service adds, and its dimension names (Powertools' service +
    its default dimensions)."""
    tree = ast.parse(INFERENCE_METRICS.read_text())
    metrics = {
        str(node.args[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and ast.unparse(node.func).endswith("_add")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    dimensions = {"service"} | {
        keyword.arg
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("set_default_dimensions")
        for keyword in node.keywords
        if keyword.arg
    }
    return metrics, dimensions


@pytest.fixture(scope="module")
def deployment(emulator_deployment: EmulatorDeployment) -> tuple[wiring.Deployment, str]:
    resources = wiring.resources_from_state(emulator_deployment.state)
    return wiring.Deployment(resources), emulator_deployment.endpoint


def _alarms(deployment: wiring.Deployment) -> dict[str, dict[str, Any]]:
    return {
        values["alarm_name"]: values
        for _, values in deployment.of_type("aws_cloudwatch_metric_alarm")
    }


def _function_env(deployment: wiring.Deployment, suffix: str) -> dict[str, str]:
    function = deployment.one(suffix)
    return dict(function["environment"][0]["variables"])


def test_the_catalogue_reader_follows_the_code() -> None:
    service, metrics, check_meaning = monitoring_catalogue()
    assert service == "risk-monitoring"
    assert metrics["DriftedFeatureCount"] == {("service", "ModelName")}
    assert ("service", "ModelName", "Check") in metrics["CheckAlert"]
    assert "quality" in check_meaning
    names, dimensions = inference_metrics()
    assert {"CorruptFeatureRows", "PredictionErrors", "PredictionLatency"} <= names
    assert dimensions == {"service", "function_version"}


def test_monitoring_alarms_watch_what_the_job_emits(
    deployment: tuple[wiring.Deployment, str],
) -> None:
    resources, _ = deployment
    service, metrics, check_meaning = monitoring_catalogue()
    env = _function_env(resources, "module.monitoring.aws_lambda_function.runner")
    namespace = env.get("MONITOR_METRIC_NAMESPACE") or field_default(
        MONITORING_CONFIG, "metric_namespace"
    )
    watched = {
        a["metric_name"]: a for a in _alarms(resources).values() if a.get("namespace") == namespace
    }
    # Issue 18.4: drift, served-input invariants, skew (and its absence), staleness and online
    # quality from delayed labels are each alarmed on the metric the job emits.
    assert {
        "DriftedFeatureCount",
        "InvariantViolationCount",
        "SkewMismatchRate",
        "SkewComparedRows",
        "NonFiniteCount",
        "ModelAgeDays",
        "FeatureStoreAgeDays",
        "CheckAlert",
        "OutcomeMatchedShare",
    } <= set(watched)
    assert "DriftPSIMax" not in watched  # effect size only: blind to the sample size
    for name, alarm in watched.items():
        assert name in metrics, f"{alarm['alarm_name']}: risk-monitoring emits no {name}"
        dimensions = alarm["dimensions"]
        assert tuple(sorted(dimensions)) in {tuple(sorted(d)) for d in metrics[name]}, (
            f"{alarm['alarm_name']}: {sorted(dimensions)} is not a dimension set {name} is "
            f"emitted with ({sorted(metrics[name])})"
        )
        assert dimensions["service"] == service
        assert dimensions["ModelName"] == MODEL_NAME
        if "Check" in dimensions:
            assert re.search(rf"\b{dimensions['Check']}\b", check_meaning), dimensions


def test_serving_alarms_watch_what_the_service_emits(
    deployment: tuple[wiring.Deployment, str],
) -> None:
    resources, _ = deployment
    names, dimensions = inference_metrics()
    env = _function_env(resources, "module.inference.aws_lambda_function.this")
    namespace = env.get("POWERTOOLS_METRICS_NAMESPACE") or field_default(
        INFERENCE_CONFIG, "powertools_metrics_namespace"
    )
    service = env.get("POWERTOOLS_SERVICE_NAME") or field_default(
        INFERENCE_CONFIG, "powertools_service_name"
    )
    alarms = _alarms(resources)
    plain = [a for a in alarms.values() if a.get("namespace") == namespace]
    assert {a["metric_name"] for a in plain} >= {"PredictionErrors", "PredictionLatency"}
    for alarm in plain:
        assert alarm["metric_name"] in names, alarm["alarm_name"]
        assert set(alarm["dimensions"]) == dimensions, alarm["alarm_name"]
        assert alarm["dimensions"]["service"] == service
    # Serving invariant violations: a Metrics Insights query over every function version.
    (corrupt,) = [a for a in alarms.values() if a["alarm_name"].endswith("-corrupt-feature-rows")]
    (query,) = [q for q in corrupt["metric_query"] if q["return_data"]]
    match = re.fullmatch(
        r'SELECT SUM\((\w+)\) FROM SCHEMA\("([^"]+)", ([\w, ]+)\) WHERE service = \'([^\']+)\'',
        query["expression"],
    )
    assert match, query["expression"]
    metric, schema_namespace, schema_dimensions, where_service = match.groups()
    assert metric == "CorruptFeatureRows"
    assert metric in names
    assert schema_namespace == namespace
    assert {d.strip() for d in schema_dimensions.split(",")} == dimensions
    assert where_service == service
    assert (corrupt["comparison_operator"], corrupt["threshold"]) == ("GreaterThanThreshold", 0)


def _breaching(comparison: str, threshold: float) -> float:
    return {
        "GreaterThanThreshold": threshold + 1,
        "GreaterThanOrEqualToThreshold": threshold,
        "LessThanThreshold": threshold / 2,
        "LessThanOrEqualToThreshold": threshold,
    }[comparison]


def _breaches(comparison: str, value: float, threshold: float) -> bool:
    return {
        "GreaterThanThreshold": value > threshold,
        "GreaterThanOrEqualToThreshold": value >= threshold,
        "LessThanThreshold": value < threshold,
        "LessThanOrEqualToThreshold": value <= threshold,
    }[comparison]


def test_a_breaching_value_emitted_as_the_job_emits_it_breaches_each_model_alarm(
    deployment: tuple[wiring.Deployment, str],
) -> None:
    """moto stores alarms but does not evaluate them: the test publishes the metric under the
    code's dimensions, reads it back with the alarm's own query (namespace, name, dimensions,
    period, statistic) and applies the alarm's comparison. A value on the other side does not
    breach, so the comparison's direction is checked too."""
    _, endpoint = deployment
    cloudwatch = boto3.client("cloudwatch", endpoint_url=endpoint, region_name=EMULATOR_REGION)
    service, _, _ = monitoring_catalogue()
    stored = {
        a["AlarmName"]: a
        for page in cloudwatch.get_paginator("describe_alarms").paginate()
        for a in page["MetricAlarms"]
    }
    model = [
        a
        for a in stored.values()
        if a.get("Namespace") == "CreditRisk/Monitoring"
        and {"Name": "service", "Value": service} in a["Dimensions"]
    ]
    assert len(model) >= 9, sorted(stored)
    now = datetime.now(UTC).replace(microsecond=0)
    for alarm in model:
        value = _breaching(alarm["ComparisonOperator"], alarm["Threshold"])
        cloudwatch.put_metric_data(
            Namespace=alarm["Namespace"],
            MetricData=[
                {
                    "MetricName": alarm["MetricName"],
                    "Dimensions": alarm["Dimensions"],
                    "Value": value,
                    "Timestamp": now,
                }
            ],
        )
        points = cloudwatch.get_metric_statistics(
            Namespace=alarm["Namespace"],
            MetricName=alarm["MetricName"],
            Dimensions=alarm["Dimensions"],
            StartTime=now - timedelta(seconds=alarm["Period"]),
            EndTime=now + timedelta(seconds=alarm["Period"]),
            Period=alarm["Period"],
            Statistics=[alarm["Statistic"]],
        )["Datapoints"]
        assert points, f"{alarm['AlarmName']}: its query finds no datapoint"
        observed = points[0][alarm["Statistic"]]
        assert observed == value
        assert _breaches(alarm["ComparisonOperator"], observed, alarm["Threshold"]), alarm
        healthy = {
            "GreaterThanThreshold": alarm["Threshold"],
            "GreaterThanOrEqualToThreshold": alarm["Threshold"] - 1,
            "LessThanThreshold": alarm["Threshold"],
            "LessThanOrEqualToThreshold": alarm["Threshold"] + 1,
        }[alarm["ComparisonOperator"]]
        assert not _breaches(alarm["ComparisonOperator"], healthy, alarm["Threshold"]), alarm
