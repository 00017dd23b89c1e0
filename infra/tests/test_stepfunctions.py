"""The retraining state machine: valid ASL (asl-validator + our graph checks), references only
states and resources that exist, and a failed quality gate can never reach a deploy step."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from . import asl
from .conftest import MODULES, REPO, tool_missing
from .test_hcl_conventions import data_sources, parse

TEMPLATE = MODULES / "orchestration/templates/retraining.asl.json"
ASL_VALIDATOR = Path(
    __import__("os").environ.get(
        "ASL_VALIDATOR", str(REPO / ".venv-checkov/node/node_modules/.bin/asl-validator")
    )
)
SAMPLE = {
    "partition": "aws",
    "name_prefix": "credit-risk-mx-staging",
    "glue_job_name": "credit-risk-mx-staging-feature-pipeline",
    "training_project_name": "credit-risk-mx-staging-training",
    "release_pipeline_name": "credit-risk-mx-staging-release",
    "topic_arn": "arn:aws:sns:us-east-1:123456789012:credit-risk-mx-staging-alarms",
}
DEPLOYING_STATES = {"PublishCandidate", "StartRelease", "PromoteChampion"}


def render(values: dict[str, str] = SAMPLE) -> dict[str, Any]:
    text = TEMPLATE.read_text()
    placeholders = set(re.findall(r"\$\{([a-z_]+)\}", text))
    assert placeholders == set(values), f"template placeholders {placeholders} != {set(values)}"
    return json.loads(re.sub(r"\$\{([a-z_]+)\}", lambda m: values[m.group(1)], text))


def templatefile_arguments() -> set[str]:
    """The names the orchestration module passes to templatefile() (must match the template)."""
    main = (MODULES / "orchestration/main.tf").read_text()
    call = main[main.index("templatefile(") :]
    block = call[: call.index("})")]
    return set(re.findall(r"^\s+(\w+)\s+=", block, re.M))


def test_template_placeholders_are_exactly_what_terraform_passes() -> None:
    assert templatefile_arguments() == set(SAMPLE)
    render()


def test_graph_is_valid() -> None:
    assert asl.validate(render()) == []


def test_asl_validator_accepts_definition(tmp_path: Path) -> None:
    if not ASL_VALIDATOR.exists():
        tool_missing(
            f"asl-validator (npm) not installed at {ASL_VALIDATOR}; `make setup` installs it"
        )
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(render()))
    proc = subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_asl_validator_rejects_broken_definition(tmp_path: Path) -> None:
    """Shows the external validator is really checking (a Task without Resource must fail)."""
    if not ASL_VALIDATOR.exists():
        tool_missing(f"asl-validator (npm) not installed at {ASL_VALIDATOR}")
    broken = render()
    del broken["States"]["TrainCandidate"]["Resource"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    proc = subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode != 0


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["States"]["QualityGate"].update(Default="Nowhere"), "missing state 'Nowhere'"),
        (lambda d: d.update(StartAt="Missing"), "StartAt"),
        (lambda d: d["States"].update(Orphan={"Type": "Succeed"}), "Orphan: not reachable"),
        (lambda d: d["States"]["NotifySuccess"].update(Next="NotifySuccess"), "no terminal"),
        (lambda d: d["States"]["TrainCandidate"].pop("Next"), "exactly one of Next or End"),
        (lambda d: d["States"]["RunFeaturePipeline"]["Catch"][0].pop("Next"), "Catch without Next"),
    ],
)
def test_graph_checker_catches_broken_definitions(mutate: Any, expected: str) -> None:
    definition = render()
    mutate(definition)
    problems = asl.validate(definition)
    assert any(expected in p for p in problems), problems


def _matches(rule: dict[str, Any], data: dict[str, Any]) -> bool:
    if "Or" in rule:
        return any(_matches(inner, data) for inner in rule["Or"])
    value: Any = data
    for part in rule["Variable"].removeprefix("$.").split("."):
        value = value[part]
    return bool(value == rule["StringEquals"])


def _follow(
    definition: dict[str, Any],
    data: dict[str, Any],
    failing: set[str],
    release_statuses: list[str] | None = None,
) -> list[str]:
    """Walk the machine like Step Functions would for the given gate result: Tasks in `failing`
    raise, others succeed; CheckRelease returns the next of `release_statuses` (default: the
    release succeeds at once); returns the visited state names."""
    states = definition["States"]
    statuses = list(release_statuses or ["Succeeded"])
    name, visited = definition["StartAt"], []
    while True:
        visited.append(name)
        state = states[name]
        if state["Type"] in {"Succeed", "Fail"}:
            return visited
        if name == "CheckRelease":
            data = {**data, "release_status": {"status": statuses.pop(0)}}
        if state["Type"] == "Choice":
            chosen = [rule["Next"] for rule in state["Choices"] if _matches(rule, data)]
            name = chosen[0] if chosen else state["Default"]
            continue
        if state["Type"] == "Task" and name in failing:
            name = state["Catch"][0]["Next"]
            continue
        name = state["Next"]
        assert len(visited) < 50, "loop"


PASSED = {"candidate": {"gate_passed": "true"}}


@pytest.mark.parametrize("gate", ["false", "FALSE", "", "true "])
def test_failed_gate_never_publishes_or_deploys(gate: str) -> None:
    visited = _follow(render(), {"candidate": {"gate_passed": gate}}, failing=set())
    assert visited[-1] == "QualityGateFailed"
    assert "NotifyGateRejected" in visited
    assert not DEPLOYING_STATES & set(visited)


def test_champion_moves_only_after_the_release_succeeded() -> None:
    visited = _follow(render(), PASSED, failing=set(), release_statuses=["InProgress", "Succeeded"])
    assert visited[-1] == "Done"
    order = ["PublishCandidate", "StartRelease", "CheckRelease", "PromoteChampion", "NotifySuccess"]
    assert [state for state in visited if state in order] == [
        "PublishCandidate",
        "StartRelease",
        "CheckRelease",
        "CheckRelease",  # InProgress: wait and look again
        "PromoteChampion",
        "NotifySuccess",
    ]


@pytest.mark.parametrize("outcome", ["Failed", "Stopped", "Superseded", "Cancelled"])
def test_a_failed_or_rolled_back_release_never_promotes_and_fails_the_execution(
    outcome: str,
) -> None:
    visited = _follow(render(), PASSED, failing=set(), release_statuses=["InProgress", outcome])
    assert visited[-2:] == ["NotifyReleaseFailed", "ReleaseFailed"]
    assert "PromoteChampion" not in visited


@pytest.mark.parametrize(
    "failing", ["RunFeaturePipeline", "TrainCandidate", "PublishCandidate", "StartRelease"]
)
def test_failed_step_stops_before_later_steps(failing: str) -> None:
    visited = _follow(render(), PASSED, failing={failing})
    assert visited[-1] == "RetrainingFailed"
    assert "PromoteChampion" not in visited


def test_every_deploy_path_goes_through_the_gate() -> None:
    """Graph property: removing QualityGate disconnects every deploying state from StartAt."""
    definition = render()
    states = {k: v for k, v in definition["States"].items() if k != "QualityGate"}
    assert not DEPLOYING_STATES & asl.reachable(states, definition["StartAt"])


def test_promotion_is_reachable_only_through_a_succeeded_release() -> None:
    """Graph property: without ReleaseOutcome's Succeeded branch nothing reaches PromoteChampion."""
    definition = render()
    states = dict(definition["States"])
    outcome = dict(states["ReleaseOutcome"])
    outcome["Choices"] = [c for c in outcome["Choices"] if c.get("StringEquals") != "Succeeded"]
    states["ReleaseOutcome"] = outcome
    assert "PromoteChampion" not in asl.reachable(states, definition["StartAt"])


def _exported(stage_state: str) -> set[str]:
    selector = json.dumps(render()["States"][stage_state]["ResultSelector"])
    return set(re.findall(r"@\.Name == '([A-Z0-9_]+)'", selector))


def test_the_state_machine_reads_what_the_training_builds_export() -> None:
    """ResultSelectors name variables train.yml exports (GATE_PASSED, MODEL_VERSION; and
    BUNDLE_PREFIX, MODEL_SHA256 from the publish stage)."""
    import yaml

    buildspec = yaml.safe_load((REPO / "ci/buildspecs/train.yml").read_text())
    exported = set(buildspec["env"]["exported-variables"])
    assert _exported("TrainCandidate") == {"GATE_PASSED", "MODEL_VERSION"}
    assert _exported("PublishCandidate") == {"BUNDLE_PREFIX", "MODEL_SHA256"}
    assert _exported("TrainCandidate") | _exported("PublishCandidate") == exported


def test_the_release_is_started_with_the_published_bundle() -> None:
    """The pipeline variable the image build reads (BUNDLE_PREFIX) carries the bundle."""
    start = render()["States"]["StartRelease"]["Parameters"]
    assert start["Variables"] == [{"Name": "BUNDLE_PREFIX", "Value.$": "$.bundle.prefix"}]
    pipeline = (MODULES / "cicd/pipeline.tf").read_text()
    assert 'name          = "BUNDLE_PREFIX"' in pipeline
    assert "#{variables.BUNDLE_PREFIX}" in pipeline


INTEGRATION_PERMISSIONS = {
    "glue:startJobRun.sync": {"glue:StartJobRun", "glue:GetJobRun"},
    "codebuild:startBuild.sync": {"codebuild:StartBuild", "codebuild:BatchGetBuilds"},
    "aws-sdk:codepipeline:startPipelineExecution": {"codepipeline:StartPipelineExecution"},
    "aws-sdk:codepipeline:getPipelineExecution": {"codepipeline:GetPipelineExecution"},
    "sns:publish": {"sns:Publish"},
}


def test_feature_pipeline_gets_as_of_from_the_execution_start_date() -> None:
    # The Glue job requires --as_of; the state machine passes the UTC date the execution started
    # ($$.Execution.StartTime is ISO-8601, e.g. 2026-11-26T03:00:00.123Z). moto's interpreter
    # cannot evaluate this (it keeps StartTime as a datetime), so the expression is pinned here.
    arguments = render()["States"]["RunFeaturePipeline"]["Parameters"]["Arguments"]
    assert arguments == {
        "--as_of.$": "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)"
    }


def test_every_task_resource_is_permitted_and_terraform_managed() -> None:
    definition = render()
    granted: set[str] = set()
    for name, body in data_sources(MODULES / "orchestration", "aws_iam_policy_document"):
        if name == "state_machine":
            for statement in body["statement"]:
                granted.update(statement["actions"])
    for name, state in definition["States"].items():
        if state["Type"] != "Task":
            continue
        integration = state["Resource"].removeprefix("arn:aws:states:::")
        assert integration in INTEGRATION_PERMISSIONS, f"{name}: unexpected {state['Resource']}"
        missing = INTEGRATION_PERMISSIONS[integration] - granted
        assert not missing, f"{name} needs {missing} in the state machine role"
        # Every resource the task names is one of the values terraform fills in.
        parameters = state.get("Parameters", {})
        named = [
            parameters[k]
            for k in ("JobName", "ProjectName", "Name", "PipelineName", "TopicArn")
            if k in parameters
        ]
        assert named, f"{name} names no resource"
        for value in named:
            assert value in SAMPLE.values(), f"{name}: {value} is hard-coded"


def test_moto_accepts_and_stores_the_definition(moto_endpoint: str) -> None:
    # No reset: the shared moto server also holds the emulator root applied in the background.
    sfn = boto3.client("stepfunctions", endpoint_url=moto_endpoint, region_name="us-east-1")
    definition = json.dumps(render())
    arn = sfn.create_state_machine(
        name=f"retraining-check-{uuid.uuid4().hex[:8]}",
        definition=definition,
        roleArn="arn:aws:iam::123456789012:role/retraining",
    )["stateMachineArn"]
    try:
        stored = json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])
    finally:
        sfn.delete_state_machine(stateMachineArn=arn)
    assert stored == render()


def test_module_renders_the_same_template() -> None:
    # Guard: the module really uses this template file (not an inline copy).
    assert "templates/retraining.asl.json" in (MODULES / "orchestration/main.tf").read_text()
    assert parse(MODULES / "orchestration/main.tf")["resource"]
