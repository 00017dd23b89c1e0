"""`terraform apply` then `destroy` against the moto server, checking what exists with boto3.

Applies infra/tests/moto_root: modules/platform as every market root calls it, minus what the
emulator cannot apply quickly or at all (the RDS instance, the CodeBuild projects and the
pipeline; see moto_root/main.tf and infra/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from .conftest import MARKET_SERVICES
from .glue_deps import GLUE_PREFIX_KEY, check_job_wheel_arguments, run_upload_script
from .jobs import EMULATOR_REGION, EmulatorDeployment

REGION = EMULATOR_REGION
pytestmark = pytest.mark.aws_services(*MARKET_SERVICES)


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def applied(emulator_deployment: EmulatorDeployment) -> tuple[dict[str, Any], str]:
    """The emulator root, applied once per session by a background job (jobs.py), which also
    destroys it at the end and checks that nothing is left."""
    return emulator_deployment.outputs, emulator_deployment.endpoint


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
    assert set(outputs["ecr_repository_names"]) == {
        "inference",
        "training",
        "monitoring",
        "db-bootstrap",
        "ci-tools",
    }
    assert len(repos) == 5
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
    database = outputs["database"]
    env = function["Environment"]["Variables"]
    assert env["FEATURE_STORE_URL"] == (
        f"postgresql+psycopg2://inference@{database['proxy_endpoint']}:5432/features"
    )
    assert env["FEATURE_STORE_AUTH"] == "iam"
    assert env["CUSTOMER_REF_KEY_SECRET_ARN"] == outputs["customer_ref_key_secret_arn"]
    assert "FEATURE_STORE_SECRET_ARN" not in env
    alias = lam.get_alias(FunctionName=outputs["function_name"], Name="live")
    assert alias["FunctionVersion"] != "$LATEST"
    apigw = client("apigateway", endpoint)
    methods = apigw.get_resources(restApiId=outputs["rest_api_id"], embed=["methods"])["items"]
    proxy = next(r for r in methods if r["path"] == "/{proxy+}")
    assert proxy["resourceMethods"]["ANY"]["apiKeyRequired"] is True
    # One usage plan per consumer, with that consumer's limits (moto_root: the default consumer).
    plans = {p["name"]: p for p in apigw.get_usage_plans()["items"]}
    plan = plans[f"{outputs['function_name']}-loan-origination"]
    assert plan["throttle"] == {"rateLimit": 50.0, "burstLimit": 100}
    assert plan["quota"]["period"] == "MONTH"
    assert plan["quota"]["limit"] == 5000000
    assert set(outputs["api_key_ids"]) == {"loan-origination"}


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
    # moto does not store the alarm list; the wiring (the per-version canary alarms only) is
    # checked on the configuration in test_hcl_conventions.
    stored = group.get("alarmConfiguration", {}).get("alarms")
    if stored is not None:
        assert all("-canary-" in a["name"] for a in stored)


def test_alarms_topic_and_dashboard(applied: tuple[dict[str, Any], str]) -> None:
    outputs, endpoint = applied
    cloudwatch = client("cloudwatch", endpoint)
    alarms = cloudwatch.describe_alarms(AlarmNames=outputs["alarm_names"])["MetricAlarms"]
    by_metric = {a.get("MetricName"): a for a in alarms}
    assert len(alarms) == len(outputs["alarm_names"]) == 14
    drift = by_metric["DriftedFeatureCount"]
    assert drift["Namespace"] == "CreditRisk/Monitoring"
    assert (drift["ComparisonOperator"], drift["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert {d["Name"]: d["Value"] for d in drift["Dimensions"]} == {
        "service": "risk-monitoring",
        "ModelName": "credit-risk",
    }
    # The job runs daily: model-health alarms evaluate daily periods. Missing data still breaches
    # the feature-store alarm (a silent job is a staleness problem), over two days.
    assert drift["Period"] == 86400
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
        "metadata": f"s3://{buckets['artifacts']}/bundles/credit-risk/champion.json",
        "report_prefix": f"s3://{buckets['artifacts']}/monitoring/reports/",
        "lake": f"s3://{buckets['features']}/features/",
    }
    # The store connection is the function's: its own role on the proxy, IAM auth, no secret.
    env = config["Environment"]["Variables"]
    assert env["MONITOR_ONLINE_STORE_URL"] == (
        f"postgresql+psycopg2://monitoring@{outputs['database']['proxy_endpoint']}:5432/features"
    )
    assert env["MONITOR_STORE_AUTH"] == "iam"
    assert env["CUSTOMER_REF_KEY_SECRET_ARN"] == outputs["customer_ref_key_secret_arn"]
    # Delayed labels: a repayment file landing in the artifacts bucket starts the outcomes run
    # with that object's key (EventBridge input transformer).
    outcomes_rule = events.describe_rule(Name=f"{name}-outcomes")
    pattern = json.loads(outcomes_rule["EventPattern"])
    assert pattern["detail"] == {
        "bucket": {"name": [buckets["artifacts"]]},
        "object": {"key": [{"prefix": "monitoring/repayments/"}]},
    }
    (outcomes,) = events.list_targets_by_rule(Rule=f"{name}-outcomes")["Targets"]
    assert outcomes["Arn"] == config["FunctionArn"]
    transformer = outcomes["InputTransformer"]
    assert transformer["InputPathsMap"] == {"key": "$.detail.object.key"}
    filled = transformer["InputTemplate"].replace("<key>", "monitoring/repayments/2026-09.csv")
    assert json.loads(filled) == {
        "command": "outcomes",
        "repayments": f"s3://{buckets['artifacts']}/monitoring/repayments/2026-09.csv",
        "logs": f"s3://{buckets['features']}/predictions/",
        "logs_window": "application_days",
        "metadata": f"s3://{buckets['artifacts']}/bundles/credit-risk/champion.json",
        "report_prefix": f"s3://{buckets['artifacts']}/monitoring/outcomes/",
    }
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    grants = {g["Condition"]["ArnLike"]["AWS:SourceArn"]: g for g in policy["Statement"]}
    assert set(grants) == {rule["Arn"], outcomes_rule["Arn"]}
    for grant in grants.values():
        assert grant["Principal"]["Service"] == "events.amazonaws.com"
        assert grant["Action"] == "lambda:InvokeFunction"


def test_proxy_authenticates_each_service_role_with_iam_and_its_own_secret(
    applied: tuple[dict[str, Any], str],
) -> None:
    outputs, endpoint = applied
    database = outputs["database"]
    (proxy,) = client("rds", endpoint).describe_db_proxies(
        DBProxyName=f"{outputs['name_prefix']}-features"
    )["DBProxies"]
    assert proxy["RequireTLS"] is True
    assert proxy["Endpoint"] == database["proxy_endpoint"]
    assert proxy["DBProxyArn"].endswith(f":{database['proxy_resource_id']}")
    secrets = database["service_secret_arns"]
    assert set(secrets) == {"feature_pipeline", "inference", "monitoring", "mlflow"}
    assert sorted(a["SecretArn"] for a in proxy["Auth"]) == sorted(secrets.values())
    assert {(a["AuthScheme"], a["IAMAuth"]) for a in proxy["Auth"]} == {("SECRETS", "REQUIRED")}
    assert database["master_secret_arn"] not in {a["SecretArn"] for a in proxy["Auth"]}
    for role, arn in database["db_user_arns"].items():
        assert arn == (
            f"arn:aws:rds-db:{REGION}:123456789012:dbuser:{database['proxy_resource_id']}/{role}"
        )


def test_service_secrets_are_created_empty_and_the_pseudonym_key_is_generated(
    applied: tuple[dict[str, Any], str],
) -> None:
    """db-bootstrap fills the service secrets; Terraform only creates them (no value, no
    password in the state). The customer_ref key is generated by Secrets Manager, write-only."""
    outputs, endpoint = applied
    secretsmanager = client("secretsmanager", endpoint)
    for arn in outputs["database"]["service_secret_arns"].values():
        assert (
            "VersionIdsToStages" not in secretsmanager.describe_secret(SecretId=arn)
            or not (secretsmanager.describe_secret(SecretId=arn)["VersionIdsToStages"])
        )
        with pytest.raises(secretsmanager.exceptions.ResourceNotFoundException):
            secretsmanager.get_secret_value(SecretId=arn)
    key = secretsmanager.get_secret_value(SecretId=outputs["customer_ref_key_secret_arn"])
    assert len(key["SecretString"]) >= 32
    assert key["SecretString"].isalnum()
    state = json.dumps(outputs)
    assert key["SecretString"] not in state


def test_every_component_role_exists(applied: tuple[dict[str, Any], str]) -> None:
    """component_roles names a role per component, each of which the tests can assume."""
    outputs, endpoint = applied
    roles = outputs["component_roles"]
    assert {
        "feature-pipeline",
        "inference",
        "monitoring",
        "training",
        "db-bootstrap",
        "state-machine",
        "ci-test",
        "ci-image",
        "ci-glue",
        "ci-infra",
        "ci-deploy",
        "release-pipeline",
        "codedeploy",
    } == set(roles)
    iam = client("iam", endpoint)
    for component, role in roles.items():
        found = iam.get_role(RoleName=role["name"])["Role"]
        assert found["Arn"] == role["arn"], component
        assert iam.list_role_policies(RoleName=role["name"])["PolicyNames"], component


def test_image_scan_findings_reach_the_topic(applied: tuple[dict[str, Any], str]) -> None:
    """Dependency changes (issue 18.4): a scan with CRITICAL or HIGH findings in any of the
    market's repositories is sent to the alarm topic."""
    outputs, endpoint = applied
    events = client("events", endpoint)
    name = f"{outputs['name_prefix']}-image-scan-findings"
    pattern = json.loads(events.describe_rule(Name=name)["EventPattern"])
    assert pattern["source"] == ["aws.ecr"]
    assert pattern["detail-type"] == ["ECR Image Scan"]
    assert sorted(pattern["detail"]["repository-name"]) == sorted(
        outputs["ecr_repository_names"].values()
    )
    severities = {
        severity
        for branch in pattern["detail"]["$or"]
        for severity, test in branch["finding-severity-counts"].items()
        if test == [{"numeric": [">", 0]}]
    }
    assert severities == {"CRITICAL", "HIGH"}
    (target,) = events.list_targets_by_rule(Rule=name)["Targets"]
    assert target["Arn"] == outputs["topic_arn"]
