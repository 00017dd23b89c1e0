"""`db-bootstrap`: create the platform's roles, databases and grants as the RDS master user.

Exit codes: 0 done (also when nothing had to change), 1 the bootstrap failed (message on
stderr), 2 bad usage.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from db_bootstrap import aws
from db_bootstrap.bootstrap import bootstrap
from db_bootstrap.errors import BootstrapError
from db_bootstrap.plan import Databases, ProxyAuth
from db_bootstrap.target import MAINTENANCE_DATABASE, Target

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

ENV_PREFIX = "DB_BOOTSTRAP_"


def _option(variable: str, help_text: str, *flags: str) -> Any:
    return typer.Option(*flags, envvar=ENV_PREFIX + variable, help=help_text)


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


MasterSecretArn = Annotated[
    str | None,
    _option(
        "MASTER_SECRET_ARN",
        "RDS-managed master user secret (JSON username/password). Needs --host and --sslrootcert.",
    ),
]
Host = Annotated[str | None, _option("HOST", "DB instance endpoint (with --master-secret-arn).")]
Port = Annotated[int, _option("PORT", "Database port.")]
SslRootCert = Annotated[
    str | None,
    _option(
        "SSLROOTCERT",
        "CA bundle that verifies the server (required with --master-secret-arn; always "
        "verify-full). A DB instance endpoint needs the RDS CA bundle of its region.",
    ),
]
MasterUrl = Annotated[
    str | None,
    _option(
        "MASTER_URL",
        "Instead of the secret: a postgresql:// URL of the master user (local runs, tests); "
        "TLS settings in its query.",
    ),
]
MaintenanceDatabase = Annotated[
    str, _option("MAINTENANCE_DATABASE", "Database the cluster-wide steps run in.")
]
ServiceSecrets = Annotated[
    str,
    _option(
        "SERVICE_SECRETS",
        "role=ARN,... : the secret of each service role that the RDS Proxy logs in with; its "
        "password is generated (once), stored there and set on the role.",
    ),
]
ProxyAuthOption = Annotated[
    ProxyAuth,
    _option(
        "PROXY_AUTH",
        "How the proxy logs in to the database: 'secrets' (role passwords) or 'iam' (rds_iam, "
        "no passwords).",
    ),
]
RotatePasswords = Annotated[
    bool,
    _option(
        "ROTATE_PASSWORDS",
        "Generate new passwords even for roles whose secret already holds one.",
        "--rotate-passwords",
    ),
]
FeaturesDatabase = Annotated[str, _option("FEATURES_DATABASE", "Online feature store database.")]
MlflowDatabase = Annotated[str, _option("MLFLOW_DATABASE", "MLflow registry database.")]


def _secrets_client() -> Any:
    return aws.client("secretsmanager")


def _master_target(
    master_url: str | None,
    master_secret_arn: str | None,
    host: str | None,
    port: int,
    sslrootcert: str | None,
    maintenance_database: str,
) -> Target:
    if master_url and master_secret_arn:
        raise BootstrapError("give either --master-url or --master-secret-arn, not both")
    if master_url:
        return Target.from_url(master_url)
    if not master_secret_arn:
        raise BootstrapError("give --master-secret-arn with --host, or --master-url")
    if not host:
        raise BootstrapError("--master-secret-arn needs --host (the secret holds no endpoint)")
    if not sslrootcert:
        raise BootstrapError(
            "--master-secret-arn needs --sslrootcert: the DB instance presents a certificate "
            "from the RDS CA (e.g. rds-ca-rsa2048-g1), so pass AWS's RDS CA bundle for the "
            "region; the connection is always verify-full"
        )
    from db_bootstrap.secret_store import master_credentials

    credentials = master_credentials(_secrets_client(), master_secret_arn)
    return Target.from_master_secret(credentials, host, port, sslrootcert, maintenance_database)


@app.command()
def run(
    master_secret_arn: MasterSecretArn = None,
    host: Host = None,
    port: Port = 5432,
    sslrootcert: SslRootCert = None,
    master_url: MasterUrl = None,
    maintenance_database: MaintenanceDatabase = MAINTENANCE_DATABASE,
    service_secrets: ServiceSecrets = "",
    proxy_auth: ProxyAuthOption = ProxyAuth.SECRETS,
    rotate_passwords: RotatePasswords = False,
    features_database: FeaturesDatabase = "features",
    mlflow_database: MlflowDatabase = "mlflow",
) -> None:
    """Create or repair the service roles, databases, grants and role passwords (idempotent).

    Prints each change; never prints a password.
    """
    try:
        secrets_by_role = parse_service_secrets(service_secrets)
        target = _master_target(
            master_url, master_secret_arn, host, port, sslrootcert, maintenance_database
        )
        bootstrap(
            target,
            databases=Databases(features=features_database, mlflow=mlflow_database),
            proxy_auth=proxy_auth,
            service_secrets=secrets_by_role,
            secrets_client=_secrets_client() if secrets_by_role else None,
            rotate_passwords=rotate_passwords,
            out=lambda line: print(line, flush=True),
        )
    except BootstrapError as error:
        print(f"db-bootstrap: error: {error}", file=sys.stderr)
        raise typer.Exit(1) from None


def main() -> None:
    app(prog_name="db-bootstrap")
