"""No personal data in error logs: every logger (uvicorn's too) goes through the redacting handler,
tracebacks included; database errors do not carry the statement's parameters; a value too long
for its column is refused at the edge (and, under that, by the net: 422, never 500)."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from sqlalchemy import text

from common.db import make_engine
from common.logging import configure_logging
from common.messaging.memory import InMemoryTransport
from monolith.app import build_app, build_services
from tests.conftest import auth, running

pytestmark = pytest.mark.integration
PHONE = "13812345678"


@pytest.fixture
def log_output():
    """What the services log, as the configured handler writes it."""
    out = io.StringIO()
    configure_logging("test", "INFO", stream=out)
    yield out
    logging.getLogger().handlers[:] = []


def test_uvicorns_logger_and_tracebacks_are_redacted(log_output):
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.addHandler(logging.StreamHandler(sys.stderr))  # as uvicorn's own log config does
    configure_logging("test", "INFO", stream=log_output)  # the service's, after uvicorn's
    try:
        raise ValueError(f"caller {PHONE}, ID 410102199001011234")
    except ValueError:
        uvicorn_error.exception("Exception in ASGI application")
    written = log_output.getvalue()
    assert "Exception in ASGI application" in written and "Traceback" in written
    assert PHONE not in written and "138****5678" in written and "410102199001011234" not in written
    assert uvicorn_error.handlers == [] and uvicorn_error.propagate


async def test_a_database_error_does_not_carry_the_statements_parameters(database_url):
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("CREATE TABLE narrow (v varchar(3))"))
            with pytest.raises(Exception) as failed:
                await conn.execute(text("INSERT INTO narrow VALUES (:v)"), {"v": PHONE})
        assert "value too long" in str(failed.value) and PHONE not in str(failed.value)
    finally:
        await engine.dispose()


async def test_open311_names_too_long_together_are_refused_not_a_500(database_url, tmp_path, log_output):
    services = build_services(database_url, InMemoryTransport(), object_store_url=f"file:{tmp_path}/objects")
    async with running(services, build_app(services)) as client:
        key = (await client.post("/v1/open311/keys", json={"name": "app"}, headers=auth("admin"))).json()["api_key"]
        r = await client.post(
            "/open311/v2/requests.json",
            data={
                "api_key": key,
                "service_code": "street_vending",
                "lat": "34.75",
                "long": "113.62",
                "description": "摆摊",
                "first_name": "名" * 50,
                "last_name": "姓" * 50,
                "phone": PHONE,
                "email": "a@example.cn",
            },
        )
        assert r.status_code == 400, r.text
        assert "first_name and last_name together" in r.json()[0]["description"]
        # under the edge's checks, the net: a NUL character no column can hold is a 422 too
        r = await client.post(
            "/v1/incidents",
            headers=auth("hotline_operator"),
            json={
                "category": "street_vending",
                "location": {"lon": 113.62, "lat": 34.75},
                "description": f"nul \u0000 here, call {PHONE}",
            },
        )
        assert r.status_code == 422, r.text
    assert PHONE not in log_output.getvalue()
