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
async def test_migrations_match_the_models(empty_database_url, service):
    engine = make_engine(empty_database_url)
    try:
        # three replicas starting together: the advisory lock makes them take turns
        await asyncio.gather(*(migrate(engine, service.migrations_dir, service.schema) for _ in range(3)))
        async with engine.connect() as conn:

            def diff(sync_conn):
                ctx = MigrationContext.configure(
                    sync_conn,
                    opts={
                        "include_schemas": True,
                        "include_name": lambda name, type_, parent: (
                            name == service.schema if type_ == "schema" else name != "alembic_version"
                        ),
                    },
                )
                return compare_metadata(ctx, service.tables.metadata)

            assert await conn.run_sync(diff) == []
            schemas = (
                (
                    await conn.execute(
                        text("SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'outbox'")
                    )
                )
                .scalars()
                .all()
            )
            assert schemas == [service.schema]
    finally:
        await engine.dispose()


async def test_an_intake_catalogue_from_before_versions_is_filled_in_and_becomes_version_1(empty_database_url):
    """A database seeded at revision 0003 (Open311 fields blank, no merge radius) is upgraded
    in place: categories no admin edited take the seed's attributes and radius, an edited
    description is kept, and each category's current state is its version 1."""
    from alembic import command

    from common.db import alembic_config

    intake = next(s for s in SERVICES if s.name == "intake")
    cfg = alembic_config(intake.migrations_dir, "intake")
    engine = make_engine(empty_database_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text('CREATE SCHEMA IF NOT EXISTS "intake"'))
            await conn.commit()

            def upgrade(sync_conn, to: str) -> None:
                cfg.attributes["connection"] = sync_conn
                command.upgrade(cfg, to)

            await conn.run_sync(upgrade, "0003")
            await conn.execute(
                text(
                    "INSERT INTO intake.categories (code, name, kind, owner, time_limit_hours, "
                    "urgent_time_limit_hours, "
                    "description) VALUES ('illegal_parking', '违章停车', 'event', 'grid_squad', 8, 2, ''), "
                    "('noise', '噪音扰民', 'event', 'grid_squad', 24, 2, '本局自定的说明')"
                )
            )
            await conn.commit()
            await conn.run_sync(upgrade, "head")
            await conn.commit()
            rows = {
                r.code: r
                for r in (
                    await conn.execute(
                        text(
                            "SELECT code, description, attributes, dedup_radius_m, dedup_window_hours, version "
                            "FROM intake.categories"
                        )
                    )
                ).all()
            }
            versions = (
                await conn.execute(
                    text("SELECT code, version, dedup_radius_m FROM intake.category_versions ORDER BY code")
                )
            ).all()
    finally:
        await engine.dispose()
    parking, noise = rows["illegal_parking"], rows["noise"]
    assert [a["code"] for a in parking.attributes] == ["plate", "vehicle"] and parking.description == "违章停车"
    assert (parking.dedup_radius_m, parking.dedup_window_hours, parking.version) == (20, 4, 1)
    assert noise.description == "本局自定的说明" and (noise.dedup_radius_m, noise.dedup_window_hours) == (150, 12)
    assert [tuple(v) for v in versions] == [("illegal_parking", 1, 20), ("noise", 1, 150)]
