"""`terraform apply` then `destroy` against the moto server, checking what exists with boto3.

Applies infra/tests/moto_root: the same modules as a market root minus feature_store and cicd
(see the comment in moto_root/main.tf and infra/README.md for why).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from . import sfn_shim
from .conftest import LOCAL_BACKEND_OVERRIDE, Terraform
from .glue_deps import GLUE_PREFIX_KEY, check_job_wheel_arguments, run_upload_script

REGION = "us-east-1"
# moto 5.2 creates these but has no Delete API for them (NotImplementedError): they are dropped
# from the state before `terraform destroy` and die with the moto session instead.
UNDELETABLE_IN_MOTO = (
    "module.feature_pipeline.aws_glue_connection.this",
    "module.inference.aws_codedeploy_deployment_group.this",
    "module.inference.aws_codedeploy_app.this",
)


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def applied(
    terraform: Terraform, workspace: Path, moto_endpoint: str
) -> Iterator[tuple[dict[str, Any], str]]:
    """Apply the emulator root once for this module; destroy it afterwards (and verify)."""
    root = workspace / "infra/tests/moto_root"
    (root / "zz_local_backend_override.tf").write_text(LOCAL_BACKEND_OVERRIDE)
    with sfn_shim.running_shim(moto_endpoint) as sfn_endpoint:
        variables = [
            "-var",
            f"aws_endpoint_url={moto_endpoint}",
            "-var",
            f"sfn_endpoint_url={sfn_endpoint}",
        ]
        terraform.run(root, "init", "-input=false", "-no-color")
        terraform.run(
            root,
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=30",
            *variables,
            timeout=600,
        )
        outputs = {
            k: v["value"]
            for k, v in json.loads(terraform.run(root, "output", "-json").stdout).items()
        }
        yield outputs, moto_endpoint
        terraform.run(root, "state", "rm", *UNDELETABLE_IN_MOTO)
        terraform.run(
            root,
            "destroy",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=30",
            *variables,
            timeout=600,
        )
        state = terraform.run(root, "state", "list", check=False).stdout.strip()
        assert state == "", f"resources left in state after destroy:\n{state}"
        remaining = {b["Name"] for b in client("s3", moto_endpoint).list_buckets()["Buckets"]}
        assert not remaining & set(outputs["bucket_names"].values())


def test_buckets_encrypted_versioned_private_logged(applied: tuple[dict[str, Any], str]) -> None:
    outputs, endpoint = applied
    s3 = client("s3", endpoint)
    assert set(outputs["bucket_names"]) == {"raw", "features", "artifacts"}
    for purpose, bucket in outputs["bucket_names"].items():
        encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        rule = encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        assert rule["SSEAlgorithm"] == "aws:kms"
        assert rule["KMSMasterKeyID"] == outputs["kms_key_arn"]
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert len(block) == 4
        assert all(block.values())
        logging = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
        assert logging["TargetBucket"] == outputs["logs_bucket_name"]
        assert logging["TargetPrefix"] == f"s3/{purpose}/"
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
        assert deny
        assert deny[0]["Condition"]["Bool"]["aws:SecureTransport"] == "false"
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        assert rules[0]["Status"] == "Enabled"
        assert "NoncurrentVersionExpiration" in rules[0]


def test_kms_key_rotates(applied: tuple[dict[str, Any], str]) -> None:
    outputs, endpoint = applied
    kms = client("kms", endpoint)
    assert kms.get_key_rotation_status(KeyId=outputs["kms_key_arn"])["KeyRotationEnabled"]


def test_ecr_immutable_and_scanned(applied: tuple[dict[str, Any], str]) -> None:
    outputs, endpoint = applied
    ecr = client("ecr", endpoint)
    names = list(outputs["ecr_repository_names"].values())
    repos = ecr.describe_repositories(repositoryNames=names)["repositories"]
    assert set(outputs["ecr_repository_names"]) == {"inference", "training", "monitoring"}
    assert len(repos) == 3
    for repo in repos:
        assert repo["imageTagMutability"] == "IMMUTABLE"
        assert repo["imageScanningConfiguration"]["scanOnPush"] is True
        assert repo["encryptionConfiguration"]["encryptionType"] == "KMS"
        policy = json.loads(
            ecr.get_lifecycle_policy(repositoryName=repo["repositoryName"])["lifecyclePolicyText"]
        )
        assert {r["selection"]["tagStatus"] for r in policy["rules"]} == {"untagged", "any"}


def test_glue_job_and_schedule(applied: tuple[dict[str, Any], str]) -> None:
    outputs, endpoint = applied
    glue = client("glue", endpoint)
    job = glue.get_job(JobName=outputs["glue_job_name"])["Job"]
    assert job["GlueVersion"] == "5.1"
    assert job["Command"]["ScriptLocation"].startswith(
        f"s3://{outputs['bucket_names']['artifacts']}/glue/"
    )
    args = job["DefaultArguments"]
    assert args["--input"].startswith(f"s3://{outputs['bucket_names']['raw']}/")
    assert args["--output"].startswith(f"s3://{outputs['bucket_names']['features']}/")
    assert args["--extra-py-files"].endswith("feature_pipeline.zip")
    check_job_wheel_arguments(args, outputs["bucket_names"]["artifacts"])
    triggers = glue.get_triggers()["Triggers"]
    scheduled = [t for t in triggers if t["Actions"][0]["JobName"] == outputs["glue_job_name"]]
    assert scheduled
    assert scheduled[0]["Type"] == "SCHEDULED"


def test_glue_job_reads_exactly_what_the_upload_script_uploads(
    applied: tuple[dict[str, Any], str], tmp_path: Path
) -> None:
    """ci/scripts/upload-glue-script.sh (stub pip) into the applied artifacts bucket: the job's
    script, package and every --additional-python-modules wheel exist, and no other wheel was
    uploaded."""
    outputs, endpoint = applied
    bucket = outputs["bucket_names"]["artifacts"]
    s3 = client("s3", endpoint)
    # moto enforces the bucket's TLS-only Deny and its server speaks plain http: lift the policy
    # for the upload, and leave the bucket as Terraform made it (empty, policy back) for destroy.
    policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    try:
        run = run_upload_script(tmp_path, f"s3://{bucket}/{GLUE_PREFIX_KEY}")
        pages = s3.get_paginator("list_object_versions").paginate(
            Bucket=bucket, Prefix=GLUE_PREFIX_KEY
        )
        versions = [v for page in pages for v in page.get("Versions", [])]
        for version in versions:
            s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    finally:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert run.returncode == 0, run.output
    uploaded = {f"s3://{bucket}/{v['Key']}" for v in versions}
    job = client("glue", endpoint).get_job(JobName=outputs["glue_job_name"])["Job"]
    args = job["DefaultArguments"]
    wheels = set(args["--additional-python-modules"].split(","))
    assert {u for u in uploaded if u.endswith(".whl")} == wheels
    assert job["Command"]["ScriptLocation"] in uploaded
    assert set(args["--extra-py-files"].split(",")) <= uploaded


def test_inference_function_alias_and_api(applied: tuple[dict[str, Any], str]) -> None:
    outputs, endpoint = applied
    lam = client("lambda", endpoint)
    function = lam.get_function(FunctionName=outputs["function_name"])["Configuration"]
    assert function["PackageType"] == "Image"
    assert function["TracingConfig"]["Mode"] == "Active"
    assert len(function["VpcConfig"]["SubnetIds"]) == 2
    assert function["Environment"]["Variables"]["FEATURE_STORE_URL"].endswith("sslmode=require")
    alias = lam.get_alias(FunctionName=outputs["function_name"], Name="live")
    assert alias["FunctionVersion"] != "$LATEST"
    apigw = client("apigateway", endpoint)
    methods = apigw.get_resources(restApiId=outputs["rest_api_id"], embed=["methods"])["items"]
    proxy = next(r for r in methods if r["path"] == "/{proxy+}")
    assert proxy["resourceMethods"]["ANY"]["apiKeyRequired"] is True
    plans = apigw.get_usage_plans()["items"]
    assert plans
    assert plans[0]["throttle"]["rateLimit"] > 0
    assert plans[0]["quota"]["period"] == "MONTH"


def test_canary_deployment_group(applied: tuple[dict[str, Any], str]) -> None:
    outputs, endpoint = applied
    deploy = client("codedeploy", endpoint)
    group = deploy.get_deployment_group(
        applicationName=outputs["codedeploy_app_name"],
        deploymentGroupName=outputs["codedeploy_deployment_group_name"],
    )["deploymentGroupInfo"]
    assert group["deploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert group["autoRollbackConfiguration"]["enabled"] is True
    assert set(group["autoRollbackConfiguration"]["events"]) == {
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_ALARM",
    }
    # moto does not store the alarm list; the wiring (monitoring -> rollback_alarm_names) is
    # checked on the configuration in test_hcl_conventions.
    stored = group.get("alarmConfiguration", {}).get("alarms")
    if stored is not None:
        assert {a["name"] for a in stored} <= set(outputs["alarm_names"])


def test_alarms_topic_and_dashboard(applied: tuple[dict[str, Any], str]) -> None:
    outputs, endpoint = applied
    cloudwatch = client("cloudwatch", endpoint)
    alarms = cloudwatch.describe_alarms(AlarmNames=outputs["alarm_names"])["MetricAlarms"]
    by_metric = {a.get("MetricName"): a for a in alarms}
    assert len(alarms) == len(outputs["alarm_names"]) == 9
    assert by_metric["DriftPSIMax"]["Namespace"] == "CreditRisk/Monitoring"
    assert by_metric["DriftPSIMax"]["Threshold"] == 0.2
    # The job runs daily: model-health alarms evaluate daily periods. Missing data still breaches
    # the feature-store alarm (a silent job is a staleness problem), over two days.
    assert by_metric["DriftPSIMax"]["Period"] == 86400
    assert by_metric["FeatureStoreAgeDays"]["TreatMissingData"] == "breaching"
    assert (
        by_metric["FeatureStoreAgeDays"]["Period"]
        * by_metric["FeatureStoreAgeDays"]["EvaluationPeriods"]
        == 2 * 86400
    )
    job_errors = next(a for a in alarms if a["AlarmName"].endswith("-monitoring-job-errors"))
    assert job_errors["Namespace"] == "AWS/Lambda"
    assert job_errors["Dimensions"] == [
        {"Name": "FunctionName", "Value": outputs["monitoring_function_name"]}
    ]
    assert by_metric["Latency"]["ExtendedStatistic"] == "p99"
    assert all(outputs["topic_arn"] in a["AlarmActions"] for a in alarms)
    topic = client("sns", endpoint).get_topic_attributes(TopicArn=outputs["topic_arn"])
    assert topic["Attributes"]["KmsMasterKeyId"] == outputs["kms_key_arn"]
    body = json.loads(
        cloudwatch.get_dashboard(DashboardName=outputs["dashboard_name"])["DashboardBody"]
    )
    assert len(body["widgets"]) >= 6


def test_state_machine_and_schedules(applied: tuple[dict[str, Any], str]) -> None:
    outputs, endpoint = applied
    sfn = client("stepfunctions", endpoint)
    machine = sfn.describe_state_machine(stateMachineArn=outputs["state_machine_arn"])
    definition = json.loads(machine["definition"])
    assert (
        definition["States"]["RunFeaturePipeline"]["Parameters"]["JobName"]
        == outputs["glue_job_name"]
    )
    events = client("events", endpoint)
    targets = events.list_targets_by_rule(Rule=outputs["warmup_rule_name"])["Targets"]
    assert targets[0]["Arn"].endswith(f":function:{outputs['function_name']}:live")
    assert json.loads(targets[0]["Input"]) == {"warmup": True}


def test_prediction_log_subscription_and_delivery_stream(
    applied: tuple[dict[str, Any], str],
) -> None:
    """Inference log group -> subscription filter -> Firehose -> features bucket (moto stores the
    configuration; it does not deliver log events to Firehose, see test_monitoring_firehose_contract
    in risk-monitoring for the delivered format)."""
    outputs, endpoint = applied
    stream = client("firehose", endpoint).describe_delivery_stream(
        DeliveryStreamName=outputs["prediction_log_stream_name"]
    )["DeliveryStreamDescription"]
    logs = client("logs", endpoint)
    (subscription,) = logs.describe_subscription_filters(
        logGroupName=outputs["inference_log_group_name"]
    )["subscriptionFilters"]
    assert subscription["filterName"] == outputs["prediction_log_filter_name"]
    assert subscription["filterPattern"] == '{ $.event = "prediction" }'
    assert subscription["destinationArn"] == stream["DeliveryStreamARN"]
    role = client("iam", endpoint).get_role(RoleName=subscription["roleArn"].rsplit("/", 1)[1])
    trust = role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"]["Service"] == f"logs.{REGION}.amazonaws.com"
    assert trust["Condition"]["StringLike"]["aws:SourceArn"].endswith(
        f"log-group:{outputs['inference_log_group_name']}:*"
    )

    assert stream["DeliveryStreamType"] == "DirectPut"
    encryption = stream.get("DeliveryStreamEncryptionConfiguration", {})
    assert encryption.get("KeyARN") == outputs["kms_key_arn"]
    assert encryption.get("KeyType") == "CUSTOMER_MANAGED_CMK"
    destination = stream["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert destination["BucketARN"] == f"arn:aws:s3:::{outputs['bucket_names']['features']}"
    assert destination["Prefix"] == "predictions/!{timestamp:yyyy-MM-dd}/"
    assert destination["ErrorOutputPrefix"].startswith("predictions-errors/")
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["FileExtension"] == ".jsonl.gz"
    assert destination["BufferingHints"] == {"SizeInMBs": 64, "IntervalInSeconds": 300}
    assert destination["EncryptionConfiguration"]["KMSEncryptionConfig"] == {
        "AWSKMSKeyARN": outputs["kms_key_arn"]
    }
    assert destination["CloudWatchLoggingOptions"]["Enabled"] is True
    processing = destination["ProcessingConfiguration"]
    assert processing["Enabled"] is True
    steps = [
        (p["Type"], {q["ParameterName"]: q["ParameterValue"] for q in p.get("Parameters", [])})
        for p in processing["Processors"]
    ]
    assert steps == [
        ("Decompression", {"CompressionFormat": "GZIP"}),
        ("CloudWatchLogProcessing", {"DataMessageExtraction": "true"}),
        ("AppendDelimiterToRecord", {}),
    ]

    rules = client("s3", endpoint).get_bucket_lifecycle_configuration(
        Bucket=outputs["bucket_names"]["features"]
    )["Rules"]
    expiring = {r["Filter"]["Prefix"]: r["Expiration"]["Days"] for r in rules if "Expiration" in r}
    assert set(expiring) == {"predictions/", "predictions-errors/"}


def test_monitoring_job_function_and_schedule(applied: tuple[dict[str, Any], str]) -> None:
    outputs, endpoint = applied
    lam = client("lambda", endpoint)
    name = outputs["monitoring_function_name"]
    function = lam.get_function(FunctionName=name)
    config = function["Configuration"]
    assert config["PackageType"] == "Image"
    monitoring_repo = outputs["ecr_repository_names"]["monitoring"]
    assert function["Code"]["ImageUri"].endswith(f"/{monitoring_repo}:bootstrap")
    assert len(config["VpcConfig"]["SubnetIds"]) == 2
    assert config["VpcConfig"]["SecurityGroupIds"]
    assert (config["MemorySize"], config["Timeout"]) == (3008, 900)
    assert config["TracingConfig"]["Mode"] == "Active"
    assert config["KMSKeyArn"] == outputs["kms_key_arn"]
    # moto 5.2 does not store DeadLetterConfig: the wiring is asserted on the configuration in
    # test_hcl_conventions (test_monitoring_job_failures_reach_the_alarm_topic).
    if "DeadLetterConfig" in config:
        assert config["DeadLetterConfig"]["TargetArn"] == outputs["topic_arn"]
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 1
    invoke = lam.get_function_event_invoke_config(FunctionName=name)
    assert invoke["MaximumRetryAttempts"] == 0
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == outputs["topic_arn"]

    events = client("events", endpoint)
    rule = events.describe_rule(Name=outputs["monitoring_rule_name"])
    assert rule["ScheduleExpression"] == "cron(30 4 * * ? *)"
    (target,) = events.list_targets_by_rule(Rule=outputs["monitoring_rule_name"])["Targets"]
    assert target["Arn"] == config["FunctionArn"]
    buckets = outputs["bucket_names"]
    # The event the handler gets (risk_monitoring.lambda_handler; risk-monitoring tests run it).
    assert json.loads(target["Input"]) == {
        "logs": f"s3://{buckets['features']}/predictions/",
        "logs_window": "previous_day",
        "metadata": f"s3://{buckets['artifacts']}/models/champion/bundle/metadata.json",
        "report_prefix": f"s3://{buckets['artifacts']}/monitoring/reports/",
        "online_store_url": "postgresql+psycopg2://features.emulated.internal:5432/features"
        "?sslmode=require",
        "store_secret_arn": outputs["store_secret_arn"],
    }
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    (grant,) = policy["Statement"]
    assert grant["Principal"]["Service"] == "events.amazonaws.com"
    assert grant["Action"] == "lambda:InvokeFunction"
    assert grant["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]
