"""Every .tf parses; modules and roots follow the conventions of infra/README.md."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from . import readme_tables
from .conftest import (
    INFRA,
    LIVE,
    MODULES,
    MOTO_ROOT,
    REPO,
    TEMPLATE,
    live_roots,
    module_dirs,
    tf_files,
)

REQUIRED_MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
ROOT_FILES = (
    "backend.tf",
    "providers.tf",
    "main.tf",
    "variables.tf",
    "versions.tf",
    "terraform.tfvars",
)
PLATFORM = MODULES / "platform"
# Root variables that configure the provider, not the platform.
PROVIDER_VARIABLES = {"aws_region", "aws_endpoint_url", "aws_service_endpoints", "assume_role_arn"}
# Platform inputs only the emulator root sets (infra/README.md, "Emulator override").
EMULATOR_ONLY_INPUTS = {"emulator"}


def _unquote(value: Any) -> Any:
    """python-hcl2 >= 7 keeps string quotes and adds __is_block__/__comments__ markers."""
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1]
        return value
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if not str(k).startswith("__")}
    return value


def parse(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return _unquote(hcl2.load(handle))  # type: ignore[no-any-return]


def blocks(path: Path, kind: str) -> dict[str, dict[str, Any]]:
    """name -> body of every `kind "name" {}` block (variable/output/module) in a file."""
    found: dict[str, dict[str, Any]] = {}
    for entry in parse(path).get(kind, []):
        found.update(entry)
    return found


def resources(module: Path) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for tf in sorted(module.glob("*.tf")):
        for entry in parse(tf).get("resource", []):
            for rtype, named in entry.items():
                for name, body in named.items():
                    found.append((rtype, name, body))
    return found


def data_sources(module: Path, dtype: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for tf in sorted(module.glob("*.tf")):
        for entry in parse(tf).get("data", []):
            for name, body in entry.get(dtype, {}).items():
                found.append((name, body))
    return found


@pytest.mark.parametrize("path", tf_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_tf_file_parses(path: Path) -> None:
    assert isinstance(parse(path), dict)


def test_there_is_something_to_check() -> None:
    # Guards the parametrised tests against silently checking nothing.
    assert len(module_dirs()) >= 10
    assert {"mx/staging", "mx/prod"} <= {str(r.relative_to(LIVE)) for r in live_roots()}


@pytest.mark.parametrize("module", module_dirs(), ids=lambda p: p.name)
class TestModuleConventions:
    def test_required_files(self, module: Path) -> None:
        missing = [f for f in REQUIRED_MODULE_FILES if not (module / f).is_file()]
        assert not missing, f"{module.name} lacks {missing}"
        assert len((module / "README.md").read_text().strip()) > 200, "README too thin"

    def test_variables_typed_and_described(self, module: Path) -> None:
        variables = blocks(module / "variables.tf", "variable")
        assert variables, f"{module.name} declares no variables"
        for name, body in variables.items():
            assert "type" in body, f"{module.name}: variable {name} has no type"
            assert str(body.get("description", "")).strip(), f"{module.name}: {name} undescribed"

    def test_variables_declared_only_in_variables_tf(self, module: Path) -> None:
        for tf in module.glob("*.tf"):
            if tf.name != "variables.tf":
                assert "variable" not in parse(tf), f"{tf.name} declares variables"

    def test_outputs_described(self, module: Path) -> None:
        outputs = blocks(module / "outputs.tf", "output")
        assert outputs, f"{module.name} has no outputs"
        for name, body in outputs.items():
            assert str(body.get("description", "")).strip(), f"{module.name}: output {name}"

    def test_readme_mentions_every_output(self, module: Path) -> None:
        readme = (module / "README.md").read_text()
        missing = [o for o in blocks(module / "outputs.tf", "output") if o not in readme]
        assert not missing, f"{module.name}/README.md does not mention outputs {missing}"

    def test_provider_constraint_is_aws_5(self, module: Path) -> None:
        text = (module / "versions.tf").read_text()
        if resources(module) or "data" in parse(module / "main.tf"):
            assert 'source  = "hashicorp/aws"' in text
            assert "< 6.0.0" in text
        assert "required_version" in text

    def test_no_provider_blocks_in_modules(self, module: Path) -> None:
        for tf in module.glob("*.tf"):
            assert "provider" not in parse(tf), f"{tf.name}: modules inherit providers"


# Variables where a bad value is possible must be validated (issue 6).
MUST_VALIDATE = {
    "market",
    "environment",
    "canary_percentage",
    "canary_interval_minutes",
    "memory_mb",
    "instance_class",
    "allocated_storage_gb",
    "backup_retention_days",
    "number_of_workers",
    "worker_type",
    "glue_version",
    "provisioned_concurrency",
    "reserved_concurrency",
    "kms_key_arn",
    "log_retention_days",
    "name_prefix",
    "image_uri",
    "python_wheels",
}


def test_risky_variables_are_validated() -> None:
    seen = set()
    for module in module_dirs():
        for name, body in blocks(module / "variables.tf", "variable").items():
            if name in MUST_VALIDATE:
                seen.add(name)
                assert body.get("validation"), f"{module.name}: {name} has no validation"
    assert seen == MUST_VALIDATE, f"never declared: {MUST_VALIDATE - seen}"


def _statements(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list(body.get("statement", []))


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


@pytest.mark.parametrize("module", module_dirs(), ids=lambda p: p.name)
def test_iam_is_least_privilege(module: Path) -> None:
    """No Allow statement grants a wildcard action ("*" or "service:*") on resource "*"."""
    for name, body in data_sources(module, "aws_iam_policy_document"):
        for statement in _statements(body):
            if statement.get("effect", "Allow") != "Allow":
                continue
            actions = _as_list(statement.get("actions"))
            resources_ = _as_list(statement.get("resources"))
            assert actions, f"{module.name}/{name}: statement without actions"
            assert "*" not in actions, f"{module.name}/{name}: Action '*'"
            if "*" in resources_:
                wild = [a for a in actions if a.endswith(":*") or a.endswith("*")]
                assert not wild, f"{module.name}/{name}: {wild} on Resource '*'"
                assert all(
                    re.match(
                        r"^[a-z0-9-]+:(Describe|Get|List|Put|Create|Delete|Update|Assign|Unassign)",
                        a,
                    )
                    for a in actions
                ), f"{module.name}/{name}: unexpected actions on '*': {actions}"


def test_iam_checker_catches_a_wildcard(tmp_path: Path) -> None:
    # The least-privilege test must be able to fail: feed it a module with s3:* on "*".
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "iam.tf").write_text(
        'data "aws_iam_policy_document" "this" {\n'
        '  statement {\n    actions   = ["s3:*"]\n    resources = ["*"]\n  }\n}\n'
    )
    with pytest.raises(AssertionError, match="s3"):
        test_iam_is_least_privilege(bad)


@pytest.mark.parametrize("root", live_roots(), ids=lambda p: str(p.relative_to(LIVE)))
class TestRoots:
    def test_files_present(self, root: Path) -> None:
        missing = [f for f in ROOT_FILES if not (root / f).is_file()]
        assert not missing

    def test_main_only_calls_the_platform_module(self, root: Path) -> None:
        """A root is values and one call of modules/platform: nothing else to copy or keep in
        step between markets."""
        parsed = parse(root / "main.tf")
        assert set(parsed) == {"module"}, f"main.tf declares {set(parsed) - {'module'}}"
        calls = blocks(root / "main.tf", "module")
        assert list(calls) == ["platform"]
        call = calls["platform"]
        assert call["source"] == "../../../modules/platform"
        passed = {k: v for k, v in call.items() if k != "source"}
        declared = set(blocks(root / "variables.tf", "variable")) - PROVIDER_VARIABLES
        assert passed == {name: f"${{var.{name}}}" for name in declared}, (
            "main.tf must pass each platform variable of the root through under its own name"
        )
        inputs = set(blocks(PLATFORM / "variables.tf", "variable")) - EMULATOR_ONLY_INPUTS
        assert declared == inputs, (
            f"root and platform inputs differ: root only {declared - inputs}, "
            f"platform only {inputs - declared}"
        )

    def test_backend_is_locked_s3_state_per_market(self, root: Path) -> None:
        backend = parse(root / "backend.tf")["terraform"][0]["backend"][0]["s3"]
        assert backend.get("use_lockfile") is True or backend.get("dynamodb_table")
        assert backend["encrypt"] is True
        market, env = root.parent.name, root.name
        assert backend["key"] == f"{market}/{env}/terraform.tfstate"

    def test_tfvars_match_directory_and_variables(self, root: Path) -> None:
        values = parse(root / "terraform.tfvars")
        assert values["market"] == root.parent.name
        assert values["environment"] == root.name
        declared = blocks(root / "variables.tf", "variable")
        assert set(values) <= set(declared), f"undeclared: {set(values) - set(declared)}"
        required = {n for n, b in declared.items() if "default" not in b}
        assert required <= set(values), f"no value for {required - set(values)}"

    def test_provider_pinned_and_emulator_switch(self, root: Path) -> None:
        assert '"= 5.100.0"' in (root / "versions.tf").read_text()
        providers = (root / "providers.tf").read_text()
        assert "aws_endpoint_url" in providers
        assert "skip_credentials_validation" in providers

    def test_no_file_beyond_the_root_layout(self, root: Path) -> None:
        tracked = subprocess.run(
            ["git", "ls-files", "."], cwd=root, capture_output=True, text=True, check=False
        )
        if tracked.returncode != 0:
            pytest.skip("not a git checkout")
        allowed = {*ROOT_FILES, "outputs.tf", ".terraform.lock.hcl"}
        extra = {line for line in tracked.stdout.splitlines() if line} - allowed
        assert not extra, f"unexpected files in a market root: {extra}"


def test_prod_is_protected() -> None:
    for root in live_roots():
        if root.name != "prod":
            continue
        values = parse(root / "terraform.tfvars")
        store = values["feature_store"]
        assert store["multi_az"] is True
        assert store["deletion_protection"] is True
        assert store["backup_retention_days"] >= 14
        assert values["delivery"]["require_manual_approval"] is True
        assert "force_destroy" not in values


def test_emulated_services_cover_every_service_used() -> None:
    """The emulator endpoints in providers.tf must include each AWS service the modules use."""
    service_of_prefix = {
        "api_gateway": "apigateway",
        "cloudwatch_metric": "cloudwatch",
        "cloudwatch_dashboard": "cloudwatch",
        "cloudwatch_log": "cloudwatchlogs",
        "cloudwatch_event": "eventbridge",
        "codebuild": "codebuild",
        "codedeploy": "codedeploy",
        "codepipeline": "codepipeline",
        "vpc": "ec2",
        "subnet": "ec2",
        "route_table": "ec2",
        "security_group": "ec2",
        "default_security_group": "ec2",
        "flow_log": "ec2",
        "instance": "ec2",
        "ecr": "ecr",
        "glue": "glue",
        "kinesis_firehose": "firehose",
        "iam": "iam",
        "kms": "kms",
        "lambda": "lambda",
        "db": "rds",
        "s3": "s3",
        "sfn": "sfn",
        "sns": "sns",
        "wafv2": "wafv2",
        "secretsmanager": "secretsmanager",
    }
    used = set()
    for module in module_dirs():
        for rtype, _, _ in resources(module):
            short = rtype.removeprefix("aws_")
            match = max(
                (p for p in service_of_prefix if short.startswith(p)), key=len, default=None
            )
            assert match, f"unknown service for {rtype}: extend this map"
            used.add(service_of_prefix[match])
    for root in [*live_roots(), MOTO_ROOT]:
        providers = (root / "providers.tf").read_text()
        endpoints = set(re.findall(r"^\s+(\w+)\s+= local\.endpoint\.(\w+)$", providers, re.M))
        assert all(a == b for a, b in endpoints), endpoints
        listed = set(re.findall(r'"(\w+)"', providers.split("]", 1)[0]))
        assert used <= {a for a, _ in endpoints} <= listed, (
            f"{root.relative_to(INFRA)}: not redirected to the emulator: "
            f"{used - {a for a, _ in endpoints}}"
        )


def test_state_machine_template_is_json() -> None:
    templates = sorted(MODULES.glob("*/templates/*.json"))
    # Without this the loop below passes when the glob finds nothing.
    assert MODULES / "orchestration/templates/retraining.asl.json" in templates
    for template in templates:
        json.loads(re.sub(r"\$\{[a-z_]+\}", "x", template.read_text()))


@pytest.mark.parametrize("module", module_dirs(), ids=lambda p: p.name)
def test_readme_tables_up_to_date(module: Path) -> None:
    readme = (module / "README.md").read_text()
    assert readme == readme_tables.render(readme, module), (
        f"{module.name}/README.md Inputs/Outputs tables are stale: "
        "run `.venv/bin/python infra/tests/readme_tables.py`"
    )


def platform_calls() -> dict[str, dict[str, Any]]:
    """Module calls of modules/platform, from all its files."""
    calls: dict[str, dict[str, Any]] = {}
    for tf in sorted(PLATFORM.glob("*.tf")):
        calls.update(blocks(tf, "module"))
    return calls


def test_canary_rolls_back_on_the_per_version_alarms() -> None:
    inference = platform_calls()["inference"]
    # Whole-alias alarms would judge the canary diluted by the old version's traffic.
    assert "rollback_alarm_names" not in inference
    group = dict(
        (name, body)
        for rtype, name, body in resources(MODULES / "inference")
        if rtype == "aws_codedeploy_deployment_group"
    )["this"]
    # The per-version canary alarms always; extra (whole-alias) alarms when a root passes them.
    assert group["alarm_configuration"][0]["enabled"] is True
    assert (
        group["alarm_configuration"][0]["alarms"]
        == "${concat(local.canary_alarm_names, var.rollback_alarm_names)}"
    )
    canary = {
        name: body
        for rtype, name, body in resources(MODULES / "inference")
        if rtype == "aws_cloudwatch_metric_alarm" and name.startswith("canary_")
    }
    assert len(canary) == 3
    for name, body in canary.items():
        dimensions = body["dimensions"]
        assert {"ExecutedVersion", "function_version"} & set(dimensions), (
            f"{name} is not per version"
        )
        assert body["lifecycle"][0]["ignore_changes"] == ["dimensions"], name
    assert set(group["auto_rollback_configuration"][0]["events"]) == {
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_ALARM",
    }


def test_monitoring_job_failures_reach_the_alarm_topic() -> None:
    """moto does not store a function's DeadLetterConfig, so the wiring is checked here."""
    found = {(rtype, name): body for rtype, name, body in resources(MODULES / "monitoring")}
    runner = found[("aws_lambda_function", "runner")]
    assert runner["dead_letter_config"][0]["target_arn"] == "${aws_sns_topic.this.arn}"
    assert runner["reserved_concurrent_executions"] == 1
    invoke = found[("aws_lambda_function_event_invoke_config", "runner")]
    assert invoke["maximum_retry_attempts"] == 0
    on_failure = invoke["destination_config"][0]["on_failure"][0]
    assert on_failure["destination"] == "${aws_sns_topic.this.arn}"
    modules = platform_calls()
    clients = modules["feature_store"]["client_security_group_ids"]
    assert clients["monitoring"] == "${module.monitoring.runner_security_group_id}"


def test_platform_is_a_composition() -> None:
    """modules/platform wires modules; it owns no resources or data sources of its own."""
    for tf in PLATFORM.glob("*.tf"):
        parsed = parse(tf)
        assert not {"resource", "data", "provider"} & set(parsed), tf.name
    assert len(platform_calls()) >= 12


def test_each_service_connects_as_its_own_database_role() -> None:
    """C3 in the wiring: every client gets its own role's rds-db:connect ARN and role name."""
    modules = platform_calls()
    for module, role in (
        ("feature_pipeline", "feature_pipeline"),
        ("inference", "inference"),
        ("monitoring", "monitoring"),
    ):
        assert modules[module]["store_user"] == f"${{local.database_roles.{role}}}"
        assert modules[module]["store_db_user_arn"] == (
            f"${{module.feature_store.db_user_arns[local.database_roles.{role}]}}"
        )
        assert "store_secret_arn" not in modules[module]
    assert modules["cicd"]["mlflow_db_user_arn"] == (
        "${module.feature_store.db_user_arns[local.database_roles.mlflow]}"
    )


def test_the_emulator_root_calls_the_platform_with_emulator_settings() -> None:
    calls = blocks(MOTO_ROOT / "main.tf", "module")
    assert list(calls) == ["platform"]
    call = calls["platform"]
    assert call["source"] == "../../modules/platform"
    assert call["emulator"] == {
        "omit_database_instance": True,
        "omit_build_projects": True,
        "short_recovery": True,
    }
    assert set(parse(MOTO_ROOT / "main.tf")) == {"module"}


def test_market_roots_come_from_the_template() -> None:
    """make new-market copies these files; the committed roots started from them."""
    for name in ("main.tf", "variables.tf", "providers.tf", "versions.tf", "outputs.tf"):
        assert (TEMPLATE / name).is_file()
    for root in live_roots():
        assert (root / "main.tf").read_text() == (TEMPLATE / "main.tf").read_text()


def test_the_release_chain_is_wired_in_the_composition() -> None:
    """The pre-traffic hook's zip is the one the release-hook build uploads (the cicd module's
    prefix + the SHA-256 of the hook's source), the deploy build knows the hook, the CI builds
    run in the ci-tools image of the market's ECR, and promotion by artefact reaches cicd."""
    calls = platform_calls()
    hook = str(calls["inference"]["pre_traffic_hook"])
    assert "module.cicd.release_hook_key_prefix" in hook
    assert 'filesha256("${local.repo_root}/scripts/release-tool/src/release_tool/' in hook
    assert (REPO / "scripts/release-tool/src/release_tool/pre_traffic_hook.py").is_file()
    upload = (REPO / "ci/scripts/upload-release-hook.sh").read_text()
    assert "pre_traffic_hook-${digest}.zip" in upload
    assert "hashlib.sha256(open(sys.argv[1]" in upload
    cicd = calls["cicd"]
    assert cicd["pre_traffic_hook_function_name"] == (
        "${module.inference.pre_traffic_hook_function_name}"
    )
    assert 'module.ecr.repository_urls["ci-tools"]' in cicd["ci_tools_image_uri"]
    assert cicd["ci_tools_repository_arn"] == '${module.ecr.repository_arns["ci-tools"]}'
    assert "ci-tools" in str(cicd["image_repositories"])
    assert cicd["release_source"] == "${var.delivery.release_source}"
    assert cicd["release_publish"] == "${var.delivery.release_publish}"
