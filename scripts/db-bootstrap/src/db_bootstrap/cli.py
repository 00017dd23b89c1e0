"""`db-bootstrap`: create the platform's roles, databases and grants as the RDS master user.

Exit codes: 0 done (also when nothing had to change), 1 the bootstrap failed (message on
stderr), 2 bad usage.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from db_bootstrap.bootstrap import bootstrap
from db_bootstrap.errors import BootstrapError
from db_bootstrap.plan import Databases, ProxyAuth
from db_bootstrap.target import MAINTENANCE_DATABASE, Target

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

ENV_PREFIX = "DB_BOOTSTRAP_"


def _env(name: str) -> str:
    return ENV_PREFIX + name


def parse_service_secrets(value: str) -> dict[str, str]:
    """``role=ARN,role=ARN`` (ARNs contain ':' but never ',' or '=')."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        role, separator, arn = item.partition("=")
        if not separator or not role or not arn.startswith("arn:"):
            raise BootstrapError(
                f"--service-secrets item {item!r} is not role=ARN (e.g. inference=arn:aws:...)"
            )
        if role in pairs:
            raise BootstrapError(f"--service-secrets names role {role} twice")
        pairs[role] = arn
    return pairs


@app.command()
def run(
    master_secret_arn: Annotated[
        str | None,
        typer.Option(
            envvar=_env("MASTER_SECRET_ARN"),
            help="RDS-managed master user secret (JSON username/password). Needs --host.",
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(envvar=_env("HOST"), help="Database endpoint (with --master-secret-arn)."),
    ] = None,
    port: Annotated[int, typer.Option(envvar=_env("PORT"), help="Database port.")] = 5432,
    sslrootcert: Annotated[
        str | None,
        typer.Option(
            envvar=_env("SSLROOTCERT"),
            help="CA bundle that verifies the server (required with --master-secret-arn; "
            "always verify-full). A DB instance endpoint needs the RDS CA bundle of its region.",
        ),
    ] = None,
    master_url: Annotated[
        str | None,
        typer.Option(
            envvar=_env("MASTER_URL"),
            help="Instead of the secret: a postgresql:// URL of the master user (local runs, "
            "tests); TLS settings in its query.",
        ),
    ] = None,
    maintenance_database: Annotated[
        str,
        typer.Option(
            envvar=_env("MAINTENANCE_DATABASE"), help="Database the cluster-wide steps run in."
        ),
    ] = MAINTENANCE_DATABASE,
    service_secrets: Annotated[
        str,
        typer.Option(
            envvar=_env("SERVICE_SECRETS"),
            help="role=ARN,... : the secret of each service role that the RDS Proxy logs in "
            "with; its password is generated (once), stored there and set on the role.",
        ),
    ] = "",
    proxy_auth: Annotated[
        ProxyAuth,
        typer.Option(
            envvar=_env("PROXY_AUTH"),
            help="How the proxy logs in to the database: 'secrets' (role passwords) or 'iam' "
            "(rds_iam, no passwords).",
        ),
    ] = ProxyAuth.SECRETS,
    rotate_passwords: Annotated[
        bool,
        typer.Option(
            "--rotate-passwords",
            envvar=_env("ROTATE_PASSWORDS"),
            help="Generate new passwords even for roles whose secret already holds one.",
        ),
    ] = False,
    features_database: Annotated[
        str, typer.Option(envvar=_env("FEATURES_DATABASE"), help="Online feature store database.")
    ] = "features",
    mlflow_database: Annotated[
        str, typer.Option(envvar=_env("MLFLOW_DATABASE"), help="MLflow registry database.")
    ] = "mlflow",
) -> None:
    """Create or repair the service roles, databases, grants and role passwords (idempotent).

    Prints each change; never prints a password.
    """
    try:
        secrets_by_role = parse_service_secrets(service_secrets)
        secrets_client = None
        if master_url and master_secret_arn:
            raise BootstrapError("give either --master-url or --master-secret-arn, not both")
        if master_url:
            target = Target.from_url(master_url)
        elif master_secret_arn:
            if not host:
                raise BootstrapError(
                    "--master-secret-arn needs --host (the secret holds no endpoint)"
                )
            if not sslrootcert:
                raise BootstrapError(
                    "--master-secret-arn needs --sslrootcert: the DB instance presents a "
                    "certificate from the RDS CA (e.g. rds-ca-rsa2048-g1), so pass AWS's RDS CA "
                    "bundle for the region; the connection is always verify-full"
                )
            import boto3

            from db_bootstrap.secret_store import master_credentials

            secrets_client = boto3.client("secretsmanager")
            target = Target.from_master_secret(
                master_credentials(secrets_client, master_secret_arn),
                host,
                port,
                sslrootcert,
                maintenance_database,
            )
        else:
            raise BootstrapError("give --master-secret-arn with --host, or --master-url")
        if secrets_by_role and secrets_client is None:
            import boto3

            secrets_client = boto3.client("secretsmanager")
        bootstrap(
            target,
            databases=Databases(features=features_database, mlflow=mlflow_database),
            proxy_auth=proxy_auth,
            service_secrets=secrets_by_role,
            secrets_client=secrets_client,
            rotate_passwords=rotate_passwords,
            out=lambda line: print(line, flush=True),
        )
    except BootstrapError as error:
        print(f"db-bootstrap: error: {error}", file=sys.stderr)
        raise typer.Exit(1) from None


def main() -> None:
    app(prog_name="db-bootstrap")
