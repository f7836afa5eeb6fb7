"""Every service's API document, and the single process's, is served and is valid OpenAPI 3.1:
`/docs`, where the README sends a new user, renders from it."""

from __future__ import annotations

import httpx
import pytest
from openapi_spec_validator import validate

from common.service import create_app
from monolith.app import build_app, build_services

SERVICES = build_services("postgresql+asyncpg://unused/unused", None)


async def _document(app) -> dict:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        r = await client.get("/openapi.json")
        assert r.status_code == 200, r.text[:500]
        docs = await client.get("/docs")
        assert docs.status_code == 200 and "/openapi.json" in docs.text
        return r.json()


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
async def test_each_services_document_is_valid_openapi_3_1(service):
    doc = await _document(create_app([service], title=service.name))
    assert doc["openapi"].startswith("3.1")
    validate(doc)


async def test_the_single_process_document_is_valid_and_holds_every_route():
    doc = await _document(build_app(SERVICES))
    validate(doc)
    for path in (
        "/v1/incidents",
        "/v1/cases/{case_id}/handle",
        "/v1/board",
        "/v1/merchants",
        "/v1/reports/monthly",
        "/open311/v2/requests.{fmt}",
        "/public/v1/reports",
    ):
        assert path in doc["paths"], path
