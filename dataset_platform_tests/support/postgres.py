"""Start a throw-away PostgreSQL server from the system's binaries (tests and benchmarks).

PostgreSQL refuses to run as root, so when we are root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path:
    candidates = [os.environ.get("PG_BIN", "")] + sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    if shutil.which("pg_ctl"):
        return Path(shutil.which("pg_ctl")).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found (pg_ctl). Install them with `make system-deps` "
        "(apt-get install postgresql) or set PG_BIN."
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    datadir: Path
    port: int
    bindir: Path
    as_user: str | None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def create_database(self, name: str | None = None) -> str:
        import sqlalchemy as sa

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_postgres(port: int | None = None, extra_conf: dict[str, str] | None = None) -> PostgresServer:
    bindir = find_bindir()
    as_user = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="dp-pg-"))
    datadir = root / "data"
    sockdir = root / "sock"
    sockdir.mkdir()
    if as_user:
        shutil.chown(root, as_user)
        shutil.chown(sockdir, as_user)
        root.chmod(0o755)
    server = PostgresServer(datadir=datadir, port=port or free_port(), bindir=bindir, as_user=as_user)
    server._run("initdb", "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    conf = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(server.port),
        "unix_socket_directories": f"'{sockdir}'",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "200",
        **(extra_conf or {}),
    }
    with open(datadir / "postgresql.conf", "a") as f:
        f.writelines(f"{k} = {v}\n" for k, v in conf.items())
    server._run("pg_ctl", "start", "-D", str(datadir), "-l", str(root / "server.log"), "-w", "-t", "60")
    return server
