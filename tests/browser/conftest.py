"""The platform served by uvicorn on the real PostgreSQL, for the browser tests."""
from __future__ import annotations

import pytest

from common.messaging.memory import InMemoryTransport
from monolith.app import build_app, build_services
from tests.helpers import served


@pytest.fixture
async def server(database_url, tmp_path):
    services = build_services(database_url, InMemoryTransport(), relay_poll_interval_s=0.2,
                              object_store_url=f"file:{tmp_path}/objects")
    async with served(build_app(services)) as url:
        yield url
