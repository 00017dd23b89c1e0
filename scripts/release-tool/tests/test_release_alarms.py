"""Pointing the deployment group's per-version alarms at the version being released."""

from __future__ import annotations

import pytest
from conftest import CANARY_ALARMS, MODEL_ALARM, Market

from release_tool.alarms import CanaryAlarms
from release_tool.errors import RefusedError

LATENCY = "credit-risk-mx-staging-canary-latency-p99"


def add_metric_math_alarm(market: Market) -> None:
    """A p99 over the EMF latency of one version and model (metric math form)."""
    dimensions = [
        {"Name": "service", "Value": "inference-service"},
        {"Name": "function_version", "Value": "1"},
        {"Name": "model_version", "Value": "1"},
    ]
    market.cloudwatch.put_metric_alarm(
        AlarmName=LATENCY,
        AlarmDescription="canary p99",
        Metrics=[
            {
                "Id": "latency",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "CreditRisk",
                        "MetricName": "PredictionLatency",
                        "Dimensions": dimensions,
                    },
                    "Period": 60,
                    "Stat": "p99",
                },
                "ReturnData": True,
            }
        ],
        EvaluationPeriods=3,
        DatapointsToAlarm=2,
        Threshold=300.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    market.set_alarm(LATENCY, "ALARM")


def test_point_at_rewrites_version_and_model_dimensions_and_keeps_the_rest(
    market: Market,
) -> None:
    add_metric_math_alarm(market)
    alarms = CanaryAlarms(market.cloudwatch, [*CANARY_ALARMS, LATENCY, MODEL_ALARM])

    changed = alarms.point_at("7", "12")

    assert changed == sorted([*CANARY_ALARMS, LATENCY])  # the model alarm has no version
    assert market.alarm_dimensions(CANARY_ALARMS[0]) == {
        "FunctionName": "credit-risk-mx-staging-inference",
        "Resource": "credit-risk-mx-staging-inference:live",
        "ExecutedVersion": "7",
    }
    (latency,) = market.cloudwatch.describe_alarms(AlarmNames=[LATENCY])["MetricAlarms"]
    metric = latency["Metrics"][0]["MetricStat"]["Metric"]
    assert {d["Name"]: d["Value"] for d in metric["Dimensions"]} == {
        "service": "inference-service",
        "function_version": "7",
        "model_version": "12",
    }
    assert (latency["Threshold"], latency["DatapointsToAlarm"]) == (300.0, 2)
    # The old version's verdict does not carry over to the new one.
    assert latency["StateValue"] == "INSUFFICIENT_DATA"
    states = {state.name: state for state in alarms.states()}
    assert states[MODEL_ALARM].state == "ALARM"
    assert states[LATENCY].watches_version == "7"


def test_a_missing_alarm_is_refused(market: Market) -> None:
    with pytest.raises(RefusedError, match="not found in CloudWatch: nope"):
        CanaryAlarms(market.cloudwatch, [CANARY_ALARMS[0], "nope"]).states()
