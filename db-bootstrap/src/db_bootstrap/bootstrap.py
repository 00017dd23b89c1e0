"""Run the steps against a server as the master user and report what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from db_bootstrap import secret_store, steps
from db_bootstrap.errors import BootstrapError
from db_bootstrap.plan import RDS_IAM_ROLE, ROLE_NAMES, SERVICE_ROLES, Databases, ProxyAuth
from db_bootstrap.target import Target

Output = Callable[[str], None]


@dataclass
class Report:
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)


def _run_steps(
    connection: Any, sources: Iterable[steps.StepSource], report: Report, out: Output
) -> None:
    with connection.cursor() as cursor:
        for source in sources:
            for step in list(source(cursor)):
                if step.needed is not None:
                    cursor.execute(step.needed, step.params)
                    if not cursor.fetchone()[0]:
                        report.unchanged += 1
                        continue
                try:
                    cursor.execute(step.change)
                except psycopg2.Error as error:
                    detail = (error.pgerror or str(error)).strip()
                    raise BootstrapError(f"could not {step.description}: {detail}") from None
                report.changed.append(step.description)
                out(f"changed: {step.description}")


def _check_service_secrets(service_secrets: Mapping[str, str], proxy_auth: ProxyAuth) -> None:
    unknown = sorted(set(service_secrets) - set(ROLE_NAMES))
    if unknown:
        raise BootstrapError(
            f"--service-secrets names unknown role(s) {', '.join(unknown)}; "
            f"the service roles are {', '.join(ROLE_NAMES)}"
        )
    if service_secrets and proxy_auth is ProxyAuth.IAM:
        raise BootstrapError(
            "--service-secrets given with --proxy-auth iam: with IAM end to end the roles have "
            "no password (they hold rds_iam, which rules out password log-in)"
        )


def _manage_passwords(
    connection: Any,
    target: Target,
    names: Databases,
    service_secrets: Mapping[str, str],
    secrets_client: Any,
    rotate: bool,
    report: Report,
    out: Output,
) -> None:
    """Each role's password lives in its secret first, then in the database.

    Secret first: if the run stops between the two, the next run finds the new password in
    the secret and sets it, so the proxy (which reads the secret) and the database agree again.
    The database receives a SCRAM verifier computed here, never the password itself, so no
    statement log (log_statement=ddl on RDS) can record it.
    """
    for role in SERVICE_ROLES:
        arn = service_secrets.get(role.name)
        if arn is None:
            report.notes.append(f"password of {role.name} not managed: no secret given for it")
            continue
        password = None if rotate else secret_store.stored_password(secrets_client, arn, role.name)
        if password is None:
            password = secret_store.new_password()
            version = secret_store.store_password(
                secrets_client,
                arn,
                role.name,
                password,
                {
                    "engine": "postgres",
                    "host": target.host,
                    "port": target.port,
                    "dbname": names.name_for(role),
                },
            )
            out(f"changed: stored a new password for {role.name} in {arn} (version {version})")
            report.changed.append(f"new password for {role.name}")
        verifier = psycopg2.extensions.encrypt_password(
            password, role.name, connection, "scram-sha-256"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(role.name), sql.Literal(verifier)
                )
            )
        out(f"password of {role.name} set from its secret")


def _rds_iam_note(exists: bool, proxy_auth: ProxyAuth) -> str:
    if proxy_auth is ProxyAuth.IAM:
        if exists:
            return f"{RDS_IAM_ROLE} granted to every service role (the proxy logs in with IAM)"
        return f"role {RDS_IAM_ROLE} does not exist (not RDS): {RDS_IAM_ROLE} grants skipped"
    if exists:
        return (
            f"{RDS_IAM_ROLE} not granted: the proxy logs in to the database with the roles' "
            "passwords, which a role holding it could not do"
        )
    return f"role {RDS_IAM_ROLE} does not exist (not RDS); --proxy-auth secrets does not use it"


@contextmanager
def _connected(target: Target, database: str | None = None) -> Iterator[Any]:
    connection = target.connect(database)
    try:
        yield connection
    finally:
        connection.close()


def _bootstrap_cluster(
    target: Target, names: Databases, proxy_auth: ProxyAuth, report: Report, out: Output
) -> None:
    with _connected(target) as cluster:
        with cluster.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolsuper, version() "
                "FROM pg_roles WHERE rolname = current_user"
            )
            user, superuser, version = cursor.fetchone()
        kind = "superuser" if superuser else "not a superuser"
        out(f"connected to {target.describe()}: {user} ({kind}); {version.split(',')[0]}")
        _run_steps(
            cluster,
            (
                steps.roles,
                steps.master_memberships,
                steps.role_settings,
                steps.rds_iam_memberships(proxy_auth),
                steps.databases(names),
                steps.database_access(names),
            ),
            report,
            out,
        )
        with cluster.cursor() as cursor:
            report.notes.append(_rds_iam_note(steps.rds_iam_exists(cursor), proxy_auth))


def bootstrap(
    target: Target,
    *,
    databases: Databases | None = None,
    proxy_auth: ProxyAuth = ProxyAuth.SECRETS,
    service_secrets: Mapping[str, str] | None = None,
    secrets_client: Any = None,
    rotate_passwords: bool = False,
    out: Output = print,
) -> Report:
    """Bring the server to the state docs/database-access.md describes; idempotent."""
    names = databases or Databases()
    secrets_by_role = dict(service_secrets or {})
    _check_service_secrets(secrets_by_role, proxy_auth)
    if secrets_by_role and secrets_client is None:
        raise BootstrapError("service secrets given without a Secrets Manager client")
    report = Report()

    _bootstrap_cluster(target, names, proxy_auth, report, out)
    for database, sources in (
        (names.features, steps.FEATURES_DATABASE_STEPS),
        (names.mlflow, steps.MLFLOW_DATABASE_STEPS),
    ):
        with _connected(target, database) as connection:
            _run_steps(connection, sources, report, out)
    if proxy_auth is ProxyAuth.SECRETS:
        with _connected(target) as cluster:
            _manage_passwords(
                cluster,
                target,
                names,
                secrets_by_role,
                secrets_client,
                rotate_passwords,
                report,
                out,
            )
    else:
        report.notes.append(
            "passwords not managed: the proxy authenticates with IAM (--proxy-auth iam)"
        )

    for note in report.notes:
        out(f"note: {note}")
    out(f"done: {len(report.changed)} changed, {report.unchanged} already in place")
    return report
