"""Fixtures: the real PostgreSQL and Apache Kafka, started once per run by the suite itself.
If either cannot start, the run fails and says why: integration tests are never skipped."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from common.auth import Role, issue_token
from common.db import make_engine, migrate
from common.service import start_all
from common.settings import AuthSettings
from devstack.kafka import LocalKafka
from devstack.ofd_sealer import LocalOfdSealer
from devstack.ports import free_port
from devstack.postgres import LocalPostgres

_db_counter = itertools.count(1)
for _service in ("INTAKE", "DISPATCH", "CASES", "LEDGER", "REPORTING"):  # the suite runs in development
    os.environ.setdefault(f"{_service}_ENVIRONMENT", "development")


@pytest.fixture(scope="session")
def workdir():
    with tempfile.TemporaryDirectory(prefix="cgzf-test-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="session")
def postgres(workdir) -> LocalPostgres:
    pg = LocalPostgres(workdir / "pg" / "data", free_port())
    try:
        pg.start()
    except Exception as exc:
        pytest.fail(f"PostgreSQL could not start for the integration suite: {exc}", pytrace=False)
    yield pg
    pg.destroy()


@pytest.fixture(scope="session")
def kafka(workdir) -> LocalKafka:
    broker = LocalKafka(workdir / "kafka", free_port(), free_port())
    try:
        broker.start()
    except Exception as exc:
        pytest.fail(f"Apache Kafka could not start for the integration suite: {exc}", pytrace=False)
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def ofd_sealer(workdir) -> LocalOfdSealer:
    """The OFD sealing sidecar (ofdrw, Java), started when a test first asks for it."""
    sealer = LocalOfdSealer(workdir / "ofd-sealer", free_port())
    try:
        sealer.start()
    except Exception as exc:
        pytest.fail(f"the OFD sealer could not start: {exc}", pytrace=False)
    yield sealer
    sealer.stop()


@pytest.fixture(scope="session")
def migrated_template(postgres) -> str:
    """One database with every service's migrations applied, once per run: each test's database
    is a copy of it (CREATE DATABASE ... TEMPLATE), so no test waits for the migrations again.
    The migrations themselves are tested from an empty database (tests/integration/test_migrations.py)."""
    from monolith.app import build_services

    name = f"t{os.getpid()}_template"
    postgres.create_database(name)
    url = postgres.url(name)

    async def migrate_all() -> None:
        engine = make_engine(url)
        try:
            for service in build_services(url, None):
                await migrate(engine, service.migrations_dir, service.schema)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:  # its own event loop, whatever loop the suite runs
        pool.submit(asyncio.run, migrate_all()).result()
    return name


@pytest.fixture
def database_url(postgres, migrated_template) -> str:
    """A fresh database for each test, migrated: a copy of the template."""
    name = f"t{os.getpid()}_{next(_db_counter)}"
    postgres.create_database(name, template=migrated_template)
    return postgres.url(name)


@pytest.fixture
def empty_database_url(postgres) -> str:
    """A fresh database with nothing in it, for the tests of the migrations themselves."""
    name = f"t{os.getpid()}_{next(_db_counter)}"
    postgres.create_database(name)
    return postgres.url(name)


@pytest.fixture
def namespace() -> str:
    """A topic and consumer-group prefix of the test's own on the shared broker."""
    return f"t{uuid.uuid4().hex[:10]}."


def token(role: Role | str, subject: str | None = None, squad: str | None = None, scopes: tuple[str, ...] = ()) -> str:
    return issue_token(AuthSettings(), role, subject=subject, squad_id=squad, scopes=scopes)


def auth(role: Role | str, subject: str | None = None, squad: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, subject, squad)}"}


@contextlib.asynccontextmanager
async def running(services, app):
    """Start the services as the app's lifespan would, and give an HTTP client onto the app."""
    started = []
    try:
        await start_all(services, started)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            yield client
    finally:
        for s in reversed(started):
            await s.stop()
