"""The bootstrap as a list of idempotent steps: each checks the catalog, then changes if needed.

Every identifier reaches SQL through ``psycopg2.sql.Identifier`` and every value through a bound
parameter or ``sql.Literal``; nothing is spliced into SQL text with string formatting.
A step's ``needed`` query returns one boolean; the change runs only when it is true, so a second
run changes nothing and the report lists exactly what the run changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from psycopg2 import sql

from db_bootstrap.plan import (
    MLFLOW_OWNER,
    RDS_IAM_ROLE,
    SERVICE_ROLES,
    STORE_OWNER,
    STORE_READERS,
    Databases,
    ProxyAuth,
)

Cursor = Any  # psycopg2 cursor (untyped library)


@dataclass(frozen=True)
class Step:
    description: str
    change: sql.Composable
    needed: sql.Composable | None = None  # None: the step was derived from a query already
    params: tuple[object, ...] = ()


StepSource = Callable[[Cursor], Iterable[Step]]

_ROLE_OID = sql.SQL("(SELECT oid FROM pg_roles WHERE rolname = %s)")
_PUBLIC_SCHEMA = sql.Identifier("public")
# Relations the store owner must own: tables, partitioned tables, views, materialized views.
_RELATION_KINDS = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW"}


def _q(text: str) -> sql.SQL:
    return sql.SQL(text)


# --- cluster: roles, memberships, settings, databases ------------------------------------------


def roles(cursor: Cursor) -> Iterator[Step]:
    for role in SERVICE_ROLES:
        name = sql.Identifier(role.name)
        yield Step(
            f"create role {role.name} (LOGIN)",
            _q("CREATE ROLE {} LOGIN").format(name),
            _q("SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)"),
            (role.name,),
        )
        yield Step(
            f"allow role {role.name} to log in",
            _q("ALTER ROLE {} LOGIN").format(name),
            _q("SELECT NOT rolcanlogin FROM pg_roles WHERE rolname = %s"),
            (role.name,),
        )


def master_memberships(cursor: Cursor) -> Iterator[Step]:
    """The RDS master is no superuser: to create a database owned by ``mlflow`` and to set
    default privileges for ``feature_pipeline`` it must be a member of those roles."""
    for role in (STORE_OWNER, MLFLOW_OWNER):
        yield Step(
            f"make the bootstrap user a member of {role.name}",
            _q("GRANT {} TO CURRENT_USER").format(sql.Identifier(role.name)),
            _q("SELECT NOT pg_has_role(current_user, %s, 'USAGE')"),
            (role.name,),
        )


def role_settings(cursor: Cursor) -> Iterator[Step]:
    for role in SERVICE_ROLES:
        for setting, value in role.settings.items():
            yield Step(
                f"set {setting}={value} for {role.name}",
                _q("ALTER ROLE {} SET {} = {}").format(
                    sql.Identifier(role.name), sql.Identifier(setting), sql.Literal(value)
                ),
                _q(
                    "SELECT NOT EXISTS (SELECT 1 FROM pg_db_role_setting "
                    "WHERE setrole = {} AND setdatabase = 0 AND %s = ANY(setconfig))"
                ).format(_ROLE_OID),
                (role.name, f"{setting}={value}"),
            )


def rds_iam_exists(cursor: Cursor) -> bool:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)", (RDS_IAM_ROLE,))
    return bool(cursor.fetchone()[0])


def rds_iam_memberships(proxy_auth: ProxyAuth) -> StepSource:
    """IAM mode grants rds_iam; secrets mode revokes it (it would lock the proxy out)."""

    def source(cursor: Cursor) -> Iterator[Step]:
        if not rds_iam_exists(cursor):
            return
        member = _q(
            "SELECT EXISTS (SELECT 1 FROM pg_auth_members WHERE roleid = {} AND member = {})"
        ).format(_ROLE_OID, _ROLE_OID)
        for role in SERVICE_ROLES:
            params = (RDS_IAM_ROLE, role.name)
            if proxy_auth is ProxyAuth.IAM:
                yield Step(
                    f"grant {RDS_IAM_ROLE} to {role.name}",
                    _q("GRANT {} TO {}").format(
                        sql.Identifier(RDS_IAM_ROLE), sql.Identifier(role.name)
                    ),
                    _q("SELECT NOT ({})").format(member),
                    params,
                )
            else:
                yield Step(
                    f"revoke {RDS_IAM_ROLE} from {role.name} (the proxy logs in with its password)",
                    _q("REVOKE {} FROM {}").format(
                        sql.Identifier(RDS_IAM_ROLE), sql.Identifier(role.name)
                    ),
                    member,
                    params,
                )

    return source


def databases(names: Databases) -> StepSource:
    def source(cursor: Cursor) -> Iterator[Step]:
        exists = _q("SELECT NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = %s)")
        yield Step(
            f"create database {names.features}",
            _q("CREATE DATABASE {}").format(sql.Identifier(names.features)),
            exists,
            (names.features,),
        )
        yield Step(
            f"create database {names.mlflow} owned by {MLFLOW_OWNER.name}",
            _q("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(names.mlflow), sql.Identifier(MLFLOW_OWNER.name)
            ),
            exists,
            (names.mlflow,),
        )
        yield Step(
            f"hand database {names.mlflow} to {MLFLOW_OWNER.name}",
            _q("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(names.mlflow), sql.Identifier(MLFLOW_OWNER.name)
            ),
            _q("SELECT datdba <> {} FROM pg_database WHERE datname = %s").format(_ROLE_OID),
            (MLFLOW_OWNER.name, names.mlflow),
        )

    return source


def database_access(names: Databases) -> StepSource:
    """Only the roles that use a database may connect to it."""

    def source(cursor: Cursor) -> Iterator[Step]:
        for database in (names.features, names.mlflow):
            yield Step(
                f"revoke PUBLIC's privileges on database {database}",
                _q("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)),
                _q(
                    "SELECT EXISTS (SELECT 1 FROM pg_database d, "
                    "aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a "
                    "WHERE d.datname = %s AND a.grantee = 0)"
                ),
                (database,),
            )
        for role in SERVICE_ROLES:
            database = names.name_for(role)
            yield Step(
                f"allow {role.name} to connect to {database}",
                _q("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(database), sql.Identifier(role.name)
                ),
                _q("SELECT NOT has_database_privilege(%s, %s, 'CONNECT')"),
                (role.name, database),
            )

    return source


# --- inside the features database ---------------------------------------------------------------


def _no_public_create(cursor: Cursor) -> Iterator[Step]:
    yield Step(
        "revoke CREATE on schema public from PUBLIC",
        _q("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        _q(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace n, "
            "aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a "
            "WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE')"
        ),
    )


def _may_create_tables(role: str) -> Step:
    return Step(
        f"allow {role} to create tables in schema public",
        _q("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(sql.Identifier(role)),
        _q(
            "SELECT NOT (has_schema_privilege(%s, 'public', 'CREATE') "
            "AND has_schema_privilege(%s, 'public', 'USAGE'))"
        ),
        (role, role),
    )


def features_schema(cursor: Cursor) -> Iterator[Step]:
    yield from _no_public_create(cursor)
    yield _may_create_tables(STORE_OWNER.name)
    for reader in STORE_READERS:
        yield Step(
            f"allow {reader.name} to use schema public",
            _q("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(reader.name)),
            _q("SELECT NOT has_schema_privilege(%s, 'public', 'USAGE')"),
            (reader.name,),
        )


def store_ownership(cursor: Cursor) -> Iterator[Step]:
    """Tables a previous deployment created as another user pass to the store owner, or the
    pipeline could not swap them."""
    cursor.execute(
        _q(
            "SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = ANY(%s) AND c.relispartition = false "
            "AND c.relowner <> {} ORDER BY c.relname"
        ).format(_ROLE_OID),
        (list(_RELATION_KINDS), STORE_OWNER.name),
    )
    for name, kind in cursor.fetchall():
        yield Step(
            f"hand {_RELATION_KINDS[kind].lower()} public.{name} to {STORE_OWNER.name}",
            _q("ALTER {} {}.{} OWNER TO {}").format(
                _q(_RELATION_KINDS[kind]),
                _PUBLIC_SCHEMA,
                sql.Identifier(name),
                sql.Identifier(STORE_OWNER.name),
            ),
        )


def reader_default_privileges(cursor: Cursor) -> Iterator[Step]:
    """Grants that survive the store swap: every table the owner creates is readable."""
    for reader in STORE_READERS:
        yield Step(
            f"default privileges: tables {STORE_OWNER.name} creates are readable by {reader.name}",
            _q(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT SELECT ON TABLES TO {}"
            ).format(sql.Identifier(STORE_OWNER.name), sql.Identifier(reader.name)),
            _q(
                "SELECT NOT EXISTS (SELECT 1 FROM pg_default_acl d, aclexplode(d.defaclacl) a "
                "WHERE d.defaclrole = {} "
                "AND d.defaclnamespace = 'public'::regnamespace AND d.defaclobjtype = 'r' "
                "AND a.grantee = {} AND a.privilege_type = 'SELECT')"
            ).format(_ROLE_OID, _ROLE_OID),
            (STORE_OWNER.name, reader.name),
        )


_WRITE_PRIVILEGES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def reader_table_grants(cursor: Cursor) -> Iterator[Step]:
    """Tables that existed before the default privileges: readers get SELECT and nothing else."""
    for reader in STORE_READERS:
        cursor.execute(
            "SELECT c.relname, has_table_privilege(%s, c.oid, 'SELECT'), "
            "has_table_privilege(%s, c.oid, %s) "  # true if any of the listed privileges
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = ANY(%s) AND c.relispartition = false "
            "ORDER BY c.relname",
            (reader.name, reader.name, ", ".join(_WRITE_PRIVILEGES), list(_RELATION_KINDS)),
        )
        for name, can_read, can_write in cursor.fetchall():
            table = sql.SQL("{}.{}").format(_PUBLIC_SCHEMA, sql.Identifier(name))
            if can_write:
                yield Step(
                    f"revoke write privileges on public.{name} from {reader.name}",
                    _q("REVOKE {} ON {} FROM {}").format(
                        sql.SQL(", ").join(map(sql.SQL, _WRITE_PRIVILEGES)),
                        table,
                        sql.Identifier(reader.name),
                    ),
                )
            if not can_read:
                yield Step(
                    f"allow {reader.name} to read public.{name}",
                    _q("GRANT SELECT ON {} TO {}").format(table, sql.Identifier(reader.name)),
                )


FEATURES_DATABASE_STEPS: tuple[StepSource, ...] = (
    features_schema,
    store_ownership,
    reader_default_privileges,
    reader_table_grants,
)


# --- inside the mlflow database ------------------------------------------------------------------


def mlflow_schema(cursor: Cursor) -> Iterator[Step]:
    """MLflow creates its own tables (alembic migrations) in schema public."""
    yield from _no_public_create(cursor)
    yield _may_create_tables(MLFLOW_OWNER.name)


MLFLOW_DATABASE_STEPS: tuple[StepSource, ...] = (mlflow_schema,)
