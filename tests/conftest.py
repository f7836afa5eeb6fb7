"""Fixtures: the real PostgreSQL and Apache Kafka, started once per run by the suite itself.
If either cannot start, the run fails and says why: integration tests are never skipped."""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest

from common.auth import Role, issue_token
from common.service import start_all
from common.settings import AuthSettings
from devstack.kafka import LocalKafka
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


@pytest.fixture
def database_url(postgres) -> str:
    """A fresh database for each test: migrations run from nothing every time."""
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
