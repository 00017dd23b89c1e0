"""The whole platform, end to end, on emulated AWS (moto) and a real local PostgreSQL.

raw CSV → S3 → feature pipeline (s3:// in and out, online store in Postgres) → training with
MLflow on Postgres + S3 artifacts → gate → promote → bundle exported to the artifacts bucket →
`release deploy` + `canary` → predictions through the real Lambda handler → `promote` →
`rollback`, checking at each step what an operator could observe (objects, rows, registry
aliases, alias routing, the model version in the answers), never log text.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlalchemy as sa
from mlflow import MlflowClient

from .conftest import (
    api_gateway_v2_event,
    invoke_lambda_version,
    load_codedeploy_standin,
    run_cli,
)

pytestmark = pytest.mark.timeout(1500)

CUSTOMERS = 1200
AS_OF = "2021-01-01"
FUNCTION = "credit-risk-mx-staging-inference"
ALIAS = "live"
ALARM_PREFIX = "credit-risk-mx-staging-"
REPOSITORY = "credit-risk/inference"
REQUESTS_PER_STAGE = 20

TRAINING_CONFIG = """
search:
  max_rows: 8000
  trials_per_candidate: 1
  time_budget_seconds: 60
training:
  time_budget_seconds: 60
candidates:
  hist_gradient_boosting:
    grid:
      max_iter: [40]
      max_leaf_nodes: [4]
      min_samples_leaf: [200]
evaluation:
  permutation_repeats: 1
  permutation_max_rows: 2000
  bootstrap_replicates: 100
gate:
  # 1,200 customers: per-slice AUCs of a few dozen positives are too noisy for the
  # production disparity bounds; this test is about the release flow, not the model.
  min_auc_ratio: 0.5
  min_approval_ratio: 0.5
"""


def create_database(server_url: str, name: str) -> str:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def stand_up_market(image_v1: str, codedeploy_endpoint: str) -> None:
    """What `terraform apply` leaves behind for the release tool: function, alias, alarms and
    the CodeDeploy application and deployment group that shift the alias."""
    iam = boto3.client("iam")
    role = iam.create_role(
        RoleName=f"{FUNCTION}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    lambda_client = boto3.client("lambda")
    lambda_client.create_function(
        FunctionName=FUNCTION,
        Role=role,
        PackageType="Image",
        Code={"ImageUri": image_v1},
        Environment={"Variables": {"MODEL_VERSION": "1"}},
    )
    version = lambda_client.publish_version(FunctionName=FUNCTION, Description="model 1")
    lambda_client.create_alias(
        FunctionName=FUNCTION, Name=ALIAS, FunctionVersion=version["Version"]
    )
    cloudwatch = boto3.client("cloudwatch")
    for suffix, metric in [("5xx-rate", "5XXError"), ("p99-latency", "Latency")]:
        cloudwatch.put_metric_alarm(
            AlarmName=ALARM_PREFIX + suffix,
            Namespace="AWS/ApiGateway",
            MetricName=metric,
            Statistic="Average",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanThreshold",
        )
        cloudwatch.set_alarm_state(
            AlarmName=ALARM_PREFIX + suffix, StateValue="OK", StateReason="quiet"
        )
    codedeploy = boto3.client("codedeploy", endpoint_url=codedeploy_endpoint)
    codedeploy.create_application(applicationName=FUNCTION, computePlatform="Lambda")
    codedeploy.create_deployment_group(
        applicationName=FUNCTION,
        deploymentGroupName=f"{FUNCTION}-live",
        deploymentConfigName="CodeDeployDefault.LambdaCanary10Percent5Minutes",
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        alarmConfiguration={
            "enabled": True,
            "alarms": [{"name": ALARM_PREFIX + suffix} for suffix in ("5xx-rate", "p99-latency")],
        },
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_STOP_ON_ALARM"]},
    )


def upload_dir(local: Path, bucket: str, prefix: str) -> None:
    s3 = boto3.client("s3")
    for path in sorted(local.rglob("*")):
        if path.is_file():
            s3.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(local)}")


def download_prefix(bucket: str, prefix: str, target: Path) -> Path:
    s3 = boto3.client("s3")
    keys = [
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for obj in page.get("Contents", [])
    ]
    assert keys, f"nothing under s3://{bucket}/{prefix}"
    for key in keys:
        destination = target / key[len(prefix) :].lstrip("/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(destination))
    return target


def alias_routing() -> tuple[str, dict[str, float]]:
    alias = boto3.client("lambda").get_alias(FunctionName=FUNCTION, Name=ALIAS)
    weights = alias.get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
    return alias["FunctionVersion"], {k: float(v) for k, v in weights.items()}


def model_versions_by_lambda_version(release_env: dict[str, str]) -> dict[str, str]:
    """What `release status` says each serving Lambda version carries (from its release record)."""
    status = json.loads(run_cli("release", "status", "--json", env=release_env))
    return {str(k): str(v) for k, v in status["model_versions"].items()}


def serve_through_alias(
    customer_ids: list[str],
    bundles: dict[str, Path],
    store_url: str,
    release_env: dict[str, str],
) -> list[dict[str, Any]]:
    """Route requests the way the alias does, deterministically (a version with weight w gets
    every request at which the running total of w crosses a whole number), and answer each
    through the real handler of the Lambda version it lands on."""
    primary, weights = alias_routing()
    routed: dict[str, list[int]] = {}
    for index in range(len(customer_ids)):
        version = primary
        for canary, weight in weights.items():
            if math.floor((index + 1) * weight + 1e-9) > math.floor(index * weight + 1e-9):
                version = canary
        routed.setdefault(version, []).append(index)
    model_of = model_versions_by_lambda_version(release_env)
    answers: list[dict[str, Any]] = [{} for _ in customer_ids]
    for version, indexes in routed.items():
        events = [
            api_gateway_v2_event("POST", "/predict", {"id": customer_ids[i]}) for i in indexes
        ]
        responses = invoke_lambda_version(events, bundles[model_of[version]], store_url)
        for i, response in zip(indexes, responses, strict=True):
            assert response["statusCode"] == 200, response
            answers[i] = {"lambda_version": version, **json.loads(response["body"])}
    return answers


def test_raw_file_to_canary_promote_and_rollback(
    tmp_path: Path, aws_reset: str, postgres_url: str
) -> None:
    with contextlib.ExitStack() as stack:
        release_flow(tmp_path, postgres_url, stack)


def release_flow(tmp_path: Path, postgres_url: str, stack: contextlib.ExitStack) -> None:
    s3 = boto3.client("s3")
    for bucket in ("raw", "lake", "artifacts"):
        s3.create_bucket(Bucket=bucket)
    store_url = create_database(postgres_url, "e2e_feature_store")
    tracking_uri = create_database(postgres_url, "e2e_mlflow")

    # 1. The raw file lands in the raw bucket.
    raw = tmp_path / "loans.csv"
    run_cli("generate-loans", "--customers", str(CUSTOMERS), "--seed", "11", "--out", str(raw))
    s3.upload_file(str(raw), "raw", "loans/loans.csv")
    with raw.open() as handle:
        rows = list(csv.DictReader(handle))
    customers = sorted({row["id"] for row in rows})
    assert len(customers) == CUSTOMERS

    # 2. Features: s3:// in and out, online store in Postgres.
    run_cli(
        "feature-pipeline", "run",
        "--input", "s3://raw/loans/loans.csv",
        "--output", "s3://lake/features/run-1",
        "--online-store", store_url,
        "--as-of", AS_OF,
    )  # fmt: skip
    latest = json.loads(s3.get_object(Bucket="lake", Key="features/run-1/_LATEST")["Body"].read())
    features_run = f"features/run-1/{latest['prefix']}"  # the run folder _LATEST names
    manifest = json.loads(
        s3.get_object(Bucket="lake", Key=f"{features_run}_SUCCESS")["Body"].read()
    )
    assert manifest["as_of"] == AS_OF
    assert manifest["row_counts"]["rows_in"] == len(rows)
    assert manifest["row_counts"]["training_rows"] == len(rows)  # a clean file: nothing rejected
    assert manifest["row_counts"]["online_rows"] == len(customers)
    engine = sa.create_engine(store_url)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM customer_features")).scalar()
    engine.dispose()
    assert stored == len(customers)

    # 3. Train twice on the lake's training set; MLflow on Postgres with S3 artifacts.
    config = tmp_path / "training.yaml"
    config.write_text(TRAINING_CONFIG)
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    bundles: dict[str, Path] = {}
    for expected_version in ("1", "2"):
        run_cli(
            "model-training", "train",
            "--data", f"s3://lake/{features_run}",
            "--tracking-uri", tracking_uri,
            "--artifact-location", "s3://artifacts/mlflow",
            "--config", str(config),
            "--raw", str(raw),
        )  # fmt: skip
        challenger = client.get_model_version_by_alias("credit-risk", "challenger")
        assert str(challenger.version) == expected_version
        run_cli(
            "model-training", "promote",
            "--version", expected_version,
            "--tracking-uri", tracking_uri,
            "--reason", "e2e",
        )  # fmt: skip
        champion = client.get_model_version_by_alias("credit-risk", "champion")
        assert str(champion.version) == expected_version
        exported = tmp_path / f"export-{expected_version}"
        run_cli(
            "model-training", "export",
            "--alias", "champion",
            "--out", str(exported),
            "--tracking-uri", tracking_uri,
        )  # fmt: skip
        upload_dir(exported, "artifacts", f"bundles/credit-risk/{expected_version}")
        bundles[expected_version] = download_prefix(
            "artifacts",
            f"bundles/credit-risk/{expected_version}",
            tmp_path / f"image-{expected_version}",
        )
        metadata = json.loads((bundles[expected_version] / "metadata.json").read_text())
        assert metadata["model_version"] == expected_version
    artifact_keys = s3.list_objects_v2(Bucket="artifacts", Prefix="mlflow/")
    assert artifact_keys.get("KeyCount", 0) > 0, "MLflow wrote no artifacts to S3"

    # 4. The market as Terraform leaves it: live alias on model 1. CodeDeploy is the stand-in
    # of the release-tool tests (moto does not execute deployments); no pre-traffic hook yet.
    ecr = boto3.client("ecr")
    repository_uri = ecr.create_repository(repositoryName=REPOSITORY)["repository"]["repositoryUri"]
    codedeploy = load_codedeploy_standin().CodeDeployStandIn(
        boto3.client("lambda"), boto3.client("cloudwatch")
    )
    stack.enter_context(codedeploy)
    stand_up_market(f"{repository_uri}:model-1", codedeploy.endpoint)
    release_env = {
        "RELEASE_FUNCTION_NAME": FUNCTION,
        "RELEASE_PRE_TRAFFIC_HOOK": "none",
        "AWS_ENDPOINT_URL_CODEDEPLOY": codedeploy.endpoint,
    }
    sample = customers[:REQUESTS_PER_STAGE]

    answers = serve_through_alias(sample, bundles, store_url, release_env)
    assert {a["model_version"] for a in answers} == {"1"}

    # 5. Deploy model 2's image as a new version: no traffic moves yet.
    run_cli(
        "release", "deploy", "--image-uri", f"{repository_uri}:model-2", "--model-version", "2",
        "--timeout", "60", env=release_env,
    )  # fmt: skip
    assert alias_routing() == ("1", {})

    # 6. Canary 10% (CodeDeploy's first step): one request in ten answered by model 2.
    run_cli("release", "canary", "--percent", "10", "--reason", "e2e", env=release_env)
    codedeploy.advance()
    assert alias_routing() == ("1", {"2": pytest.approx(0.1)})
    answers = serve_through_alias(sample, bundles, store_url, release_env)
    served_by = [a["model_version"] for a in answers]
    assert served_by.count("2") == REQUESTS_PER_STAGE // 10
    assert served_by.count("1") == REQUESTS_PER_STAGE - REQUESTS_PER_STAGE // 10
    for answer in answers:
        assert answer["id"] in sample
        assert 0.0 <= answer["probability"] <= 1.0
        assert answer["prediction"] == int(answer["probability"] >= answer["threshold"])
        assert answer["as_of"] == AS_OF

    # 7. Promote: every answer comes from model 2.
    codedeploy.advance_on_poll = True  # each poll of promote's waiter: one bake interval
    run_cli("release", "promote", "--poll-seconds", "0", env=release_env)
    assert alias_routing() == ("2", {})
    answers = serve_through_alias(sample, bundles, store_url, release_env)
    assert {a["model_version"] for a in answers} == {"2"}

    # 8. Roll back at 3 a.m.: one call, and the answers report model 1 again.
    run_cli("release", "rollback", "--reason", "e2e", "--poll-seconds", "0", env=release_env)
    assert alias_routing() == ("1", {})
    answers = serve_through_alias(sample, bundles, store_url, release_env)
    assert {a["model_version"] for a in answers} == {"1"}
    status = json.loads(run_cli("release", "status", "--json", env=release_env))
    assert status["phase"] == "stable"
    assert status["stable_version"] == "1"
