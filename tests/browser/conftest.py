"""The platform served by uvicorn on the real PostgreSQL, for the browser tests."""
from __future__ import annotations

import asyncio
import time

import pytest
import uvicorn

from common.messaging.memory import InMemoryTransport
from devstack.ports import free_port
from monolith.app import build_app, build_services


@pytest.fixture
async def server(database_url, tmp_path):
    services = build_services(database_url, InMemoryTransport(), relay_poll_interval_s=0.2,
                              object_store_url=f"file:{tmp_path}/objects")
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(build_app(services), host="127.0.0.1", port=port, log_level="warning",
                                        lifespan="on"))
    task = asyncio.create_task(srv.serve())
    deadline = time.monotonic() + 60
    while not srv.started:
        assert not task.done(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        await asyncio.wait_for(task, 30)
