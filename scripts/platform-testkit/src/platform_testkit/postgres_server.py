"""The throwaway PostgreSQL server itself: binaries, an unprivileged user, TLS, the process.

initdb and postgres refuse to run as root, so under root both run as an existing unprivileged
account (``postgres`` if present, else ``nobody``) that owns the temporary data directory.
The server listens only on 127.0.0.1, over TLS only (a certificate from a CA generated for the
session; a connection without TLS is rejected by pg_hba, like ``rds.force_ssl=1``). It trusts
every role over TLS (no passwords, no IAM tokens: it lives for one test session and holds only
test data), except in the ``password_auth`` database, where the role's password is checked.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platform_testkit.postgres import (
    HOST,
    MASTER_USER,
    PASSWORD_DATABASE,
    SESSION_DATABASE,
    SUPERUSER,
    Endpoint,
    PostgresStartupError,
    PostgresUnavailableError,
    create_database,
    execute,
    to_libpq_url,
    with_database,
)

TEMP_DIR_PREFIX = "platform-testkit-pg-"
BINDIR_ENV = "TESTKIT_PG_BINDIR"
OWNER_FILE = "owner.pid"
_UNPRIVILEGED_CANDIDATES = ("postgres", "nobody")
_STARTUP_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 20.0
# Settings that trade durability for speed; the data is thrown away after the session.
_FAST_SETTINGS = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "32MB",
    "max_wal_size": "256MB",
    "log_min_messages": "warning",
    "max_locks_per_transaction": "128",
}


# --- locating binaries and a user ------------------------------------------------------------


def _has_server_binaries(bindir: Path) -> bool:
    return all((bindir / tool).is_file() for tool in ("initdb", "postgres"))


def find_bindir() -> Path:
    """Directory with initdb/postgres: $TESTKIT_PG_BINDIR, pg_config, Debian layout, PATH."""
    override = os.environ.get(BINDIR_ENV)
    if override:
        if _has_server_binaries(Path(override)):
            return Path(override)
        raise PostgresUnavailableError(f"{BINDIR_ENV}={override} has no initdb/postgres binaries")

    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(result.stdout.strip()))

    def major_version(path: str) -> int:
        name = Path(path).parent.name
        return int(name) if name.isdigit() else -1

    debian_dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=major_version, reverse=True)
    candidates.extend(Path(d) for d in debian_dirs)
    initdb_on_path = shutil.which("initdb")
    if initdb_on_path:
        candidates.append(Path(initdb_on_path).parent)

    for candidate in candidates:
        if _has_server_binaries(candidate):
            return candidate
    raise PostgresUnavailableError(
        "PostgreSQL server binaries (initdb, postgres) not found: looked at pg_config --bindir, "
        f"/usr/lib/postgresql/*/bin and PATH. Install PostgreSQL, set {BINDIR_ENV}, or set "
        "TEST_DATABASE_URL to an existing server."
    )


@dataclass(frozen=True)
class RunAs:
    """Who runs initdb/postgres. ``None`` fields mean 'the current user'."""

    name: str
    uid: int | None = None
    gid: int | None = None

    def command(self, argv: Sequence[str]) -> list[str]:
        # setpriv also arms a parent-death signal: if the test process is killed outright
        # (SIGKILL, OOM) the postmaster gets SIGINT (fast shutdown) instead of being orphaned.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            return list(argv)
        prefix = [setpriv, "--pdeathsig", "INT"]
        if self.uid is not None:
            prefix += [f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups"]
        return [*prefix, "--", *argv]

    def popen_credentials(self) -> dict[str, Any]:
        """Fallback privilege drop when setpriv is missing (applied by subprocess itself)."""
        if self.uid is None or self.gid is None or shutil.which("setpriv"):
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def choose_run_as() -> RunAs:
    if os.geteuid() != 0:
        return RunAs(name=pwd.getpwuid(os.geteuid()).pw_name)
    for name in _UNPRIVILEGED_CANDIDATES:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            return RunAs(name=name, uid=entry.pw_uid, gid=entry.pw_gid)
    raise PostgresUnavailableError(
        "running as root and none of the unprivileged users "
        f"{', '.join(_UNPRIVILEGED_CANDIDATES)} exists to run PostgreSQL as "
        "(create one, e.g. `useradd --system --no-create-home postgres`)"
    )


# --- the server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 40) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no server log)"
    return "\n".join(content[-lines:]) or "(server log empty)"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recorded_pid_alive(pid_file: Path) -> bool:
    try:
        return _pid_alive(int(pid_file.read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        return False


def remove_stale_directories(temp_root: str | None = None) -> None:
    """Delete data dirs left by earlier sessions that were killed before cleaning up.

    A directory is stale only when the test process that created it (``owner.pid``) and its
    postmaster are both gone, so servers of concurrent sessions are never touched.
    """
    root = Path(temp_root or tempfile.gettempdir())
    for directory in root.glob(f"{TEMP_DIR_PREFIX}*"):
        owner_file = directory / OWNER_FILE
        if not owner_file.exists() or _recorded_pid_alive(owner_file):
            continue
        if _recorded_pid_alive(directory / "data" / "postmaster.pid"):
            continue
        shutil.rmtree(directory, ignore_errors=True)


def _world_traversable(directory: Path) -> bool:
    return all(part.stat().st_mode & stat.S_IXOTH for part in [directory, *directory.parents])


def temp_root(run_as: RunAs) -> Path:
    """Where to put the server's directory: $TMPDIR unless the server user cannot reach it.

    The unix socket path must also stay under the ~107-byte limit of sockaddr_un.
    """
    root = Path(tempfile.gettempdir()).resolve()
    too_long = len(str(root)) > 60
    unreachable = run_as.uid is not None and not _world_traversable(root)
    return Path("/tmp") if too_long or unreachable else root  # noqa: S108 - fallback only


_HBA = f"""\
# platform-testkit: TCP with TLS only, like RDS with rds.force_ssl=1. Roles are trusted over TLS
# (the emulator cannot check RDS IAM tokens); {PASSWORD_DATABASE} checks the role's password.
# TYPE    DATABASE            USER  ADDRESS        METHOD
hostssl   {PASSWORD_DATABASE}  all   {HOST}/32   scram-sha-256
hostssl   all                 all   {HOST}/32   trust
hostnossl all                 all   0.0.0.0/0      reject
"""


@dataclass
class PostgresServer:
    bindir: Path
    run_as: RunAs
    root: Path
    base_dir: Path = field(init=False)
    port: int = field(init=False, default=0)
    process: subprocess.Popen[bytes] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.base_dir = Path(tempfile.mkdtemp(prefix=TEMP_DIR_PREFIX, dir=self.root))
        (self.base_dir / OWNER_FILE).write_text(f"{os.getpid()}\n")

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "sock"

    @property
    def tls_dir(self) -> Path:
        return self.base_dir / "tls"

    @property
    def hba_file(self) -> Path:
        return self.base_dir / "pg_hba.conf"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    @property
    def ca_file(self) -> Path:
        return self.tls_dir / "ca.crt"

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(
            host=HOST,
            port=self.port,
            admin_user=SUPERUSER,
            admin_database=SESSION_DATABASE,
            master_user=MASTER_USER,
            query=(("sslmode", "verify-full"), ("sslrootcert", str(self.ca_file))),
        )

    @property
    def url(self) -> str:
        """Superuser URL of the session database (TLS verified against the session CA)."""
        return self.endpoint.admin_url

    def _chown(self, path: Path) -> None:
        if self.run_as.uid is not None and self.run_as.gid is not None:
            os.chown(path, self.run_as.uid, self.run_as.gid)

    def _run(self, argv: Sequence[str], timeout: float) -> None:
        result = subprocess.run(
            self.run_as.command(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.base_dir,  # the server user may not be able to enter our cwd
            **self.run_as.popen_credentials(),
        )
        if result.returncode != 0:
            raise PostgresStartupError(
                f"{' '.join(argv)} failed with exit code {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )

    def initdb(self) -> None:
        self._chown(self.base_dir)
        self.socket_dir.mkdir()
        self._chown(self.socket_dir)
        self._run(
            [
                str(self.bindir / "initdb"),
                f"--pgdata={self.data_dir}",
                f"--username={SUPERUSER}",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            timeout=120,
        )
        self._write_tls_files()

    def _write_tls_files(self) -> None:
        from platform_testkit.tls import write_server_certificate

        self.tls_dir.mkdir()
        certificate = write_server_certificate(self.tls_dir)
        self.hba_file.write_text(_HBA)
        for path in (self.tls_dir, certificate.cert_file, certificate.key_file, self.hba_file):
            self._chown(path)
        # The CA certificate is public: any client process (other users included) may read it.
        self.tls_dir.chmod(0o755)
        self.ca_file.chmod(0o644)

    def _settings(self) -> dict[str, str]:
        return {
            **_FAST_SETTINGS,
            "hba_file": str(self.hba_file),
            "ssl": "on",
            "ssl_cert_file": str(self.tls_dir / "server.crt"),
            "ssl_key_file": str(self.tls_dir / "server.key"),
            "ssl_min_protocol_version": "TLSv1.2",
            "password_encryption": "scram-sha-256",
        }

    def start(self, attempts: int = 3) -> None:
        """Start the postmaster; retry on another port if a free port was taken meanwhile."""
        last_error: PostgresStartupError | None = None
        for _ in range(attempts):
            self.port = _free_port()
            try:
                self._start_once()
                return
            except PostgresStartupError as error:
                last_error = error
                self.stop()
                if "could not bind" not in str(error) and "in use" not in str(error):
                    raise
        assert last_error is not None
        raise last_error

    def _start_once(self) -> None:
        argv = [
            str(self.bindir / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-k",
            str(self.socket_dir),
        ]
        for name, value in self._settings().items():
            argv += ["-c", f"{name}={value}"]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                self.run_as.command(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.base_dir,
                # Own process group: a Ctrl-C in the terminal reaches pytest, which then stops
                # the server in order, instead of killing the server under a running test.
                start_new_session=True,
                **self.run_as.popen_credentials(),
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        import psycopg2

        assert self.process is not None
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        # Readiness is checked the way every client connects: TLS, server verified.
        dsn = to_libpq_url(with_database(self.url, "postgres")) + "&connect_timeout=2"
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PostgresStartupError(
                    f"postgres exited with code {self.process.returncode} during startup; "
                    f"log tail ({self.log_file}):\n{_tail(self.log_file)}"
                )
            try:
                connection = psycopg2.connect(dsn)
            except psycopg2.OperationalError as error:
                last_error = error
                time.sleep(0.05)
                continue
            connection.close()
            return
        raise PostgresStartupError(
            f"postgres did not accept connections on {HOST}:{self.port} within "
            f"{_STARTUP_TIMEOUT_S}s (last error: {last_error}); log tail:\n{_tail(self.log_file)}"
        )

    def create_session_objects(self) -> None:
        """The session database and the master role (what RDS creates with the instance)."""
        from psycopg2 import sql

        admin = with_database(self.url, "postgres")
        create_database(admin, SESSION_DATABASE)
        execute(
            admin,
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE CREATEDB").format(sql.Identifier(MASTER_USER)),
        )

    def stop(self) -> None:
        """Fast shutdown (SIGINT: abort transactions, close connections), then SIGKILL."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # The postmaster may run under another uid; as root (or as that same user) we may
        # signal it. setpriv exec()s into postgres, so the pid is the postmaster's.
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=_STOP_TIMEOUT_S)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)


@contextlib.contextmanager
def running_postgres_server() -> Iterator[PostgresServer]:
    """Start a throwaway TLS-only server with an empty ``platform_test`` database and the
    ``rds_master`` role; stop and remove it after."""
    bindir = find_bindir()
    run_as = choose_run_as()
    root = temp_root(run_as)
    remove_stale_directories(str(root))
    server = PostgresServer(bindir=bindir, run_as=run_as, root=root)
    # Backstop for exits that skip fixture teardown (e.g. a second Ctrl-C, sys.exit in a hook).
    atexit.register(server.close)
    try:
        server.initdb()
        server.start()
        server.create_session_objects()
        yield server
    finally:
        server.close()
        atexit.unregister(server.close)
