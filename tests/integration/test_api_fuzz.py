"""Schemathesis, the property-based OpenAPI tester, against each service's own API document, on
the platform served over HTTP (the five services in one process on the real PostgreSQL), with a
bounded number of examples per operation and a fixed seed: no server error, and no response
that breaks the schema its own document declares. Run with an admin's token, so that every
operation is reached; a handful of incidents are there first, so that listings are not empty.

One operation is left out: `GET /v1/assignments/stream`, Server-Sent Events that never end by
design, on which a request/response fuzzer can only wait for its timeout (about 10 s a case);
its parameters and its access rules are exercised by the console's tests."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from common.messaging.memory import InMemoryTransport
from common.service import create_app
from monolith.app import build_app, build_services
from tests.conftest import auth, token
from tests.helpers import INCIDENT, served

pytestmark = pytest.mark.integration
EXAMPLES = 12
SEED = 20261130
NAMES = [s.name for s in build_services("postgresql+asyncpg://unused/unused", None)]


@pytest.fixture(scope="module")
async def platform(postgres, tmp_path_factory):
    postgres.create_database("fuzz")
    tmp = tmp_path_factory.mktemp("fuzz")
    services = build_services(
        postgres.url("fuzz"), InMemoryTransport(), relay_poll_interval_s=0.2, object_store_url=f"file:{tmp}/objects"
    )
    async with served(build_app(services)) as url:
        import httpx

        async with httpx.AsyncClient(base_url=url) as client:
            for n in range(5):
                r = await client.post(
                    "/v1/incidents",
                    headers=auth("hotline_operator"),
                    json={**INCIDENT, "location": {"lon": 113.62 + n * 0.003, "lat": 34.75}},
                )
                assert r.status_code == 201
        yield url, services, tmp


@pytest.mark.parametrize("name", NAMES)
async def test_no_server_error_and_no_response_outside_its_schema(platform, name):
    url, services, tmp = platform
    service = next(s for s in services if s.name == name)
    document = Path(tmp) / f"{name}.openapi.json"
    document.write_text(json.dumps(create_app([service], title=name).openapi(), ensure_ascii=False))
    schemathesis = Path(sys.executable).with_name("schemathesis")
    proc = await asyncio.create_subprocess_exec(
        str(schemathesis),
        "run",
        str(document),
        "--url",
        url,
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-shrink",
        "--request-timeout",
        "10",
        "--exclude-path",
        "/v1/assignments/stream",
        "--header",
        f"Authorization: Bearer {token('admin', 'fuzz-admin')}",
        cwd=tmp,  # its cache of earlier runs stays out of the repository and never replays an old run
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 600)
    report = out.decode(errors="replace")
    assert proc.returncode == 0, report[-6000:]
    assert " passed" in report and "generated" in report, report[-2000:]
