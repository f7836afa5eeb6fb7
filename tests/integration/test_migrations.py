"""Each service's migrations build exactly the tables its models describe, in its own schema,
and replicas that start at once migrate once."""
from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from common.db import make_engine, migrate
from monolith.app import build_services

pytestmark = pytest.mark.integration

SERVICES = build_services("postgresql+asyncpg://unused/unused", None)


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
async def test_migrations_match_the_models(database_url, service):
    engine = make_engine(database_url)
    try:
        # three replicas starting together: the advisory lock makes them take turns
        await asyncio.gather(*(migrate(engine, service.migrations_dir, service.schema) for _ in range(3)))
        async with engine.connect() as conn:
            def diff(sync_conn):
                ctx = MigrationContext.configure(sync_conn, opts={
                    "include_schemas": True,
                    "include_name": lambda name, type_, parent: (
                        name == service.schema if type_ == "schema" else name != "alembic_version"),
                })
                return compare_metadata(ctx, service.tables.metadata)
            assert await conn.run_sync(diff) == []
            schemas = (await conn.execute(text(
                "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'outbox'"))).scalars().all()
            assert schemas == [service.schema]
    finally:
        await engine.dispose()
