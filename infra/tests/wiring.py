"""Check a planned (or applied) deployment of modules/platform against what the code needs.

Input: `terraform show -json` of a plan or of a state, turned into {address: values} (values a
plan only knows after apply are the UNKNOWN marker). Output: findings, one sentence each, naming
the component and what is wrong, plus the checks a plan could not make because a value is only
known after apply. What "needed" means comes from the code (service_contracts) and from the
contracts in docs/ (C1 lake layout, C3 database access, C4 pseudonym key):

- settings: every setting a component requires is set, and every setting infra sets is one its
  code reads (a misspelt or renamed variable is silently ignored by pydantic-settings);
- S3: every key the component's code reads or writes is allowed by its role's policies (a small
  IAM evaluator: Allow/Deny, wildcards, s3:prefix conditions);
- database: the proxy requires IAM auth and TLS for one auth entry per service role; each
  client's URL names its own role on the proxy with no password, its auth setting is `iam`, and
  its role may rds-db:connect as exactly that role; no component but db-bootstrap can read the
  master secret, and only db-bootstrap writes the service roles' secrets.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .service_contracts import CodeFacts


class _Unknown:
    """One marker, kept by copies (tests mutate deep copies of a deployment)."""

    def __repr__(self) -> str:
        return "<known after apply>"

    def __copy__(self) -> _Unknown:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Unknown:
        return self


UNKNOWN: Any = _Unknown()

# Contract names (docs/database-access.md, docs/contracts): every one must be set by infra AND
# read by the code named here.
INFERENCE_REQUIRED = ("FEATURE_STORE_URL", "FEATURE_STORE_AUTH", "CUSTOMER_REF_KEY_SECRET_ARN")
MONITORING_REQUIRED = (
    "MONITOR_ONLINE_STORE_URL",
    "MONITOR_STORE_AUTH",
    "CUSTOMER_REF_KEY_SECRET_ARN",
)
MONITORING_EVENT_REQUIRED = ("logs", "metadata")
TRAINING_REQUIRED_BY_CODE = ("MLFLOW_TRACKING_URI", "MODEL_TRAINING_DB_AUTH")
TRAINING_REQUIRED_BY_BUILDSPEC = ("FEATURES_URI", "ARTIFACTS_URI", "RAW_URI")
GLUE_CONTRACT_ARGS = ("store_auth",)
# Set by the Lambda runtime or read by libraries in the image rather than by the service code.
RUNTIME_PREFIXES = ("AWS_", "POWERTOOLS_", "_X_AMZN_", "LAMBDA_")
# Keys of the lake layout (C1) every run writes under the output root.
LAKE_KEYS = (
    "run=20270101T000000Z/training_set/csv/part-00000.csv",
    "run=20270101T000000Z/online/parquet/part-00000.parquet",
    "run=20270101T000000Z/_SUCCESS",
    "_LATEST",
)
MASTER_USER = "feature_admin"


@dataclass(frozen=True)
class Finding:
    component: str
    message: str

    def __str__(self) -> str:
        return f"{self.component}: {self.message}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    unknown: list[Finding] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return sorted(str(f) for f in self.findings)

    @property
    def unknown_messages(self) -> list[str]:
        return sorted(str(f) for f in self.unknown)


class UnknownValueError(Exception):
    """A value the check needs is only known after apply."""


# -- reading terraform show -json -----------------------------------------------------------------


def _merge_unknown(value: Any, unknown: Any) -> Any:
    if unknown is True:
        return UNKNOWN
    if isinstance(value, dict) and isinstance(unknown, dict):
        merged = {k: _merge_unknown(v, unknown.get(k)) for k, v in value.items()}
        merged.update({k: UNKNOWN for k, u in unknown.items() if u is True and k not in value})
        return merged
    if isinstance(value, list) and isinstance(unknown, list):
        return [
            _merge_unknown(v, unknown[i] if i < len(unknown) else None) for i, v in enumerate(value)
        ]
    if value is None and isinstance(unknown, (dict, list)):
        return UNKNOWN
    return value


def resources_from_plan(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """address -> planned values of every managed resource that exists after the plan."""
    found = {}
    for change in plan["resource_changes"]:
        if change.get("mode", "managed") != "managed" or change["change"]["after"] is None:
            continue
        found[change["address"]] = _merge_unknown(
            change["change"]["after"], change["change"].get("after_unknown") or {}
        )
    return found


def resources_from_state(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """address -> values of every managed resource of `terraform show -json` (no plan file)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(module: dict[str, Any]) -> None:
        for resource in module.get("resources", []):
            if resource.get("mode") == "managed":
                found[resource["address"]] = resource["values"]
        for child in module.get("child_modules", []):
            walk(child)

    walk(state["values"]["root_module"])
    return found


# -- a small IAM evaluator ------------------------------------------------------------------------


def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value or [])


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        base = operator.removeprefix("ForAnyValue:").removeprefix("ForAllValues:")
        for key, expected in tests.items():
            actual = context.get(key)
            if actual is None:
                return False
            patterns = _listed(expected)
            if base in {"StringLike", "ArnLike"}:
                ok = any(fnmatch.fnmatchcase(actual, p) for p in patterns)
            elif base in {"StringEquals", "ArnEquals", "Bool"}:
                ok = actual in [str(p).lower() if base == "Bool" else p for p in patterns]
            else:
                return False  # an operator this evaluator does not model never grants
            if not ok:
                return False
    return True


def _matches(
    statement: dict[str, Any], action: str, resource: str, context: dict[str, str]
) -> bool:
    if "Action" in statement:
        if not any(
            fnmatch.fnmatch(action.lower(), a.lower()) for a in _listed(statement["Action"])
        ):
            return False
    elif any(
        fnmatch.fnmatch(action.lower(), a.lower()) for a in _listed(statement.get("NotAction"))
    ):
        return False
    if "Resource" in statement:
        if not any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"])):
            return False
    elif any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement.get("NotResource"))):
        return False
    return _condition_holds(statement.get("Condition") or {}, context)


def allows(
    policies: list[dict[str, Any]],
    action: str,
    resource: str,
    context: dict[str, str] | None = None,
) -> bool:
    statements = [s for p in policies for s in _listed(p.get("Statement"))]
    context = context or {}
    if any(
        s.get("Effect") == "Deny" and _matches(s, action, resource, context) for s in statements
    ):
        return False
    return any(
        s.get("Effect") == "Allow" and _matches(s, action, resource, context) for s in statements
    )


# -- the deployment --------------------------------------------------------------------------------


@dataclass
class Deployment:
    resources: dict[str, dict[str, Any]]

    def find(self, suffix: str) -> dict[str, Any] | None:
        matches = [v for address, v in self.resources.items() if address.endswith(suffix)]
        if len(matches) > 1:
            raise AssertionError(f"{len(matches)} resources end with {suffix}")
        return matches[0] if matches else None

    def one(self, suffix: str) -> dict[str, Any]:
        found = self.find(suffix)
        if found is None:
            raise AssertionError(f"no resource ending with {suffix} in the deployment")
        return found

    def of_type(self, rtype: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for address, values in self.resources.items():
            base = re.sub(r"\[[^\[\]]*\]$", "", address)
            if base.split(".")[-2] == rtype:
                yield address, values

    def role_name(self, role_arn: Any) -> str:
        return str(_known(role_arn, "the role ARN")).rsplit("/", 1)[-1]

    def policies(self, role_name: str) -> list[dict[str, Any]]:
        """Parsed inline policies of a role (UnknownValueError: one is known after apply)."""
        found = []
        for _, policy in self.of_type("aws_iam_role_policy"):
            role = policy.get("role")
            if role is UNKNOWN:
                continue
            if role == role_name or str(role).endswith(f"/{role_name}"):
                if policy.get("policy") is UNKNOWN:
                    raise UnknownValueError(f"the inline policy of {role_name}")
                found.append(json.loads(policy["policy"]))
        return found

    def role_names(self) -> list[str]:
        return [
            str(r["name"]) for _, r in self.of_type("aws_iam_role") if r.get("name") is not UNKNOWN
        ]


def _known(value: Any, what: str) -> Any:
    if value is UNKNOWN:
        raise UnknownValueError(what)
    if isinstance(value, dict):
        for k, v in value.items():
            _known(v, f"{what}[{k}]")
    if isinstance(value, list):
        for i, v in enumerate(value):
            _known(v, f"{what}[{i}]")
    return value


def _s3(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    if parts.scheme != "s3":
        raise ValueError(f"not an s3:// URI: {uri}")
    return parts.netloc, parts.path.lstrip("/")


def _object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


# -- the checks ------------------------------------------------------------------------------------


@dataclass
class Checker:
    deployment: Deployment
    code: CodeFacts
    report: Report = field(default_factory=Report)

    def finding(self, component: str, message: str) -> None:
        self.report.findings.append(Finding(component, message))

    def run(self, component: str, check: Callable[[], None]) -> None:
        try:
            check()
        except UnknownValueError as unknown:
            self.report.unknown.append(Finding(component, f"{check.__name__}: {unknown}"))

    # -- shared pieces

    def proxy(self) -> dict[str, Any]:
        return self.deployment.one("module.feature_store.aws_db_proxy.this")

    def service_secrets(self) -> dict[str, str]:
        secrets = {}
        for address, secret in self.deployment.of_type("aws_secretsmanager_secret"):
            if "module.feature_store.aws_secretsmanager_secret.service[" in address:
                role = address.split('["', 1)[1].split('"]', 1)[0]
                secrets[role] = _known(secret["arn"], f"the secret of {role}")
        return secrets

    def master_secret_arn(self) -> str:
        instance = self.deployment.find("module.feature_store.aws_db_instance.this[0]")
        if instance is not None:
            secret = _known(instance.get("master_user_secret"), "the RDS-managed master secret")
            return str(secret[0]["secret_arn"])
        standin = self.deployment.one(
            "module.feature_store.aws_secretsmanager_secret.master_standin[0]"
        )
        return str(_known(standin["arn"], "the master secret stand-in"))

    def customer_ref_secret_arn(self) -> str:
        secret = self.deployment.one("module.customer_ref_key.aws_secretsmanager_secret.this")
        return str(_known(secret["arn"], "the customer_ref key secret"))

    def check_settings(
        self,
        component: str,
        settings: dict[str, Any],
        required: Iterable[str],
        read_by_code: set[str],
        code_name: str,
        also_read: set[str] | None = None,
    ) -> None:
        for name in required:
            if name not in settings:
                self.finding(
                    component,
                    f"{name} is not set (required by docs/database-access.md or docs/contracts)",
                )
            if name not in read_by_code:
                self.finding(component, f"{code_name} does not read {name}")
        for name in settings:
            if name in required or name.startswith(RUNTIME_PREFIXES):
                continue
            if name not in read_by_code and name not in (also_read or set()):
                self.finding(component, f"sets {name}, which {code_name} does not read")

    def check_store_client(
        self, component: str, url: Any, auth: Any, role: str, role_name: str
    ) -> None:
        """C3: role@proxy, no password, auth=iam, rds-db:connect as exactly this role."""
        proxy = self.proxy()
        if auth != "iam":
            self.finding(
                component,
                f"connects with auth {auth!r}; the proxy requires IAM auth, so it must be 'iam'",
            )
        url = _known(url, "the store URL")
        parts = urlsplit(url)
        endpoint = _known(proxy.get("endpoint"), "the proxy endpoint")
        if parts.scheme != "postgresql+psycopg2":
            self.finding(component, f"store URL scheme {parts.scheme!r} is not postgresql+psycopg2")
        if parts.username != role:
            self.finding(
                component, f"store URL logs in as {parts.username!r}, not as its role {role!r}"
            )
        if parts.password:
            self.finding(component, "store URL carries a password")
        if parts.hostname != endpoint:
            self.finding(
                component, f"store URL host {parts.hostname!r} is not the RDS Proxy {endpoint!r}"
            )
        if parts.port != 5432:
            self.finding(component, f"store URL port {parts.port} is not the proxy's 5432")
        proxy_arn = str(_known(proxy.get("arn"), "the proxy ARN"))
        _, partition, _, region, account, resource = proxy_arn.split(":", 5)
        proxy_id = resource.rsplit(":", 1)[-1]
        policies = self.deployment.policies(role_name)
        for other in {"feature_pipeline", "inference", "monitoring", "mlflow", MASTER_USER, role}:
            arn = f"arn:{partition}:rds-db:{region}:{account}:dbuser:{proxy_id}/{other}"
            granted = allows(policies, "rds-db:connect", arn)
            if other == role and not granted:
                self.finding(
                    component, f"role {role_name} may not rds-db:connect as {role} ({arn})"
                )
            if other != role and granted:
                self.finding(
                    component, f"role {role_name} may rds-db:connect as {other}, not only as {role}"
                )

    def check_s3(
        self,
        component: str,
        role_name: str,
        action: str,
        uri: str,
        why: str,
        prefix: str | None = None,
    ) -> None:
        policies = self.deployment.policies(role_name)
        bucket, key = _s3(uri)
        if action == "s3:ListBucket":
            ok = allows(policies, action, f"arn:aws:s3:::{bucket}", {"s3:prefix": prefix or key})
        else:
            ok = allows(policies, action, _object_arn(bucket, key))
        if not ok:
            self.finding(component, f"role {role_name} may not {action} on {uri} ({why})")

    # -- components

    def check_proxy(self) -> None:
        proxy = self.proxy()
        if proxy.get("require_tls") is not True:
            self.finding("feature-store", "the RDS Proxy does not require TLS")
        auths = _known(proxy.get("auth"), "the proxy's auth entries")
        secrets = self.service_secrets()
        for entry in auths:
            if entry.get("iam_auth") != "REQUIRED":
                self.finding(
                    "feature-store",
                    f"proxy auth {entry.get('description')!r} has iam_auth "
                    f"{entry.get('iam_auth')!r}, not REQUIRED",
                )
            if entry.get("auth_scheme") != "SECRETS":
                self.finding(
                    "feature-store",
                    f"proxy auth {entry.get('description')!r} is not a SECRETS entry",
                )
        used = [str(_known(e.get("secret_arn"), "an auth secret")) for e in auths]
        for role, arn in secrets.items():
            if used.count(arn) != 1:
                self.finding(
                    "feature-store",
                    f"the proxy has {used.count(arn)} auth entries for the {role} role's "
                    "secret, not 1",
                )
        extra = set(used) - set(secrets.values())
        if extra:
            self.finding(
                "feature-store",
                f"proxy auth entries for secrets of no service role: {sorted(extra)}",
            )
        proxy_role = self.deployment.role_name(proxy["role_arn"])
        policies = self.deployment.policies(proxy_role)
        for role, arn in secrets.items():
            if not allows(policies, "secretsmanager:GetSecretValue", arn):
                self.finding(
                    "feature-store", f"the proxy's role may not read the {role} role's secret"
                )
        # Last: the master secret is only known after apply when the instance is new.
        master = self.master_secret_arn()
        if master in used:
            self.finding("feature-store", "the proxy logs in with the master secret")
        if allows(policies, "secretsmanager:GetSecretValue", master):
            self.finding("feature-store", "the proxy's role may read the master secret")

    def check_feature_pipeline(self) -> None:
        component = "feature-pipeline"
        job = self.deployment.one("module.feature_pipeline.aws_glue_job.this")
        args = _known(job["default_arguments"], "the Glue job's arguments")
        role_name = self.deployment.role_name(job["role_arn"])
        glue = self.code.glue
        assert glue is not None
        for name in sorted(glue.required | set(GLUE_CONTRACT_ARGS)):
            if f"--{name}" not in args:
                self.finding(component, f"the Glue job does not pass --{name}")
        for key in sorted(args):
            name = key[2:]
            if not key.startswith("--") or "-" in name or name != name.lower():
                continue  # Glue's own parameters (--job-language, --TempDir, --extra-py-files, ...)
            if name in glue.accepted:
                continue
            if name in glue.quality_fields:
                if not glue.maps_quality_settings:
                    self.finding(
                        component,
                        f"passes --{name} (a QualitySettings field) but glue/job.py does not "
                        "map QualitySettings fields to arguments",
                    )
                continue
            self.finding(
                component, f"passes --{name}, which neither glue/job.py nor QualitySettings knows"
            )
        self.check_store_client(
            component,
            args.get("--online_store"),
            args.get("--store_auth"),
            "feature_pipeline",
            role_name,
        )

        self.check_s3(component, role_name, "s3:GetObject", args["--input"], "--input")
        for uri in [
            _known(job["command"], "the job command")[0]["script_location"],
            *args["--extra-py-files"].split(","),
            *args["--additional-python-modules"].split(","),
        ]:
            self.check_s3(component, role_name, "s3:GetObject", uri, "job code and dependencies")
        self.check_s3(component, role_name, "s3:PutObject", args["--TempDir"] + "x", "--TempDir")
        output = args["--output"]
        bucket, prefix = _s3(output)
        self.check_s3(
            component, role_name, "s3:ListBucket", output, "listing the output root", prefix=prefix
        )
        for key in LAKE_KEYS:
            for action in ("s3:PutObject", "s3:GetObject", "s3:DeleteObject"):
                self.check_s3(
                    component, role_name, action, f"s3://{bucket}/{prefix}{key}", "C1 lake layout"
                )
        for template in self.code.pipeline_keys:
            rendered = (
                template.key.replace("features/", prefix, 1)
                if template.key.startswith("features")
                else template.key
            )
            self.check_s3(
                component,
                role_name,
                "s3:PutObject",
                f"s3://{bucket}/{rendered}",
                f"key built at {template.where}",
            )

    def check_inference(self) -> None:
        component = "inference"
        function = self.deployment.one("module.inference.aws_lambda_function.this")
        env = _known(function["environment"], "the function's environment")[0]["variables"]
        role_name = self.deployment.role_name(function["role"])
        self.check_settings(
            component, env, INFERENCE_REQUIRED, self.code.inference_env, "inference-service"
        )
        self.check_store_client(
            component,
            env.get("FEATURE_STORE_URL"),
            env.get("FEATURE_STORE_AUTH"),
            "inference",
            role_name,
        )
        self.check_customer_ref_key(component, env, role_name)

    def check_customer_ref_key(self, component: str, env: dict[str, Any], role_name: str) -> None:
        key = self.customer_ref_secret_arn()
        if env.get("CUSTOMER_REF_KEY_SECRET_ARN") not in (None, key):
            self.finding(
                component, "CUSTOMER_REF_KEY_SECRET_ARN is not the customer_ref key secret"
            )
        if not allows(self.deployment.policies(role_name), "secretsmanager:GetSecretValue", key):
            self.finding(component, f"role {role_name} may not read the customer_ref key secret")

    def check_monitoring(self) -> None:
        component = "monitoring"
        function = self.deployment.one("module.monitoring.aws_lambda_function.runner")
        env = _known(function["environment"], "the function's environment")[0]["variables"]
        role_name = self.deployment.role_name(function["role"])
        self.check_settings(
            component, env, MONITORING_REQUIRED, self.code.monitoring_env, "risk-monitoring"
        )
        self.check_store_client(
            component,
            env.get("MONITOR_ONLINE_STORE_URL"),
            env.get("MONITOR_STORE_AUTH"),
            "monitoring",
            role_name,
        )
        self.check_customer_ref_key(component, env, role_name)

        target = self.deployment.one("module.monitoring.aws_cloudwatch_event_target.runner")
        event = json.loads(_known(target["input"], "the schedule's event"))
        self.check_monitoring_event(component, role_name, event, "the scheduled event")
        outcomes = self.deployment.one("module.monitoring.aws_cloudwatch_event_target.outcomes")
        transformer = _known(outcomes["input_transformer"], "the outcomes event")[0]
        template = transformer["input_template"]
        for placeholder, path in transformer["input_paths"].items():
            sample = {"$.detail.object.key": "monitoring/repayments/2027-01.csv"}.get(path)
            if sample is None:
                self.finding(component, f"the outcomes event fills <{placeholder}> from {path}")
                continue
            template = template.replace(f"<{placeholder}>", sample)
        event = json.loads(template)
        self.check_monitoring_event(component, role_name, event, "the outcomes event")
        if event.get("command") != "outcomes" or "repayments" not in event:
            self.finding(component, "the outcomes event does not run the outcomes command")
        else:
            self.check_s3(
                component, role_name, "s3:GetObject", event["repayments"], "repayment files"
            )

    def check_monitoring_event(
        self, component: str, role_name: str, event: dict[str, Any], name: str
    ) -> None:
        """Every key is one the handler reads (never a retired one), and the job's role may
        read and write what the keys name."""
        for key in MONITORING_EVENT_REQUIRED:
            if key not in event:
                self.finding(component, f"{name} has no {key!r}")
        for key in event:
            if key in self.code.monitoring_retired_keys:
                self.finding(
                    component, f"{name} sets {key!r}, which risk_monitoring.lambda_handler refuses"
                )
            elif key not in self.code.monitoring_event_keys:
                self.finding(
                    component,
                    f"{name} sets {key!r}, which risk_monitoring.lambda_handler does not read",
                )
        logs = event["logs"]
        bucket, prefix = _s3(logs)
        day = f"{prefix}2027-01-01/"
        self.check_s3(
            component,
            role_name,
            "s3:ListBucket",
            logs,
            "listing a day of the prediction log",
            prefix=day,
        )
        self.check_s3(
            component,
            role_name,
            "s3:GetObject",
            f"s3://{bucket}/{day}stream-1.jsonl.gz",
            "prediction log objects",
        )
        metadata = event["metadata"]
        self.check_s3(component, role_name, "s3:GetObject", metadata, "champion metadata")
        if metadata.endswith(".json") and not metadata.endswith("/metadata.json"):
            # A bundle pointer (C5): the job follows it to <folder>/<prefix>metadata.json.
            folder = metadata.rsplit("/", 1)[0]
            self.check_s3(
                component,
                role_name,
                "s3:GetObject",
                f"{folder}/v7-0123456789ab/metadata.json",
                "the bundle metadata the champion pointer names",
            )
        if "report_prefix" in event:
            self.check_s3(
                component,
                role_name,
                "s3:PutObject",
                event["report_prefix"].rstrip("/") + "/20270101T043000Z/report.json",
                "reports",
            )
        if "lake" in event:
            lake_bucket, lake_prefix = _s3(event["lake"])
            run = f"{lake_prefix}run=20270101T000000Z/"
            self.check_s3(
                component,
                role_name,
                "s3:ListBucket",
                event["lake"],
                "listing a lake run (skew)",
                prefix=f"{run}online/parquet/",
            )
            for key in ("_SUCCESS", "online/parquet/part-00000.parquet"):
                self.check_s3(
                    component,
                    role_name,
                    "s3:GetObject",
                    f"s3://{lake_bucket}/{run}{key}",
                    "C1 lake layout (skew)",
                )
        if "labels" in event:
            self.check_s3(component, role_name, "s3:GetObject", event["labels"], "labels")

    def check_training(self) -> None:
        component = "training"
        project = self.deployment.find("module.cicd.aws_codebuild_project.training[0]")
        role = self.deployment.one("module.cicd.aws_iam_role.training")
        role_name = str(role["name"])
        if project is None:
            self.report.unknown.append(
                Finding(
                    component,
                    "check_training: no training project in this deployment (emulator: build "
                    "projects omitted)",
                )
            )
            return
        variables = _known(project["environment"], "the project's environment")[0][
            "environment_variable"
        ]
        env = {v["name"]: v["value"] for v in variables}
        for v in variables:
            if v.get("type") == "SECRETS_MANAGER":
                self.finding(
                    component,
                    f"{v['name']} is resolved from Secrets Manager; clients authenticate with "
                    "IAM, not passwords",
                )
        self.check_settings(
            component,
            env,
            TRAINING_REQUIRED_BY_CODE,
            self.code.training_env,
            "model-training",
            also_read=self.code.train_buildspec_env,
        )
        for name in TRAINING_REQUIRED_BY_BUILDSPEC:
            if name not in env:
                self.finding(component, f"{name} is not set (ci/buildspecs/train.yml reads it)")
            if name not in self.code.train_buildspec_env:
                self.finding(component, f"ci/buildspecs/train.yml does not read {name}")
        self.check_store_client(
            component,
            env.get("MLFLOW_TRACKING_URI"),
            env.get("MODEL_TRAINING_DB_AUTH"),
            "mlflow",
            role_name,
        )
        features = _known(env["FEATURES_URI"], "FEATURES_URI")
        bucket, prefix = _s3(features)
        self.check_s3(
            component, role_name, "s3:ListBucket", features, "following _LATEST", prefix=prefix
        )
        for key in LAKE_KEYS:
            self.check_s3(
                component,
                role_name,
                "s3:GetObject",
                f"s3://{bucket}/{prefix}{key}",
                "C1 lake layout",
            )
        self.check_s3(
            component, role_name, "s3:GetObject", _known(env["RAW_URI"], "RAW_URI"), "RAW_URI"
        )
        artifacts = _known(env["ARTIFACTS_URI"], "ARTIFACTS_URI")
        self.check_s3(
            component,
            role_name,
            "s3:PutObject",
            artifacts + "mlflow/1/run/artifacts/model.onnx",
            "MLflow artifacts",
        )
        # publish / promote / rollback: the versioned bundle and its pointers at the bucket's root
        # (docs/contracts/serving-bundle.md), whatever ARTIFACTS_URI's prefix.
        artifacts_bucket, _ = _s3(artifacts)
        for key in (
            "bundles/credit-risk/v1-0123456789ab/metadata.json",
            "bundles/credit-risk/candidate.json",
            "bundles/credit-risk/champion.json",
        ):
            for action in ("s3:PutObject", "s3:GetObject"):
                self.check_s3(
                    component, role_name, action, f"s3://{artifacts_bucket}/{key}", "C5 bundles"
                )

    def check_db_bootstrap(self) -> None:
        component = "db-bootstrap"
        role_name = str(self.deployment.one("module.db_bootstrap.aws_iam_role.this")["name"])
        policies = self.deployment.policies(role_name)
        master = self.master_secret_arn()
        if not allows(policies, "secretsmanager:GetSecretValue", master):
            self.finding(component, f"role {role_name} may not read the master secret")
        for role, arn in self.service_secrets().items():
            if not allows(policies, "secretsmanager:PutSecretValue", arn):
                self.finding(component, f"role {role_name} may not write the {role} role's secret")
        project = self.deployment.find("module.db_bootstrap.aws_codebuild_project.this[0]")
        if project is None:
            self.report.unknown.append(
                Finding(
                    component,
                    "check_db_bootstrap: no db-bootstrap project in this deployment (emulator: "
                    "build projects omitted)",
                )
            )
            return
        variables = _known(project["environment"], "the project's environment")[0][
            "environment_variable"
        ]
        env = {v["name"]: v["value"] for v in variables}
        for name in sorted(set(env) ^ self.code.db_bootstrap_buildspec_env):
            self.finding(
                component,
                f"{name} is set on the project but not read by ci/buildspecs/db-bootstrap.yml, "
                "or the other way round",
            )
        services = dict(
            item.split("=", 1)
            for item in _known(
                env.get("DB_BOOTSTRAP_SERVICE_SECRETS", ""), "DB_BOOTSTRAP_SERVICE_SECRETS"
            ).split(",")
            if item
        )
        if services != self.service_secrets():
            self.finding(
                component,
                "DB_BOOTSTRAP_SERVICE_SECRETS does not map every service role to its own secret",
            )
        if env.get("DB_BOOTSTRAP_MASTER_SECRET_ARN") not in (master, UNKNOWN):
            self.finding(component, "DB_BOOTSTRAP_MASTER_SECRET_ARN is not the master secret")

    def check_secret_isolation(self) -> None:
        """Only the proxy reads the service roles' secrets and only db-bootstrap writes them."""
        secrets = self.service_secrets()
        bootstrap = str(self.deployment.one("module.db_bootstrap.aws_iam_role.this")["name"])
        proxy = self.deployment.role_name(self.proxy()["role_arn"])
        for role_name in self.deployment.role_names():
            try:
                policies = self.deployment.policies(role_name)
            except UnknownValueError as unknown:
                if role_name not in (bootstrap, proxy):  # those two: see their own checks
                    self.report.unknown.append(
                        Finding("secrets", f"check_secret_isolation: {unknown}")
                    )
                continue
            for role, arn in secrets.items():
                if role_name != proxy and allows(policies, "secretsmanager:GetSecretValue", arn):
                    self.finding("secrets", f"role {role_name} may read the {role} role's secret")
                if role_name != bootstrap and allows(
                    policies, "secretsmanager:PutSecretValue", arn
                ):
                    self.finding("secrets", f"role {role_name} may write the {role} role's secret")

    def check_master_secret_isolation(self) -> None:
        """Only db-bootstrap may read the RDS master secret."""
        master = self.master_secret_arn()
        bootstrap = str(self.deployment.one("module.db_bootstrap.aws_iam_role.this")["name"])
        for role_name in self.deployment.role_names():
            if role_name == bootstrap:
                continue
            if allows(self.deployment.policies(role_name), "secretsmanager:GetSecretValue", master):
                self.finding("secrets", f"role {role_name} may read the master secret")


def check(resources: dict[str, dict[str, Any]], code: CodeFacts) -> Report:
    checker = Checker(Deployment(resources), code)
    checker.run("feature-store", checker.check_proxy)
    checker.run("feature-pipeline", checker.check_feature_pipeline)
    checker.run("inference", checker.check_inference)
    checker.run("monitoring", checker.check_monitoring)
    checker.run("training", checker.check_training)
    checker.run("db-bootstrap", checker.check_db_bootstrap)
    checker.run("secrets", checker.check_secret_isolation)
    checker.run("secrets", checker.check_master_secret_isolation)
    return checker.report
