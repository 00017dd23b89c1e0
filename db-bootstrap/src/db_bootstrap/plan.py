"""What the platform's database looks like: one role per service, two databases, timeouts.

docs/database-access.md is the prose version of this module; keep them in step.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Access(enum.Enum):
    """What a role may do in the database it uses."""

    OWNER = "owns the store schema (creates, swaps, drops its tables)"
    READER = "may only SELECT the store tables"
    DATABASE_OWNER = "owns its own database"


class ProxyAuth(enum.Enum):
    """How the RDS Proxy logs in to the database as each service role.

    ``secrets``: with the role's password from its Secrets Manager secret (the proxy's
    ``auth { auth_scheme = "SECRETS" }``); the bootstrap sets each password and stores it.
    ``iam``: with IAM authentication end to end (the proxy's default auth scheme IAM_AUTH); the
    roles get ``rds_iam`` and have no password. A role holding ``rds_iam`` can no longer log
    in with a password on RDS, so the two modes exclude each other.
    """

    SECRETS = "secrets"
    IAM = "iam"


@dataclass(frozen=True)
class ServiceRole:
    name: str
    database: str  # "features" or "mlflow": which of Databases it uses
    access: Access
    # Applied with ALTER ROLE ... SET, so they hold for every session of the role, through
    # the proxy too, without the client sending SET (which would pin proxy connections).
    statement_timeout: str
    idle_in_transaction_session_timeout: str

    @property
    def settings(self) -> dict[str, str]:
        return {
            "statement_timeout": self.statement_timeout,
            "idle_in_transaction_session_timeout": self.idle_in_transaction_session_timeout,
        }


# Serving roles get short limits: a point lookup by primary key answers in milliseconds, so a
# statement running for seconds is a fault to cut off, not to wait for.
SERVICE_ROLES: tuple[ServiceRole, ...] = (
    ServiceRole("feature_pipeline", "features", Access.OWNER, "15min", "5min"),
    ServiceRole("inference", "features", Access.READER, "2s", "10s"),
    ServiceRole("monitoring", "features", Access.READER, "5min", "1min"),
    ServiceRole("mlflow", "mlflow", Access.DATABASE_OWNER, "2min", "1min"),
)
ROLE_NAMES = tuple(role.name for role in SERVICE_ROLES)
STORE_OWNER = next(role for role in SERVICE_ROLES if role.access is Access.OWNER)
STORE_READERS = tuple(role for role in SERVICE_ROLES if role.access is Access.READER)
MLFLOW_OWNER = next(role for role in SERVICE_ROLES if role.access is Access.DATABASE_OWNER)
RDS_IAM_ROLE = "rds_iam"


@dataclass(frozen=True)
class Databases:
    features: str = "features"
    mlflow: str = "mlflow"

    def name_for(self, role: ServiceRole) -> str:
        return self.features if role.database == "features" else self.mlflow
