"""pytest plugin: a throwaway PostgreSQL server for the test session.

The server is created by the tests themselves: ``initdb`` into a temporary directory (as the
``postgres`` user when the tests run as root, since PostgreSQL refuses to run as root),
``pg_ctl start`` on a free loopback port with durability turned off (it is thrown away), and
``pg_ctl stop`` at the end of the session. Nothing is installed or left running.

If the server binaries are missing, tests that need the server FAIL with a message saying how
to install them (`make system-deps`); set ``CLINIFORM_SKIP_POSTGRES=1`` to skip them instead.
``CLINIFORM_PG_BIN`` names the directory holding initdb and pg_ctl, if not the usual one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SKIP_ENV = "CLINIFORM_SKIP_POSTGRES"
BIN_ENV = "CLINIFORM_PG_BIN"
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
}


def find_bindir() -> Path | None:
    """The directory with initdb and pg_ctl: $CLINIFORM_PG_BIN if set (and only it), else
    the one on PATH, else the newest /usr/lib/postgresql/*/bin (Debian)."""
    if os.environ.get(BIN_ENV):
        candidates = [Path(os.environ[BIN_ENV])]
    else:
        on_path = shutil.which("initdb")
        candidates = [Path(on_path).parent] if on_path else []
        candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True,
                             key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    bindir: Path
    datadir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE) as the superuser."""
        import psycopg

        with psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql.encode())

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create ``name`` (a copy of ``template`` if given); returns its URL."""
        clause = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{clause}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser") is None:
        pytest.fail("tests run as root but `runuser` is missing; cannot start PostgreSQL", pytrace=False)
    return ["runuser", "-u", "postgres", "--", *command]


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(_as_server_user(command), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: PostgreSQL tests skipped")
    bindir = find_bindir()
    if bindir is None:
        pytest.fail(
            f"PostgreSQL server binaries (initdb, pg_ctl) not found in ${BIN_ENV}, PATH or "
            "/usr/lib/postgresql/*/bin. Install them with `make system-deps` (Debian package "
            f"`postgresql`), or set {SKIP_ENV}=1 to skip the PostgreSQL tests.",
            pytrace=False,
        )
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("tests run as root but there is no `postgres` user to run the server as",
                        pytrace=False)
    base = Path(tempfile.mkdtemp(prefix="cliniform-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    datadir = base / "data"
    _run([str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
          "--locale=C.UTF-8", "--no-sync", "--no-instructions"], "initdb")
    port = free_port()
    options = " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
    _run([str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(base / "server.log"), "-w",
          "-t", "60", "-o", f"-p {port} -k {base} {options}", "start"], "pg_ctl start")
    try:
        yield PostgresServer("127.0.0.1", port, "postgres", bindir, datadir)
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate",
                                        "-w", "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
