"""`python -m devstack.migrations <service> "<message>"`: write a new Alembic revision for one
service by comparing its models with its migrations applied to a scratch PostgreSQL."""

from __future__ import annotations

import asyncio
import importlib
import sys
import tempfile
from pathlib import Path

from alembic import command

from common.db import alembic_config, make_engine, migrate
from devstack.ports import free_port
from devstack.postgres import LocalPostgres


async def _revision(service: str, message: str, url: str) -> None:
    module = importlib.import_module(f"{service}.service")
    svc_cls = next(v for v in vars(module).values() if isinstance(v, type) and getattr(v, "name", None) == service)
    engine = make_engine(url)
    await migrate(engine, svc_cls.migrations_dir, svc_cls.tables.metadata.schema)
    cfg = alembic_config(svc_cls.migrations_dir, svc_cls.tables.metadata.schema)
    versions = svc_cls.migrations_dir / "versions"
    rev_id = f"{len(list(versions.glob('[0-9]*.py'))) + 1:04d}"
    async with engine.connect() as conn:

        def run(sync_conn):
            cfg.attributes["connection"] = sync_conn
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)

        await conn.run_sync(run)
    await engine.dispose()


def main() -> None:
    service, message = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        pg = LocalPostgres(Path(tmp) / "pg", free_port())
        pg.start()
        try:
            pg.create_database("scratch")
            asyncio.run(_revision(service, message, pg.url("scratch")))
        finally:
            pg.destroy()


if __name__ == "__main__":
    main()
