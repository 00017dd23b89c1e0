"""A new market from `make new-market` to its first release, every component under its own role.

`make new-market MARKET=co REGION=sa-east-1` -> apply co/staging on the emulator with IAM
enforced (market.py) -> the lender's file of loans dated up to today -> the Glue job entry on
local Spark (s3:// in and out, the store as `feature_pipeline` over verified TLS) -> training,
publish (the train.yml buildspec as the training CodeBuild project) -> image build context
(fetch-bundle.sh as the image build) -> deploy (deploy-inference.sh and the release tool as the
deploy build, CodeDeploy's stand-in running the real pre-traffic hook) -> promote -> monitoring
(the scheduled Lambda event) -> a second model whose canary alarm fires rolls back: registry,
S3 champion pointer and Lambda alias all stay on the first model -> the release manifest for prod.
Any AccessDenied fails the step that met it.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError
from mlflow import MlflowClient

from platform_testkit import aws
from platform_testkit.iam import is_access_denied

from .components import (
    BIN,
    LambdaService,
    deliver_prediction_log,
    grown_portfolio,
    recent_loans,
    run,
    run_training_stage,
    tool_path,
)
from .conftest import api_gateway_rest_event, load_codedeploy_standin
from .market import (
    CODEBUILD,
    CODEDEPLOY,
    GLUE,
    LAMBDA,
    MARKET_SERVICES,
    REPO,
    STATES,
    Market,
    applied_market,
    release_uri,
)
from .market import MARKET as MARKET_CODE

pytestmark = [pytest.mark.timeout(1800), pytest.mark.aws_services(*MARKET_SERVICES)]

CUSTOMERS = 2000
MODEL = "credit-risk"
CANARY_REQUESTS = 20
# The market's training environment (tfvars `training.environment`, MODEL_TRAINING_<SECTION>_
# <FIELD>): a small budget, and the fairness bounds loosened for a 2,000-customer file whose
# per-slice AUCs rest on a few dozen positives (this test is about the release chain).
TRAINING_ENVIRONMENT = {
    "MODEL_TRAINING_SEARCH_TRIALS_PER_CANDIDATE": "1",
    "MODEL_TRAINING_SEARCH_TIME_BUDGET_SECONDS": "30",
    "MODEL_TRAINING_TRAINING_TIME_BUDGET_SECONDS": "30",
    "MODEL_TRAINING_EVALUATION_PERMUTATION_REPEATS": "1",
    "MODEL_TRAINING_EVALUATION_BOOTSTRAP_REPLICATES": "100",
    "MODEL_TRAINING_GATE_MIN_AUC_RATIO": "0.5",
    "MODEL_TRAINING_GATE_MIN_APPROVAL_RATIO": "0.5",
}
# The pre-traffic hook's policy as infra/modules/inference/hooks.tf writes it (the composition
# module does not enable the hook yet, so Terraform makes no hook role on the emulator).
HOOK_STATEMENTS = [
    {
        "Sid": "ReadDeploymentAndReportVerdict",
        "Effect": "Allow",
        "Action": ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"],
        "Resource": "*",
    },
    {
        "Sid": "CheckTheNewVersion",
        "Effect": "Allow",
        "Action": ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction"],
        "Resource": "*",
    },
]


@pytest.fixture(scope="module")
def market(aws_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    external = aws.external_endpoint() is not None
    with applied_market(tmp_path_factory.mktemp("market"), aws_endpoint, external) as applied:
        yield applied


# -- the harness bites ----------------------------------------------------------------------------


def test_a_role_without_one_statement_fails_its_step(market: Market, tmp_path: Path) -> None:
    """The deploy build's role minus PublishFunctionVersion: `release deploy` stops with
    AccessDenied at its first Lambda call, as it would in AWS."""
    if not market.enforced:
        pytest.skip("the external emulator's IAM enforcement is its own setting")
    copy = market.identity.copy_role_without(
        market.role("ci-deploy"), "PublishFunctionVersion", "credit-risk-co-staging-ci-deploy-cut"
    )
    env = {
        **market.env_as(copy, CODEBUILD),
        "RELEASE_FUNCTION_NAME": market.output("function_name"),
        "RELEASE_PRE_TRAFFIC_HOOK": "none",
        "RELEASE_ACTOR": "harness-check",
    }
    proc = run(
        [str(BIN / "release"), "deploy", "--image-uri",
         f"{market.output('ecr_repository_urls')['inference']}:never", "--model-version", "1",
         "--model-sha256", "0" * 64],
        env,
        expect=None,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "AccessDenied" in proc.stdout + proc.stderr, proc.stderr[-2000:]
    # The intact role passes the same step's first call.
    with market.identity.acting_as(market.role("ci-deploy"), service=CODEBUILD):
        boto3.client("lambda", region_name="sa-east-1").get_function_configuration(
            FunctionName=market.output("function_name")
        )


# -- the flow -------------------------------------------------------------------------------------


class CanaryTraffic:
    """What happens while a canary bakes: requests reach the alias, and for a bad model the
    per-version alarm fires (moto stores alarms but never evaluates them: the test sets the
    state CloudWatch would set once the new version's errors cross the threshold)."""

    def __init__(self, market: Market, lambdas: LambdaService, customers: list[str]) -> None:
        self.market = market
        self.lambdas = lambdas
        self.customers = customers
        self.fire_alarm: str | None = None
        self.answers: list[dict[str, Any]] = []

    def __call__(self, deployment: Any) -> None:
        self.answers = serve_through_alias(self.market, self.lambdas, self.customers)
        if self.fire_alarm:
            self.market.client("cloudwatch").set_alarm_state(
                AlarmName=self.fire_alarm,
                StateValue="ALARM",
                StateReason="canary version's errors above threshold",
            )


def serve_through_alias(
    market: Market, lambdas: LambdaService, customers: list[str]
) -> list[dict[str, Any]]:
    """Route requests as the alias does, deterministically (weight w: every request at which
    the running total of w crosses a whole number), through the version they land on."""
    alias = market.client("lambda").get_alias(
        FunctionName=market.output("function_name"), Name="live"
    )
    weights = alias.get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
    answers = []
    for index, customer in enumerate(customers):
        version = alias["FunctionVersion"]
        for canary, weight in weights.items():
            if int((index + 1) * weight + 1e-9) > int(index * weight + 1e-9):
                version = canary
        event = api_gateway_rest_event("POST", "/predict", {"id": customer})
        response = lambdas.invoke(version, event)
        body = json.loads(response["body"]) if "body" in response else response
        answers.append({"lambda_version": version, "status": response.get("statusCode"), **body})
    return answers


def start_codedeploy(market: Market, traffic: CanaryTraffic, lambdas: LambdaService) -> Any:
    """CodeDeploy (the release-tool tests' stand-in) under the deployment group's service role,
    configured as Terraform configured the group; the canary bakes with `traffic` running."""
    standin = load_codedeploy_standin()
    role = market.credentials("codedeploy", CODEDEPLOY)

    class CodeDeploy(standin.CodeDeployStandIn):  # type: ignore[misc,name-defined]
        def _shift(self, deployment: Any) -> None:
            canary_step = deployment.weight == 0.0
            super()._shift(deployment)
            if (
                canary_step
                and 0.0 < deployment.weight < 1.0
                and deployment.status in standin.ACTIVE
            ):
                traffic(deployment)

        def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
            # Time runs as fast as the tool polls: each poll finds the deployment finished.
            if operation in {"GetDeployment", "BatchGetDeployments"}:
                for deployment_id in body.get("deploymentIds") or [body.get("deploymentId")]:
                    if deployment_id in self.deployments:
                        while self.deployments[deployment_id].status in standin.ACTIVE:
                            self._advance_if_active(deployment_id)
            result: dict[str, Any] = super().call(operation, body)
            return result

    codedeploy = CodeDeploy(
        ServiceRoleLambda(market.client("lambda", role), market.client("lambda")),
        market.client("cloudwatch", role),
    )
    group = market.resource("module.inference.aws_codedeploy_deployment_group.this")
    app = market.resource("module.inference.aws_codedeploy_app.this")
    codedeploy.call("CreateApplication", {"applicationName": app["name"]})
    rollback = group["auto_rollback_configuration"][0]
    codedeploy.call(
        "CreateDeploymentGroup",
        {
            "applicationName": app["name"],
            "deploymentGroupName": group["deployment_group_name"],
            "deploymentConfigName": group["deployment_config_name"],
            "serviceRoleArn": group["service_role_arn"],
            # moto does not return the group's alarms; these are the ones deploy.tf configures.
            "alarmConfiguration": {
                "enabled": True,
                "alarms": [{"name": name} for name in deployment_alarms(market)],
            },
            "autoRollbackConfiguration": {
                "enabled": rollback["enabled"],
                "events": rollback["events"],
            },
        },
    )
    hook_name = f"{market.output('function_name')}-pre-traffic"
    hook_role = market.identity.create_role(hook_name, HOOK_STATEMENTS, service=LAMBDA)
    hook = load_hook_module()
    # The hook function as hooks.tf defines it (its one-file zip; the composition module does
    # not create it yet). moto stores it; invoking it is this test's job (no Docker).
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.write(hook.__file__, "pre_traffic_hook.py")
    market.client("lambda").create_function(
        FunctionName=hook_name,
        Runtime="python3.11",
        Handler="pre_traffic_hook.handler",
        Role=hook_role,
        Code={"ZipFile": package.getvalue()},
        Environment={
            "Variables": {
                "KNOWN_CUSTOMER_ID": traffic.customers[0],
                "TARGET_FUNCTION_NAME": market.output("function_name"),
            }
        },
    )

    def run_hook(event: dict[str, Any], context: Any) -> Any:
        credentials = market.credentials(hook_role, LAMBDA)
        return hook.run_hook(
            event,
            codedeploy=credentials.session("sa-east-1").client(
                "codedeploy", endpoint_url=codedeploy.endpoint
            ),
            lambda_client=market.client("lambda", credentials),
            invoke=lambdas.invoker(),
            customer_id=traffic.customers[0],
            allowed_function=market.output("function_name"),
        )

    codedeploy.register_hook(hook_name, run_hook)
    return codedeploy


class ServiceRoleLambda:
    """The deployment group's Lambda client: alias reads and shifts under its service role. The
    stand-in also checks that the target version exists with GetFunctionConfiguration, a call
    of its own that CodeDeploy's role (like AWS's AWSCodeDeployRoleForLambda) is not granted:
    that one call goes out as the admin."""

    def __init__(self, as_role: Any, as_admin: Any) -> None:
        self._as_role = as_role
        self._as_admin = as_admin

    def get_function_configuration(self, **kwargs: Any) -> Any:
        return self._as_admin.get_function_configuration(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._as_role, name)


def canary_alarm(market: Market, name: str) -> str:
    return str(
        market.resource(f"module.inference.aws_cloudwatch_metric_alarm.{name}")["alarm_name"]
    )


def deployment_alarms(market: Market) -> list[str]:
    """The group's alarms as infra/modules/inference/deploy.tf lists them: the per-version
    canary alarms, then the market's rollback alarms."""
    canary = [
        canary_alarm(market, name)
        for name in ("canary_lambda_errors", "canary_prediction_errors", "canary_latency_p99")
    ]
    return [*canary, *market.output("deployment_alarm_names")]


def load_hook_module() -> Any:
    from release_tool import pre_traffic_hook

    return pre_traffic_hook


def test_new_market_first_release_then_a_bad_canary_rolls_back(
    market: Market, tmp_path: Path, postgres_role_url: Any
) -> None:
    with contextlib.ExitStack() as stack:
        new_market_flow(market, tmp_path, postgres_role_url, stack)


def new_market_flow(
    market: Market, tmp_path: Path, role_url: Any, stack: contextlib.ExitStack
) -> None:
    today = datetime.now(UTC).date()
    buckets = market.output("bucket_names")
    function = market.output("function_name")
    glue = market.resource("module.feature_pipeline.aws_glue_job.this")
    arguments = dict(glue["default_arguments"])
    input_uri, features_uri = arguments["--input"], arguments["--output"]
    admin_s3 = market.client("s3")

    # 1-2. The lender's file of loans dated up to today lands in the raw bucket; the Glue job
    #      turns it into the training set and the online store.
    rows = recent_loans(tmp_path / "loans.csv", CUSTOMERS, 7, today)
    customers = sorted({row["id"] for row in rows})
    run_feature_pipeline(market, tmp_path / "loans.csv", rows, role_url, tmp_path / "glue-1")

    # 3. Training and publishing: the train.yml buildspec as the training project runs it.
    training_env = {
        "FEATURES_URI": features_uri,
        "ARTIFACTS_URI": f"s3://{buckets['artifacts']}/models/",
        "RAW_URI": input_uri,
        "MLFLOW_TRACKING_URI": role_url("mlflow"),
        "MODEL_TRAINING_DB_AUTH": "iam",
        **TRAINING_ENVIRONMENT,
    }
    images: dict[str, Path] = {}
    lambdas = LambdaService(market, function, role_url("inference"), images)
    stack.callback(lambdas.close)
    traffic = CanaryTraffic(market, lambdas, customers[:CANARY_REQUESTS])
    codedeploy = start_codedeploy(market, traffic, lambdas)
    stack.enter_context(codedeploy)

    first = train_publish_and_build(market, training_env, images, tmp_path / "model-1")
    assert first["MODEL_VERSION"] == "1"
    # Read as the registry's own role, after training created its schema as that role.
    registry = MlflowClient(tracking_uri=role_url("mlflow"))

    # 4. Deploy model 1 through CodeDeploy: the pre-traffic hook checks the new version, the
    #    canary serves a tenth of the requests, then all of them.
    deploy_env = deploy_build_env(market, codedeploy.endpoint)
    run(["bash", str(market.root.parents[3] / "ci/scripts/deploy-inference.sh")],
        {**deploy_env, **first["deploy"]})  # fmt: skip
    # Version 1 of the function is Terraform's bootstrap image (not built here); the canary's
    # tenth is model 1's.
    canary = [a for a in traffic.answers if a["lambda_version"] != "1"]
    assert len(canary) == CANARY_REQUESTS // 10
    assert all(a["status"] == 200 and a["model_version"] == "1" for a in canary), canary
    assert model_behind_alias(market, function) == "1"
    hooks = [d for d in codedeploy.deployments.values() if d.hook_status]
    assert hooks
    assert all(set(d.hook_status.values()) == {"Succeeded"} for d in hooks)

    # 5. Only now does the registry move (the state machine's promote stage).
    run_training_stage(market, "promote", {**training_env, "MODEL_VERSION": "1"}, tmp_path / "p1")
    assert str(registry.get_model_version_by_alias(MODEL, "champion").version) == "1"
    champion = champion_pointer(admin_s3, buckets["artifacts"])
    assert champion["model_version"] == "1"

    #    The pipeline's last stage: the release that passed staging, published for prod.
    publish_env = {**deploy_env, **release_publish_env(market, first)}
    publish_release = str(market.root.parents[3] / "ci/scripts/publish-release.sh")
    run(["bash", publish_release], publish_env)

    # 6. Monitoring: tomorrow's scheduled run over today's prediction log, as its role.
    answers = serve_through_alias(market, lambdas, customers[:CANARY_REQUESTS])
    assert {(a["status"], a["model_version"]) for a in answers} == {(200, "1")}
    deliver_prediction_log(market, lambdas.prediction_lines(), today)
    report = run_monitoring(market, role_url("monitoring"), today, tmp_path)
    assert report["predictions"] >= CANARY_REQUESTS

    # 7. A second model whose canary alarm fires: CodeDeploy rolls back; nothing moves.
    #    Retraining follows new data: the next file adds customers to the portfolio (the same
    #    data would rebuild model 1 byte for byte, an image the release tool refuses twice).
    grown = grown_portfolio(tmp_path / "loans-2.csv", rows, CUSTOMERS // 2, 8, today)
    run_feature_pipeline(market, tmp_path / "loans-2.csv", grown, role_url, tmp_path / "glue-2")
    second = train_publish_and_build(market, training_env, images, tmp_path / "model-2")
    assert second["MODEL_SHA256"] != first["MODEL_SHA256"]
    assert second["MODEL_VERSION"] == "2"
    traffic.fire_alarm = canary_alarm(market, "canary_prediction_errors")
    failed = run(["bash", str(market.root.parents[3] / "ci/scripts/deploy-inference.sh")],
                 {**deploy_env, **second["deploy"]}, expect=None)  # fmt: skip
    assert failed.returncode != 0, failed.stdout
    served = {(a["status"], a["model_version"]) for a in traffic.answers}
    assert served == {(200, "1"), (200, "2")}, (failed.stdout + failed.stderr, first, second)
    alias = market.client("lambda").get_alias(FunctionName=function, Name="live")
    assert not alias.get("RoutingConfig", {}).get("AdditionalVersionWeights")
    assert model_behind_alias(market, function) == "1"
    assert str(registry.get_model_version_by_alias(MODEL, "champion").version) == "1"
    assert champion_pointer(admin_s3, buckets["artifacts"]) == champion
    #    A rolled-back canary is nothing to promote: the published release stays model 1's.
    refused = run(["bash", publish_release], publish_env, expect=None)
    assert refused.returncode != 0
    assert "nothing passed to promote" in refused.stdout + refused.stderr, refused.stderr

    # 8. co/prod deploys exactly what passed staging.
    promote_to_prod(market, role_url, images, customers, first["deploy"], tmp_path / "prod")

    # 9. The state machine's task calls that the emulator can execute, as its role.
    state_machine_tasks(market)


def release_publish_env(market: Market, release: dict[str, Any]) -> dict[str, str]:
    """The publish-release project's environment (infra/modules/cicd/main.tf) after a release."""
    return {
        "RELEASE_PUBLISH_URI": release_uri(market.identity.account_id),
        "IMAGE_URI": release["deploy"]["IMAGE_URI"],
        "BUNDLE_PREFIX": release["BUNDLE_PREFIX"],
        "MARKET": MARKET_CODE,
        "ENVIRONMENT": "staging",
        "CODEBUILD_RESOLVED_SOURCE_VERSION": "e2e0" * 10,
    }


def promote_to_prod(
    market: Market,
    role_url: Any,
    images: dict[str, Path],
    customers: list[str],
    staged: dict[str, str],
    workdir: Path,
) -> None:
    """Prod's pipeline in promotion mode: its source is the release archive staging published
    (read as prod's pipeline role); the deploy build runs the archive's own deploy-inference.sh
    with the manifest, under prod's roles and prod's CodeDeploy group. Nothing is rebuilt."""
    prod = market.prod
    assert prod is not None
    bucket, _, key = release_uri(market.identity.account_id)[len("s3://") :].partition("/")
    pipeline = prod.credentials(prod.role("release-pipeline"), "codepipeline.amazonaws.com")
    archive = workdir / "release.zip"
    workdir.mkdir(parents=True)
    prod.client("s3", pipeline).download_file(bucket, key, str(archive))
    source = workdir / "source"
    with zipfile.ZipFile(archive) as release:
        assert not [n for n in release.namelist() if "/.terraform/" in n or ".tfstate" in n]
        release.extractall(source)
    manifest = json.loads((source / "release-manifest.json").read_text())
    assert (manifest["image_uri"], manifest["model_version"], manifest["model_sha256"]) == (
        staged["IMAGE_URI"], staged["MODEL_VERSION"], staged["MODEL_SHA256"],
    )  # fmt: skip

    function = prod.output("function_name")
    with contextlib.ExitStack() as stack:
        lambdas = LambdaService(prod, function, role_url("inference"), images)
        stack.callback(lambdas.close)
        traffic = CanaryTraffic(prod, lambdas, customers[:CANARY_REQUESTS])
        codedeploy = stack.enter_context(start_codedeploy(prod, traffic, lambdas))
        env = {
            **deploy_build_env(prod, codedeploy.endpoint),
            "RELEASE_MANIFEST": "release-manifest.json",
        }
        run(["bash", str(source / "ci/scripts/deploy-inference.sh")], env)

        live = prod.client("lambda").get_alias(FunctionName=function, Name="live")
        assert not live.get("RoutingConfig", {}).get("AdditionalVersionWeights")
        version = prod.client("lambda").get_function(
            FunctionName=function, Qualifier=live["FunctionVersion"]
        )
        assert version["Code"]["ImageUri"] == staged["IMAGE_URI"]  # the digest staging tested
        assert model_behind_alias(prod, function) == staged["MODEL_VERSION"]
        canary = [a for a in traffic.answers if a["lambda_version"] == live["FunctionVersion"]]
        assert canary
        assert all(a["status"] == 200 and a["model_version"] == "1" for a in canary), canary


def run_feature_pipeline(
    market: Market, loans: Path, rows: list[dict[str, str]], role_url: Any, workdir: Path
) -> None:
    """The file lands in the raw bucket; the Glue job's script is uploaded by the CI Glue build,
    then run as Glue runs it (its role, its default arguments; only the proxy host becomes the
    test server). Every row is counted, and the store holds one row per customer."""
    glue = market.resource("module.feature_pipeline.aws_glue_job.this")
    arguments = dict(glue["default_arguments"])
    input_uri, features_uri = arguments["--input"], arguments["--output"]
    admin_s3 = market.client("s3")
    raw_bucket, _, raw_key = input_uri[len("s3://") :].partition("/")
    admin_s3.upload_file(str(loans), raw_bucket, raw_key)

    script_bucket, _, script_key = glue["command"][0]["script_location"][5:].partition("/")
    ci_glue = market.client("s3", market.credentials("ci-glue", CODEBUILD))
    ci_glue.upload_file(str(REPO / "feature-pipeline/glue/job.py"), script_bucket, script_key)
    script = workdir / "job.py"
    workdir.mkdir(parents=True)
    market.client("s3", market.credentials("feature-pipeline", GLUE)).download_file(
        script_bucket, script_key, str(script)
    )
    assert arguments["--store_auth"] == "iam"
    arguments["--online_store"] = role_url("feature_pipeline")
    job_args = [item for name, value in arguments.items() for item in (name, value)]
    glue_env = market.env_as("feature-pipeline", GLUE)
    run([sys.executable, str(script), "--JOB_NAME", glue["name"], *job_args], glue_env)

    features_bucket, _, features_prefix = features_uri[len("s3://") :].partition("/")
    latest = json.loads(
        admin_s3.get_object(Bucket=features_bucket, Key=f"{features_prefix}_LATEST")["Body"].read()
    )
    assert latest["as_of"] == datetime.now(UTC).date().isoformat()
    manifest = json.loads(
        admin_s3.get_object(
            Bucket=features_bucket, Key=f"{features_prefix}{latest['prefix']}_SUCCESS"
        )["Body"].read()
    )
    customers = {row["id"] for row in rows}
    assert manifest["row_counts"]["rows_in"] == len(rows)
    assert manifest["row_counts"]["online_rows"] == len(customers)
    engine = sa.create_engine(role_url.admin_url("features"))
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM customer_features")).scalar()
        owner = connection.execute(
            sa.text("SELECT tableowner FROM pg_tables WHERE tablename = 'customer_features'")
        ).scalar()
    engine.dispose()
    assert (stored, owner) == (len(customers), "feature_pipeline")


def train_publish_and_build(
    market: Market, training_env: dict[str, str], images: dict[str, Path], workdir: Path
) -> dict[str, Any]:
    """train + publish stages, then the inference image's build: fetch-bundle.sh and the push
    (ECR PutImage of the image manifest) as the image build's role."""
    trained = run_training_stage(market, "train", training_env, workdir / "train")
    assert trained["GATE_PASSED"] == "true", trained
    published = run_training_stage(
        market, "publish", {**training_env, "MODEL_VERSION": trained["MODEL_VERSION"]},
        workdir / "publish",
    )  # fmt: skip
    context = workdir / "inference-image"
    source = market.root.parents[3]
    image_env = {
        **market.env_as("ci-image", CODEBUILD),
        "PATH": tool_path(),
        "IMAGE_CONTEXT": str(context),
        "BUNDLE_PREFIX": published["BUNDLE_PREFIX"],
    }
    run(["bash", str(source / "ci/scripts/fetch-bundle.sh")], image_env)  # fmt: skip
    assert (source / "build/model-sha256").read_text().strip() == published["MODEL_SHA256"]
    ecr = market.client("ecr", market.credentials("ci-image", CODEBUILD))
    repository = market.output("ecr_repository_urls")["inference"].split("/", 1)[1]
    # The bundle is the image's top layer; moto derives the image digest from the layers'.
    layer = {
        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "size": 1,
        "digest": "sha256:" + published["MODEL_SHA256"],
    }
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {**layer, "mediaType": "application/vnd.docker.container.image.v1+json"},
        "layers": [layer],
    })  # fmt: skip
    pushed = ecr.put_image(
        repositoryName=repository, imageManifest=manifest,
        imageTag=f"model-{trained['MODEL_VERSION']}",
    )["image"]  # fmt: skip
    image_uri = (
        f"{market.output('ecr_repository_urls')['inference']}@{pushed['imageId']['imageDigest']}"
    )
    images[image_uri] = context / "bundle"
    return {
        **trained,
        **published,
        "deploy": {
            "IMAGE_URI": image_uri,
            "MODEL_VERSION": trained["MODEL_VERSION"],
            "MODEL_SHA256": published["MODEL_SHA256"],
        },
    }


def deploy_build_env(market: Market, codedeploy_endpoint: str) -> dict[str, str]:
    """The deploy-inference project's environment (infra/modules/cicd/main.tf), its role."""
    group = market.resource("module.inference.aws_codedeploy_deployment_group.this")
    return {
        **market.env_as("ci-deploy", CODEBUILD),
        "PATH": tool_path(),
        "FUNCTION_NAME": market.output("function_name"),
        "CODEDEPLOY_APP": group["app_name"],
        "CODEDEPLOY_GROUP": group["deployment_group_name"],
        "PRE_TRAFFIC_HOOK": f"{market.output('function_name')}-pre-traffic",
        "CANARY_TIMEOUT_SECONDS": "120",
        "CODEBUILD_BUILD_ID": f"{market.output('name_prefix')}-deploy-inference:e2e",
        "AWS_ENDPOINT_URL_CODEDEPLOY": codedeploy_endpoint,
    }


def model_behind_alias(market: Market, function: str) -> str:
    """The model version `release deploy` recorded on the version the alias serves."""
    lam = market.client("lambda")
    version = lam.get_alias(FunctionName=function, Name="live")["FunctionVersion"]
    record = json.loads(
        lam.get_function_configuration(FunctionName=function, Qualifier=version)["Description"]
    )
    return str(record["model_version"])


def champion_pointer(s3: Any, bucket: str) -> dict[str, Any]:
    body = s3.get_object(Bucket=bucket, Key=f"bundles/{MODEL}/champion.json")["Body"].read()
    pointer: dict[str, Any] = json.loads(body)
    return pointer


def run_monitoring(market: Market, store_url: str, today: date, workdir: Path) -> dict[str, Any]:
    """The monitoring function's scheduled event (EventBridge target input, as Terraform set
    it), fired tomorrow, through the handler under the function's role."""
    target = market.resource("module.monitoring.aws_cloudwatch_event_target.runner")
    event = {
        **json.loads(target["input"]),
        "now": f"{date.fromordinal(today.toordinal() + 1)}T06:00:00+00:00",
    }
    config = market.client("lambda").get_function_configuration(
        FunctionName=market.output("monitoring_function_name")
    )
    variables = dict(config["Environment"]["Variables"])
    variables["MONITOR_ONLINE_STORE_URL"] = store_url
    env = {**market.env_as("monitoring", LAMBDA), **variables}
    # The attributes of the runtime's context object that Powertools Logger reads.
    context = {
        "function_name": config["FunctionName"],
        "memory_limit_in_mb": config["MemorySize"],
        "invoked_function_arn": config["FunctionArn"],
        "aws_request_id": "e2e-monitoring-0001",
    }
    code = (
        "import json, sys, types; from risk_monitoring.lambda_handler import handler; "
        "context = types.SimpleNamespace(**json.loads(sys.argv[2])); "
        "result = handler(json.loads(sys.argv[1]), context); "
        "print('@@RESULT@@' + json.dumps({k: v for k, v in result.items() if k != 'report'}))"
    )
    proc = run(
        [sys.executable, "-c", code, json.dumps(event), json.dumps(context)], env, cwd=workdir
    )
    result: dict[str, Any] = json.loads(proc.stdout.split("@@RESULT@@", 1)[1])
    bucket, _, key = str(result["report_uri"])[len("s3://") :].partition("/")
    market.client("s3").head_object(Bucket=bucket, Key=key)
    return result


def state_machine_tasks(market: Market) -> None:
    """Step Functions runs its tasks with the state machine's role; moto executes none of the
    Glue/CodeBuild integrations, so the calls it can serve are made here with that role."""
    credentials = market.credentials("state-machine", STATES)
    glue_job = market.resource("module.feature_pipeline.aws_glue_job.this")["name"]
    run_id = market.client("glue", credentials).start_job_run(JobName=glue_job)["JobRunId"]
    assert run_id
    topic = market.output("alarm_topic_arn")
    market.client("sns", credentials).publish(TopicArn=topic, Message="retraining finished")
    if market.enforced:  # and nothing beyond its tasks
        with pytest.raises(ClientError) as refused:
            market.client("s3", credentials).list_objects_v2(
                Bucket=market.output("bucket_names")["raw"]
            )
        assert is_access_denied(refused.value)
