"""The retraining state machine from infra/, executed on moto's Step Functions interpreter.

moto cannot run a Glue job, a CodeBuild build or a CodePipeline execution, so those Task states
are stubbed: each becomes a Pass state returning a canned *raw service response* (the shape
the real integration returns), followed by a Pass state that applies the original
ResultSelector/ResultPath to it. Everything else (Choice logic, intrinsic functions, Catch
routing and the real SNS publish tasks) runs as written. The point: when the quality gate says
no, nothing after it (register, build and deploy) ever runs.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "infra/modules/orchestration/templates/retraining.asl.json"
UNSUPPORTED_BY_EMULATOR = ("glue:", "codebuild:", "codepipeline:")
DEPLOY_STATES = {"PublishCandidate", "StartRelease", "PromoteChampion"}


def render(template: str, values: dict[str, str]) -> str:
    """Terraform's templatefile() for the plain `${name}` interpolations the template uses."""
    names = set(re.findall(r"\$\{([a-z_]+)\}", template))
    missing = names - values.keys()
    assert not missing, f"template variables without a value: {missing}"
    return re.sub(r"\$\{([a-z_]+)\}", lambda m: values[m.group(1)], template)


def rebase_paths(selector: Any, root: str) -> Any:
    """Point a ResultSelector's `$.x` paths at `root.x` so a Pass state can evaluate it."""
    if isinstance(selector, dict):
        return {
            key: (
                value.replace("$.", f"{root}.", 1)
                if key.endswith(".$")
                else rebase_paths(value, root)
            )
            for key, value in selector.items()
        }
    return selector


def stub_unsupported_tasks(definition: dict[str, Any], responses: dict[str, Any]) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for name, state in definition["States"].items():
        if state["Type"] == "Wait":
            # Time does not pass in tests: the wait for the release pipeline is a no-op.
            states[name] = {"Type": "Pass", "Next": state["Next"]}
            continue
        resource = state.get("Resource", "")
        if state["Type"] != "Task" or not any(s in resource for s in UNSUPPORTED_BY_EMULATOR):
            states[name] = state
            continue
        assert name in responses, f"no canned response for task {name} ({resource})"
        raw_path = f"$.stub_{name}"
        states[name] = {
            "Type": "Pass",
            "Comment": f"stub of {resource}",
            "Result": responses[name],
            "ResultPath": raw_path,
            "Next": f"{name}__select",
        }
        select: dict[str, Any] = {"Type": "Pass", "ResultPath": state.get("ResultPath", "$")}
        if "ResultSelector" in state:
            select["Parameters"] = rebase_paths(state["ResultSelector"], raw_path)
        else:
            select["InputPath"] = "$"
            select["ResultPath"] = None
        select.update({k: state[k] for k in ("Next", "End") if k in state})
        states[f"{name}__select"] = select
    return {**definition, "States": states}


def codebuild_response(build_id: str, exported: dict[str, str]) -> dict[str, Any]:
    return {
        "Build": {
            "Id": build_id,
            "BuildStatus": "SUCCEEDED",
            "ExportedEnvironmentVariables": [
                {"Name": key, "Value": value} for key, value in exported.items()
            ],
        }
    }


def run_execution(definition: dict[str, Any], name: str) -> tuple[str, list[str], dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    role = boto3.client("iam").create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "states.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"trigger": "test"}))[
        "executionArn"
    ]
    deadline = time.monotonic() + 60
    while True:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    history = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    entered = [
        event["stateEnteredEventDetails"]["name"]
        for event in history
        if "stateEnteredEventDetails" in event
    ]
    failure = next(
        (e["executionFailedEventDetails"] for e in history if "executionFailedEventDetails" in e),
        {},
    )
    return described["status"], entered, failure


@pytest.fixture
def retraining_definition(moto_stepfunctions_execution: str) -> dict[str, Any]:
    topic_arn = boto3.client("sns").create_topic(Name="credit-risk-mx-staging-alerts")["TopicArn"]
    rendered = render(
        TEMPLATE.read_text(),
        {
            "partition": "aws",
            "name_prefix": "credit-risk-mx-staging",
            "glue_job_name": "credit-risk-mx-staging-features",
            "training_project_name": "credit-risk-mx-staging-training",
            "release_pipeline_name": "credit-risk-mx-staging-release",
            "topic_arn": topic_arn,
        },
    )
    definition: dict[str, Any] = json.loads(rendered)
    return definition


def canned(gate_passed: str | None, release: str = "Succeeded") -> dict[str, Any]:
    exported = {"MODEL_VERSION": "7"}
    if gate_passed is not None:
        exported["GATE_PASSED"] = gate_passed
    published = {
        "BUNDLE_PREFIX": "s3://artifacts/bundles/credit-risk/v7-9f2c4e6a8b0d/",
        "MODEL_SHA256": "9f2c4e6a8b0d" + "0" * 52,
    }
    return {
        "RunFeaturePipeline": {"Id": "jr_0001", "JobRunState": "SUCCEEDED"},
        "TrainCandidate": codebuild_response("training:0001", exported),
        "PublishCandidate": codebuild_response("training:0002", published),
        "StartRelease": {"PipelineExecutionId": "pe-0001"},
        "CheckRelease": {
            "PipelineExecution": {"PipelineExecutionId": "pe-0001", "Status": release}
        },
        "PromoteChampion": codebuild_response("training:0003", {}),
    }


def test_gate_failure_stops_before_anything_is_deployed(
    retraining_definition: dict[str, Any],
) -> None:
    status, entered, failure = run_execution(
        stub_unsupported_tasks(retraining_definition, canned("false")), "retrain-gate-fails"
    )
    assert status == "FAILED"
    assert failure.get("error") == "QualityGateFailed"
    assert "QualityGate" in entered
    assert "NotifyGateRejected" in entered
    assert not DEPLOY_STATES & set(entered)


def test_gate_pass_publishes_releases_then_promotes(retraining_definition: dict[str, Any]) -> None:
    status, entered, _ = run_execution(
        stub_unsupported_tasks(retraining_definition, canned("true")), "retrain-gate-passes"
    )
    assert status == "SUCCEEDED"
    steps = ["QualityGate", "PublishCandidate", "StartRelease", "CheckRelease", "PromoteChampion"]
    assert [entered.index(step) for step in steps] == sorted(entered.index(s) for s in steps)
    assert entered[-1] == "Done"


def test_a_rolled_back_release_fails_the_execution_and_promotes_nothing(
    retraining_definition: dict[str, Any],
) -> None:
    status, entered, failure = run_execution(
        stub_unsupported_tasks(retraining_definition, canned("true", release="Failed")),
        "retrain-release-rolled-back",
    )
    assert status == "FAILED"
    assert failure.get("error") == "ReleaseFailed"
    assert "NotifyReleaseFailed" in entered
    assert "PromoteChampion" not in entered


def test_missing_gate_verdict_fails_closed(retraining_definition: dict[str, Any]) -> None:
    status, entered, _ = run_execution(
        stub_unsupported_tasks(retraining_definition, canned(None)), "retrain-no-verdict"
    )
    assert status == "FAILED"
    assert not DEPLOY_STATES & set(entered)
