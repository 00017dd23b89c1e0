"""db-bootstrap against a real TLS PostgreSQL (platform-testkit) as a non-superuser master user,
and against moto's Secrets Manager; the resulting catalog is read back with plain queries."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import certifi
import psycopg2
import pytest
from bootstrap_helpers import libpq, query, run_cli

from platform_testkit.postgres import PASSWORD_DATABASE, Endpoint
from platform_testkit.postgres_server import PostgresServer

# Restated here rather than imported: the test states what the platform needs.
ROLES = ("feature_pipeline", "inference", "monitoring", "mlflow")
TIMEOUTS = {
    "feature_pipeline": ["idle_in_transaction_session_timeout=5min", "statement_timeout=15min"],
    "inference": ["idle_in_transaction_session_timeout=10s", "statement_timeout=2s"],
    "monitoring": ["idle_in_transaction_session_timeout=1min", "statement_timeout=5min"],
    "mlflow": ["idle_in_transaction_session_timeout=1min", "statement_timeout=2min"],
}
CONNECT = {
    ("feature_pipeline", "features"): True,
    ("inference", "features"): True,
    ("monitoring", "features"): True,
    ("mlflow", "features"): False,
    ("feature_pipeline", "mlflow"): False,
    ("inference", "mlflow"): False,
    ("monitoring", "mlflow"): False,
    ("mlflow", "mlflow"): True,
}


def bootstrap(endpoint: Endpoint, *arguments: str) -> Any:
    return run_cli("--master-url", libpq(endpoint.master_url), *arguments)


def in_database(endpoint: Endpoint, database: str, role: str | None = None) -> str:
    return endpoint.url(role or endpoint.admin_user, database)


def test_first_run_creates_roles_databases_and_grants_second_run_changes_nothing(
    postgres_fresh_server: PostgresServer,
) -> None:
    endpoint = postgres_fresh_server.endpoint
    first = bootstrap(endpoint)
    assert first.exit_code == 0, first.stderr
    assert "as rds_master" in first.stdout
    assert "rds_master (not a superuser)" in first.stdout
    assert "role rds_iam does not exist (not RDS)" in first.stdout

    admin = endpoint.admin_url
    roles = query(
        admin,
        "SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
        "FROM pg_roles WHERE rolname = ANY(%s) ORDER BY rolname",
        (list(ROLES),),
    )
    assert roles == [(name, True, False, False, False, False) for name in sorted(ROLES)]
    settings = query(
        admin,
        "SELECT r.rolname, s.setconfig FROM pg_db_role_setting s "
        "JOIN pg_roles r ON r.oid = s.setrole WHERE s.setdatabase = 0 AND r.rolname = ANY(%s)",
        (list(ROLES),),
    )
    assert {name: sorted(config) for name, config in settings} == TIMEOUTS
    owners = query(
        admin,
        "SELECT datname, pg_get_userbyid(datdba) FROM pg_database "
        "WHERE datname IN ('features', 'mlflow') ORDER BY datname",
    )
    assert owners == [("features", "rds_master"), ("mlflow", "mlflow")]
    for (role, database), allowed in CONNECT.items():
        [(granted,)] = query(
            admin, "SELECT has_database_privilege(%s, %s, 'CONNECT')", (role, database)
        )
        assert granted is allowed, (role, database)
    default_acl = query(
        in_database(endpoint, "features"),
        "SELECT pg_get_userbyid(d.defaclrole), pg_get_userbyid(a.grantee), a.privilege_type "
        "FROM pg_default_acl d, aclexplode(d.defaclacl) a "
        "WHERE d.defaclnamespace = 'public'::regnamespace AND d.defaclobjtype = 'r' ORDER BY 2",
    )
    assert default_acl == [
        ("feature_pipeline", "inference", "SELECT"),
        ("feature_pipeline", "monitoring", "SELECT"),
    ]

    # A store published in between must come through the second run untouched.
    pipeline = in_database(endpoint, "features", "feature_pipeline")
    query(pipeline, "CREATE TABLE customer_features (id BIGINT PRIMARY KEY, run_id TEXT)")
    query(pipeline, "INSERT INTO customer_features VALUES (1, 'run-1'), (2, 'run-1')")

    second = bootstrap(endpoint)
    assert second.exit_code == 0, second.stderr
    assert second.changes == []
    assert "done: 0 changed" in second.stdout
    reader = in_database(endpoint, "features", "inference")
    assert query(reader, "SELECT count(*) FROM customer_features") == [(2,)]


def test_store_left_by_the_master_is_handed_to_the_pipeline_and_readers_lose_writes(
    postgres_fresh_server: PostgresServer,
) -> None:
    """A first-wave deployment created the store as the master user; inference had INSERT."""
    endpoint = postgres_fresh_server.endpoint
    assert bootstrap(endpoint).exit_code == 0
    as_master = in_database(endpoint, "features", "rds_master")
    query(as_master, "CREATE TABLE customer_features (id BIGINT PRIMARY KEY, run_id TEXT)")
    query(as_master, "INSERT INTO customer_features VALUES (1, 'old')")
    query(as_master, "GRANT INSERT ON customer_features TO inference")

    repair = bootstrap(endpoint)

    assert repair.exit_code == 0, repair.stderr
    assert repair.changes == [
        "hand table public.customer_features to feature_pipeline",
        "revoke write privileges on public.customer_features from inference",
        "allow inference to read public.customer_features",
        "allow monitoring to read public.customer_features",
    ]
    [(owner,)] = query(
        in_database(endpoint, "features"),
        "SELECT tableowner FROM pg_tables WHERE tablename = 'customer_features'",
    )
    assert owner == "feature_pipeline"
    reader = in_database(endpoint, "features", "inference")
    assert query(reader, "SELECT run_id FROM customer_features") == [("old",)]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        query(reader, "INSERT INTO customer_features VALUES (2, 'x')")


def test_rds_iam_is_granted_only_when_the_proxy_authenticates_with_iam(
    postgres_fresh_server: PostgresServer,
) -> None:
    endpoint = postgres_fresh_server.endpoint
    query(endpoint.admin_url, "CREATE ROLE rds_iam NOLOGIN")  # what RDS provides
    members = (
        "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
        "WHERE m.roleid = 'rds_iam'::regrole ORDER BY 1"
    )

    secrets_mode = bootstrap(endpoint)
    assert secrets_mode.exit_code == 0, secrets_mode.stderr
    assert "rds_iam not granted: the proxy logs in to the database with the roles' passwords" in (
        secrets_mode.stdout
    )
    assert query(endpoint.admin_url, members) == []

    query(endpoint.admin_url, "GRANT rds_iam TO inference")
    repaired = bootstrap(endpoint)
    assert repaired.changes == [
        "revoke rds_iam from inference (the proxy logs in with its password)"
    ]
    assert query(endpoint.admin_url, members) == []

    iam_mode = bootstrap(endpoint, "--proxy-auth", "iam")
    assert iam_mode.exit_code == 0, iam_mode.stderr
    assert iam_mode.changes == [f"grant rds_iam to {role}" for role in ROLES]
    assert query(endpoint.admin_url, members) == [(role,) for role in sorted(ROLES)]


# --- passwords in Secrets Manager --------------------------------------------------------------


@pytest.fixture
def service_secrets(aws_reset: str) -> dict[str, str]:
    """One empty secret per role, as Terraform creates them (no value yet)."""
    client = boto3.client("secretsmanager")
    return {role: client.create_secret(Name=f"feature-store/{role}")["ARN"] for role in ROLES}


def secret_value(arn: str) -> dict[str, Any]:
    return dict(
        json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])
    )


def version_count(arn: str) -> int:
    return len(boto3.client("secretsmanager").list_secret_version_ids(SecretId=arn)["Versions"])


def can_log_in(endpoint: Endpoint, role: str, password: str) -> bool:
    """Over the one pg_hba route that checks passwords (SCRAM), as the proxy would log in."""
    try:
        psycopg2.connect(libpq(endpoint.url(role, PASSWORD_DATABASE, password))).close()
    except psycopg2.OperationalError as error:
        if "password authentication failed" in str(error):
            return False
        raise
    return True


@pytest.fixture
def local_endpoint(postgres_endpoint: Endpoint) -> Endpoint:
    if "TEST_DATABASE_URL" in os.environ:
        pytest.skip("password checks need the kit's pg_hba; TEST_DATABASE_URL points elsewhere")
    query(postgres_endpoint.admin_url, "SELECT 1")
    exists = query(
        postgres_endpoint.admin_url,
        "SELECT 1 FROM pg_database WHERE datname = %s",
        (PASSWORD_DATABASE,),
    )
    if not exists:
        query(postgres_endpoint.admin_url, f"CREATE DATABASE {PASSWORD_DATABASE}")
    return postgres_endpoint


def test_passwords_go_to_the_secrets_first_and_let_each_role_log_in(
    local_endpoint: Endpoint, service_secrets: dict[str, str]
) -> None:
    pairs = ",".join(f"{role}={arn}" for role, arn in service_secrets.items())

    first = bootstrap(local_endpoint, "--service-secrets", pairs)

    assert first.exit_code == 0, first.stderr
    values = {role: secret_value(arn) for role, arn in service_secrets.items()}
    for role, value in values.items():
        assert value["username"] == role
        assert len(value["password"]) >= 40
        assert value["password"] not in first.stdout + first.stderr
        assert can_log_in(local_endpoint, role, value["password"])
        assert not can_log_in(local_endpoint, role, value["password"] + "x")
    assert len({value["password"] for value in values.values()}) == len(ROLES)

    again = bootstrap(local_endpoint, "--service-secrets", pairs)
    assert again.exit_code == 0, again.stderr
    assert again.changes == []
    assert all(version_count(arn) == 1 for arn in service_secrets.values())
    assert can_log_in(local_endpoint, "inference", values["inference"]["password"])


def test_rotation_replaces_the_password_in_the_secret_and_the_database(
    local_endpoint: Endpoint, service_secrets: dict[str, str]
) -> None:
    arn = service_secrets["inference"]
    assert bootstrap(local_endpoint, "--service-secrets", f"inference={arn}").exit_code == 0
    old = secret_value(arn)["password"]

    rotated = bootstrap(
        local_endpoint, "--service-secrets", f"inference={arn}", "--rotate-passwords"
    )

    assert rotated.exit_code == 0, rotated.stderr
    new = secret_value(arn)["password"]
    assert new != old
    assert version_count(arn) == 2
    assert can_log_in(local_endpoint, "inference", new)
    assert not can_log_in(local_endpoint, "inference", old)


def test_a_secret_holding_another_roles_credentials_is_refused(
    local_endpoint: Endpoint, service_secrets: dict[str, str]
) -> None:
    arn = service_secrets["inference"]
    boto3.client("secretsmanager").put_secret_value(
        SecretId=arn, SecretString=json.dumps({"username": "monitoring", "password": "p" * 40})
    )

    refused = bootstrap(local_endpoint, "--service-secrets", f"inference={arn}")

    assert refused.exit_code == 1
    assert "holds the credentials of 'monitoring'" in refused.stderr
    assert "p" * 40 not in refused.stdout + refused.stderr


# --- connecting with the RDS-managed master secret ---------------------------------------------


def master_arguments(endpoint: Endpoint, arn: str) -> list[str]:
    return ["--master-secret-arn", arn, "--host", endpoint.host, "--port", str(endpoint.port)]


def test_master_credentials_come_from_the_rds_managed_secret(
    local_endpoint: Endpoint, aws_reset: str
) -> None:
    arn = boto3.client("secretsmanager").create_secret(
        Name="rds!db-0123",
        SecretString=json.dumps({"username": "rds_master", "password": "m" * 30}),
    )["ARN"]
    assert local_endpoint.ca_file is not None

    verified = run_cli(
        *master_arguments(local_endpoint, arn), "--sslrootcert", str(local_endpoint.ca_file)
    )
    # Public roots (certifi) do not include the test CA: verify-full really verifies.
    other_ca = run_cli(*master_arguments(local_endpoint, arn), "--sslrootcert", certifi.where())
    no_ca = run_cli(*master_arguments(local_endpoint, arn))

    assert verified.exit_code == 0, verified.stderr
    assert "as rds_master (sslmode verify-full)" in verified.stdout
    assert other_ca.exit_code == 1
    assert "certificate verify failed" in other_ca.stderr
    assert no_ca.exit_code == 1
    assert "needs --sslrootcert" in no_ca.stderr
    assert "m" * 30 not in verified.stdout + other_ca.stderr


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "does not exist"),
        ("not json", "has no JSON value with 'username' and 'password'"),
        (
            json.dumps({"username": "rds_master"}),
            "has no JSON value with 'username' and 'password'",
        ),
    ],
)
def test_unusable_master_secret_is_a_clear_error(
    aws_reset: str, secret: str | None, message: str
) -> None:
    client = boto3.client("secretsmanager")
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"
    if secret is not None:
        arn = client.create_secret(Name="master", SecretString=secret)["ARN"]

    result = run_cli(
        "--master-secret-arn", arn, "--host", "127.0.0.1", "--port", "9", "--sslrootcert", "ca.pem"
    )

    assert result.exit_code == 1
    assert message in result.stderr


# --- usage errors (no server needed) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "give --master-secret-arn with --host, or --master-url"),
        (["--master-secret-arn", "arn:aws:secretsmanager:x"], "needs --host"),
        (
            ["--master-url", "postgresql://u@h/p", "--master-secret-arn", "arn:aws:x"],
            "either --master-url or --master-secret-arn",
        ),
        (["--master-url", "mysql://u@h/p"], "must be a postgresql:// URL"),
        (["--master-url", "postgresql://u@h/p", "--service-secrets", "inference"], "not role=ARN"),
        (
            [
                "--master-url",
                "postgresql://u@h/p",
                "--service-secrets",
                "inference=arn:a,inference=arn:b",
            ],
            "names role inference twice",
        ),
        (
            ["--master-url", "postgresql://u@h/p", "--service-secrets", "postgres=arn:aws:x"],
            "unknown role(s) postgres; the service roles are feature_pipeline, inference",
        ),
        (
            [
                "--master-url",
                "postgresql://u@h/p",
                "--proxy-auth",
                "iam",
                "--service-secrets",
                "inference=arn:x",
            ],
            "with IAM end to end the roles have no password",
        ),
    ],
)
def test_bad_usage_is_explained(arguments: list[str], message: str) -> None:
    result = run_cli(*arguments)
    assert result.exit_code == 1
    assert message in result.stderr


def test_an_unreachable_server_is_reported_without_the_password() -> None:
    result = run_cli("--master-url", "postgresql://rds_master:hunter2-secret@127.0.0.1:9/postgres")
    assert result.exit_code == 1
    assert "cannot connect to 127.0.0.1:9/postgres as rds_master" in result.stderr
    assert "hunter2-secret" not in result.stdout + result.stderr
