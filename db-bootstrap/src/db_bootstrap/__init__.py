"""Bootstrap of the platform's PostgreSQL: service roles, databases, grants, role passwords.

Run as the RDS master user, the only thing that ever uses it (docs/database-access.md).
"""

from db_bootstrap.bootstrap import Report, bootstrap
from db_bootstrap.plan import SERVICE_ROLES, Databases, ProxyAuth, ServiceRole

__all__ = ["SERVICE_ROLES", "Databases", "ProxyAuth", "Report", "ServiceRole", "bootstrap"]
