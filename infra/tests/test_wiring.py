"""Wiring checked against the plan (issue 12 item 3): a plan of infra/live/mx/staging (emulator
override, against moto, on top of the applied emulator root) and the applied emulator root's
state, read with `terraform show -json`, against what the code needs (wiring.py,
service_contracts.py). And proof that the check bites: a copy with one statement, one variable
or one setting changed is reported by name.
"""

from __future__ import annotations

import copy
import json
from concurrent.futures import Future
from typing import Any

import pytest

from . import service_contracts, wiring
from .jobs import EmulatorDeployment, LivePlan, wait

# Findings the code still causes because a service change the contracts decided has not landed
# yet (each entry with its reason; a stale entry fails: remove it once the service matches).
# Empty: every service reads what infra sets (C1, C3, C4, C6 landed with wave 1).
AWAITING_SERVICE_CHANGES: dict[str, str] = {}
# What a plan cannot know: the RDS instance is new in it, so its managed master secret, and the
# policies that name it or whose inputs change in the same plan (Terraform re-reads their policy
# documents at apply), are known only after apply. The applied emulator state checks those
# (test_emulator_state_matches_the_code).
UNKNOWN_IN_LIVE_PLAN = {
    "db-bootstrap: check_db_bootstrap: the inline policy of credit-risk-mx-staging-db-bootstrap",
    "feature-store: check_proxy: the inline policy of credit-risk-mx-staging-features-proxy",
    "secrets: check_master_secret_isolation: the RDS-managed master secret",
    "secrets: check_secret_isolation: the inline policy of "
    "credit-risk-mx-staging-inference-codedeploy",
}
# The emulator root leaves out the CodeBuild projects (moto rejects them); the live plan
# checks them.
UNKNOWN_IN_EMULATOR_STATE = {
    "db-bootstrap: check_db_bootstrap: no db-bootstrap project in this deployment (emulator: "
    "build projects omitted)",
    "training: check_training: no training project in this deployment (emulator: build "
    "projects omitted)",
}


@pytest.fixture(scope="module")
def code() -> service_contracts.CodeFacts:
    return service_contracts.read_code()


@pytest.fixture(scope="module")
def live_plan(live_plan_job: Future[LivePlan]) -> dict[str, Any]:
    return wait(live_plan_job).plan


@pytest.fixture(scope="module")
def planned(live_plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return wiring.resources_from_plan(live_plan)


@pytest.fixture(scope="module")
def applied(emulator_deployment: EmulatorDeployment) -> dict[str, dict[str, Any]]:
    return wiring.resources_from_state(emulator_deployment.state)


def assert_only_awaited(report: wiring.Report) -> None:
    unexpected = [m for m in report.messages if m not in AWAITING_SERVICE_CHANGES]
    assert not unexpected, "wiring does not match the code:\n" + "\n".join(unexpected)


def test_live_plan_matches_the_code(
    planned: dict[str, dict[str, Any]], code: service_contracts.CodeFacts
) -> None:
    report = wiring.check(planned, code)
    assert_only_awaited(report)
    stale = sorted(set(AWAITING_SERVICE_CHANGES) - set(report.messages))
    assert not stale, "the code now matches; remove from AWAITING_SERVICE_CHANGES:\n" + "\n".join(
        stale
    )
    assert set(report.unknown_messages) <= UNKNOWN_IN_LIVE_PLAN, report.unknown_messages


def test_emulator_state_matches_the_code(
    applied: dict[str, dict[str, Any]], code: service_contracts.CodeFacts
) -> None:
    report = wiring.check(applied, code)
    assert_only_awaited(report)
    assert set(report.unknown_messages) == UNKNOWN_IN_EMULATOR_STATE, report.unknown_messages


def test_live_plan_builds_the_whole_market(live_plan: dict[str, Any]) -> None:
    """Everything the emulator leaves out is in the live plan; nothing is replaced or deleted
    but the emulator-only stand-in of the master secret."""
    changes = live_plan["resource_changes"]
    created = {c["type"] for c in changes if c["change"]["actions"] == ["create"]}
    assert {
        "aws_db_instance",
        "aws_db_parameter_group",
        "aws_db_proxy_target",
        "aws_codebuild_project",
        "aws_codepipeline",
    } <= created
    existing = {c["type"] for c in changes if "create" not in c["change"]["actions"]}
    assert {
        "aws_db_proxy",
        "aws_lambda_function",
        "aws_glue_job",
        "aws_sfn_state_machine",
    } <= existing
    deleted = [c["address"] for c in changes if "delete" in c["change"]["actions"]]
    assert deleted == [
        "module.platform.module.feature_store.aws_secretsmanager_secret.master_standin[0]"
    ]
    projects = {
        c["change"]["after"]["name"] for c in changes if c["type"] == "aws_codebuild_project"
    }
    assert {"credit-risk-mx-staging-training", "credit-risk-mx-staging-db-bootstrap"} <= projects


# -- the check bites ----------------------------------------------------------------------------


def _find(resources: dict[str, dict[str, Any]], suffix: str) -> dict[str, Any]:
    (values,) = [v for a, v in resources.items() if a.endswith(suffix)]
    return values


def _new_findings(
    resources: dict[str, dict[str, Any]], code: service_contracts.CodeFacts
) -> list[str]:
    return [m for m in wiring.check(resources, code).messages if m not in AWAITING_SERVICE_CHANGES]


def _drop_statement(resources: dict[str, dict[str, Any]], policy_suffix: str, sid: str) -> None:
    policy = _find(resources, policy_suffix)
    document = json.loads(policy["policy"])
    kept = [s for s in document["Statement"] if s.get("Sid") != sid]
    assert len(kept) == len(document["Statement"]) - 1, f"no statement {sid}"
    policy["policy"] = json.dumps({**document, "Statement": kept})


def test_a_missing_write_grant_is_named(
    planned: dict[str, dict[str, Any]], code: service_contracts.CodeFacts
) -> None:
    mutated = copy.deepcopy(planned)
    _drop_statement(mutated, "module.feature_pipeline.aws_iam_role_policy.this", "WriteFeatures")
    found = _new_findings(mutated, code)
    assert any(
        m.startswith(
            "feature-pipeline: role credit-risk-mx-staging-feature-pipeline may not s3:PutObject"
        )
        and "/features/run=" in m
        for m in found
    ), found
    assert any("/features/_LATEST" in m and "s3:DeleteObject" in m for m in found), found


def test_a_missing_connect_grant_is_named(
    planned: dict[str, dict[str, Any]], code: service_contracts.CodeFacts
) -> None:
    mutated = copy.deepcopy(planned)
    _drop_statement(
        mutated, "module.inference.aws_iam_role_policy.this", "ConnectToStoreAsInference"
    )
    found = _new_findings(mutated, code)
    assert any(
        m.startswith(
            "inference: role credit-risk-mx-staging-inference may not rds-db:connect as inference"
        )
        for m in found
    ), found


def test_a_missing_or_unread_variable_is_named(
    planned: dict[str, dict[str, Any]], code: service_contracts.CodeFacts
) -> None:
    mutated = copy.deepcopy(planned)
    env = _find(mutated, "module.inference.aws_lambda_function.this")["environment"][0]["variables"]
    del env["FEATURE_STORE_URL"]
    env["FEATURE_STORE_URI"] = "postgresql+psycopg2://inference@proxy:5432/features"
    found = _new_findings(mutated, code)
    assert (
        "inference: FEATURE_STORE_URL is not set (required by docs/database-access.md or "
        "docs/contracts)" in found
    )
    assert "inference: sets FEATURE_STORE_URI, which inference-service does not read" in found


def test_an_unknown_glue_argument_and_training_variable_are_named(
    planned: dict[str, dict[str, Any]], code: service_contracts.CodeFacts
) -> None:
    mutated = copy.deepcopy(planned)
    _find(mutated, "module.feature_pipeline.aws_glue_job.this")["default_arguments"][
        "--loan_date_window"
    ] = "5"
    training = _find(mutated, "module.cicd.aws_codebuild_project.training[0]")
    training["environment"][0]["environment_variable"].extend(
        [
            {"name": "GATE_MIN_AUC", "value": "0.7", "type": "PLAINTEXT"},
            # A market's gate threshold, named as model-training reads it.
            {"name": "MODEL_TRAINING_GATE_MIN_ROC_AUC", "value": "0.7", "type": "PLAINTEXT"},
        ]
    )
    found = _new_findings(mutated, code)
    assert not [m for m in found if "MODEL_TRAINING_GATE_MIN_ROC_AUC" in m], found
    assert (
        "feature-pipeline: passes --loan_date_window, which neither glue/job.py nor "
        "QualitySettings knows" in found
    )
    assert "training: sets GATE_MIN_AUC, which model-training does not read" in found


def test_a_password_auth_or_a_foreign_role_is_named(
    planned: dict[str, dict[str, Any]], code: service_contracts.CodeFacts
) -> None:
    mutated = copy.deepcopy(planned)
    proxy = _find(mutated, "module.feature_store.aws_db_proxy.this")
    proxy["auth"][0]["iam_auth"] = "DISABLED"
    env = _find(mutated, "module.monitoring.aws_lambda_function.runner")["environment"][0][
        "variables"
    ]
    env["MONITOR_ONLINE_STORE_URL"] = env["MONITOR_ONLINE_STORE_URL"].replace(
        "monitoring@", "inference:pw@"
    )
    found = _new_findings(mutated, code)
    assert any(
        m.startswith("feature-store: proxy auth") and "'DISABLED', not REQUIRED" in m for m in found
    ), found
    assert "monitoring: store URL logs in as 'inference', not as its role 'monitoring'" in found
    assert "monitoring: store URL carries a password" in found


def test_a_master_secret_read_is_named(
    applied: dict[str, dict[str, Any]], code: service_contracts.CodeFacts
) -> None:
    mutated = copy.deepcopy(applied)
    master = _find(mutated, "module.feature_store.aws_secretsmanager_secret.master_standin[0]")[
        "arn"
    ]
    policy = _find(mutated, "module.monitoring.aws_iam_role_policy.runner")
    document = json.loads(policy["policy"])
    document["Statement"].append(
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": master}
    )
    policy["policy"] = json.dumps(document)
    found = _new_findings(mutated, code)
    assert "secrets: role credit-risk-mx-staging-monitoring may read the master secret" in found


def test_a_key_built_beside_the_output_prefix_is_named(
    tmp_path: Any, applied: dict[str, dict[str, Any]], code: service_contracts.CodeFacts
) -> None:
    """The staging-prefix bug of the first deployment, as code: a committer that stages beside
    the features prefix is caught (and one that stays under it is not)."""
    source = tmp_path / "committer.py"
    source.write_text(
        "class S3Committer:\n"
        "    def __init__(self, prefix, run_id):\n"
        "        self.staging = f\"{prefix.rstrip('/')}.staging-{run_id}/\"\n"
        '        self.run = f"{prefix}run={run_id}/"\n'
    )
    keys = service_contracts.keys_built_from_prefix((source,), "features/")
    assert [k.key for k in keys] == ["features.staging-x/", "features/run=x/"]
    facts = copy.copy(code)
    facts.pipeline_keys = keys
    found = [m for m in wiring.check(applied, facts).messages if "committer.py" in m]
    assert len(found) == 1
    assert "features.staging-x/" in found[0]


def test_settings_are_read_from_the_code(tmp_path: Any) -> None:
    """The extraction follows the code: a renamed field is no longer read."""
    module = tmp_path / "config.py"
    module.write_text(
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n"
        "class Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_prefix='SVC_')\n"
        "    store_url: str = ''\n"
        "    auth: str = 'password'\n"
    )
    reads = service_contracts.environment_reads(service_contracts.Source("svc", (module,)))
    assert reads == {"SVC_STORE_URL", "SVC_AUTH"}


def test_iam_evaluator() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/features/*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/features/secret*"},
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::b",
                "Condition": {"StringLike": {"s3:prefix": ["predictions/*"]}},
            },
        ]
    }
    assert wiring.allows([policy], "s3:PutObject", "arn:aws:s3:::b/features/run=1/x")
    assert not wiring.allows([policy], "s3:PutObject", "arn:aws:s3:::b/features.staging-1/x")
    assert not wiring.allows([policy], "s3:PutObject", "arn:aws:s3:::b/features/secret.txt")
    assert wiring.allows(
        [policy], "s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "predictions/2027/"}
    )
    assert not wiring.allows(
        [policy], "s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "features/"}
    )
    assert not wiring.allows([policy], "s3:ListBucket", "arn:aws:s3:::b")


def test_section_overrides_are_read_from_the_code(tmp_path: Any) -> None:
    """model-training's MODEL_TRAINING_<SECTION>_<FIELD> names follow its section models."""
    module = tmp_path / "config.py"
    module.write_text(
        "ENV_PREFIX = 'SVC_'\n"
        "ENV_SECTIONS = ('gate',)\n"
        "class GateConfig:\n"
        "    min_roc_auc: float = 0.6\n"
        "class SearchConfig:\n"
        "    trials: int = 4\n"
        "def environment_overrides(environ):\n"
        "    models = {'gate': GateConfig, 'search': SearchConfig}\n"
        "    for section in ENV_SECTIONS:\n"
        "        for field in models[section].model_fields:\n"
        "            name = f'{ENV_PREFIX}{section}_{field}'.upper()\n"
    )
    reads = service_contracts.environment_reads(service_contracts.Source("svc", (module,)))
    assert "SVC_GATE_MIN_ROC_AUC" in reads
    assert "SVC_SEARCH_TRIALS" not in reads  # not a section the code walks
