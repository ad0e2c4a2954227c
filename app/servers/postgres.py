"""A private PostgreSQL 15 + PostGIS cluster in one folder, on its own port, listening on 127.0.0.1."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from pathlib import Path

from app.servers.private import PrivateServer
from app.servers.system import (
    ServerError,
    make_folder,
    pid_alive,
    remove_folder,
    require_binary,
)

log = logging.getLogger(__name__)

PACKAGE = "postgresql-15-postgis-3"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
CONF_NAME = "citypilot.conf"

# Written on every start. A dev box: durable (fsync on), room for 200 connections and bulk loads.
SETTINGS = """\
# Written by `citypilot services up` on every start (app/servers/postgres.py): edit that, not this.
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = {shared_buffers}
work_mem = 16MB
maintenance_work_mem = 256MB
effective_cache_size = 1GB
random_page_cost = 1.1
jit = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 2GB
checkpoint_timeout = 15min
fsync = {fsync}
full_page_writes = {fsync}
synchronous_commit = on
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
"""


class PrivatePostgres(PrivateServer):
    """A PostgreSQL + PostGIS cluster owned by the project, with a ``citypilot`` role and database.

    ``durable=False`` (throwaway test clusters) turns fsync off: a crashed *process* still loses
    nothing, only an OS crash could. Run as root, the server runs as the ``postgres`` user, and its
    files move to /var/lib/citypilot/... when that user cannot reach ``folder``.
    """

    user = "citypilot"
    database = "citypilot"

    service_user = "postgres"
    package = PACKAGE
    label = "PostgreSQL"

    def __init__(
        self, folder: Path, port: int | None = None, password: str | None = None, *, durable: bool = True
    ) -> None:
        super().__init__(folder, port, password)
        self.durable = durable

    # -- where things are ---------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log_file(self) -> Path:
        return self.folder / "postgres.log"

    @property
    def socket_dir(self) -> Path:
        """The unix socket folder: in the cluster folder unless that path is too long for a socket."""
        inside = self.folder / "run"
        if len(str(inside)) <= 80:
            return inside
        digest = hashlib.sha256(str(self.folder).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"citypilot-pg-{digest}"

    # -- URLs -----------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``citypilot`` database."""
        return self.admin_url(self.database)

    def admin_url(self, dbname: str = "postgres") -> str:
        """A URL to ``dbname`` as ``citypilot``, a superuser of this private cluster (may CREATE DATABASE)."""
        if self.port is None:
            raise ServerError("the private PostgreSQL has no port yet: call up() first")
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    # -- life cycle -----------------------------------------------------------------------------------
    def _pid_file(self) -> list[str]:
        try:
            return (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return []

    def running(self) -> bool:
        """Whether the cluster's postmaster runs (a pid file left by a crash or reboot does not count)."""
        lines = self._pid_file()
        return bool(lines) and lines[0].strip().isdigit() and pid_alive(int(lines[0]), "postgres")

    @property
    def pid(self) -> int | None:
        return int(self._pid_file()[0]) if self.running() else None

    def up(self) -> str:
        """Create the cluster if needed, start it if stopped, ensure role, database and PostGIS; the URL."""
        require_binary(PG_BIN / "initdb", PACKAGE, "PostgreSQL 15")
        require_binary(POSTGIS_CONTROL, PACKAGE, "PostGIS for PostgreSQL 15")
        if self.running():
            lines = self._pid_file()
            self.port = int(lines[3]) if len(lines) > 3 and lines[3].isdigit() else self.port
        else:
            self._prepare()
            self._start()
        self._provision()
        return self.url

    def down(self, mode: str = "fast") -> None:
        """Stop the cluster (``fast``: clean; ``immediate``: like a crash). Fine when already stopped."""
        if not self.running():
            return
        self.run_as.run(
            [PG_BIN / "pg_ctl", "stop", "-D", self.data_dir, "-m", mode, "-w", "-t", "120", "-s"],
            cwd=self.folder,
            timeout=150,
        )

    def purge(self) -> None:
        """Stop the cluster and delete all its files."""
        super().purge()
        if self.socket_dir.parent != self.folder:
            remove_folder(self.socket_dir)

    # -- steps ----------------------------------------------------------------------------------------
    def _prepare(self) -> None:
        if self.moved_reason:
            log.info("postgres: %s", self.moved_reason)
        make_folder(self.folder, self.run_as, 0o700)
        make_folder(self.socket_dir, self.run_as, 0o700)
        self._clear_misleading_locks()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()

    def _clear_misleading_locks(self) -> None:
        """Lock files of a dead postmaster whose pid now names another process (a zombie, a reused pid)
        would make postgres refuse to start: remove those. Postgres handles the others itself."""
        for lock in [self.data_dir / "postmaster.pid", *self.socket_dir.glob(".s.PGSQL.*.lock")]:
            try:
                pid = int(lock.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            if Path(f"/proc/{pid}").exists() and not pid_alive(pid, "postgres"):
                lock.unlink()

    def _initdb(self) -> None:
        log.info("postgres: creating a cluster in %s", self.data_dir)
        cmd: list[str | Path] = [PG_BIN / "initdb", "-D", self.data_dir, "-U", "postgres", "-E", "UTF8"]
        cmd += ["--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256"]
        if not self.durable:
            cmd.append("--no-sync")
        self.run_as.run(cmd, cwd=self.folder)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"\ninclude_if_exists = '{CONF_NAME}'\n")

    def _write_conf(self) -> None:
        conf = self.data_dir / CONF_NAME
        conf.write_text(
            SETTINGS.format(
                port=self.port,
                socket_dir=self.socket_dir,
                shared_buffers="256MB" if self.durable else "128MB",
                fsync="on" if self.durable else "off",
            )
        )
        self.run_as.own(conf)

    def _start(self) -> None:
        self._start_on_free_port(self._start_once, self.log_file)

    def _start_once(self) -> bool:
        self._write_conf()
        done = self.run_as.run(
            [PG_BIN / "pg_ctl", "start", "-D", self.data_dir, "-l", self.log_file, "-w", "-t", "120"],
            cwd=self.folder,
            timeout=150,
            check=False,
        )
        return done.returncode == 0

    def _provision(self) -> None:
        """Role ``citypilot`` (superuser of this private cluster, so tests may create databases), its
        database and PostGIS; idempotent, and resets the password to ours."""
        import psycopg
        from psycopg import sql

        def connect(dbname: str) -> psycopg.Connection:
            return psycopg.connect(
                host=str(self.socket_dir), port=self.port, user="postgres", dbname=dbname, autocommit=True
            )

        with connect("postgres") as conn:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [self.user]).fetchone():
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN SUPERUSER").format(sql.Identifier(self.user)))
            conn.execute(
                sql.SQL("ALTER ROLE {} WITH LOGIN SUPERUSER PASSWORD {}").format(
                    sql.Identifier(self.user), sql.Literal(self.password)
                )
            )
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.database]).fetchone():
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(self.database), sql.Identifier(self.user)
                    )
                )
        with connect(self.database) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
