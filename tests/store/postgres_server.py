"""A real PostgreSQL server for the tests: Debian's ``postgresql`` package (``.ci/run`` installs it when missing),
started by a fixture in a temporary folder on a Unix socket, one fresh database per test."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PORT = 54329  # names the socket file in the private folder only (no TCP), so runs never collide


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries: install Debian's postgresql package (.ci/run does)")
    return Path(found[-1]).parent


def _as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the package's ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresServer:
    """``start()`` initialises and starts a cluster; ``database()`` makes a fresh database and returns its URL."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="vadbench-postgres-"))
        self.count = 0

    def start(self) -> PostgresServer:
        bin_dir, data = _binaries(), self.folder / "data"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self.folder.chmod(0o755)
        subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                        "--no-sync"]), check=True, capture_output=True)
        options = f"-k {self.folder} -p {PORT} -c listen_addresses='' -c fsync=off -c max_connections=60"
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w",
                                        "-l", str(self.folder / "server.log"), "start"]),
                       check=True, capture_output=True)
        self.bin_dir, self.data = bin_dir, data
        return self

    def stop(self) -> None:
        subprocess.run(_as_server_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                                        "stop"]), capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def database(self) -> str:
        """A new, empty database on the server, as an SQLAlchemy URL."""
        import psycopg

        self.count += 1
        name = f"vadbench_test_{self.count}"
        with psycopg.connect(host=str(self.folder), port=PORT, user="postgres", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@/{name}?host={self.folder}&port={PORT}"
