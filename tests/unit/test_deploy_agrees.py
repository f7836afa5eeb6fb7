"""No Docker engine runs here, so this keeps docker-compose.yml, the gateway and the services'
settings in agreement: every variable a service is given is one it reads, every service can
reach the database and broker named in the file, and the gateway routes each path to its owner."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from fastapi.routing import APIRoute

from common.settings import AuthSettings
from monolith.app import build_services

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = {s.name: s for s in build_services("postgresql+asyncpg://u@h/db", None)}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_variable_given_to_a_service_is_one_it_reads(name):
    service = SERVICES[name]
    env = COMPOSE["services"][name]["environment"]
    prefix = name.upper() + "_"
    fields = type(service.settings).model_fields
    for var in env:
        if var.startswith("AUTH_"):
            assert var[5:].lower() in AuthSettings.model_fields, var
        else:
            assert var.startswith(prefix), f"{var} is not for {name}"
            assert var[len(prefix):].lower() in fields, f"{name} has no setting for {var}"
    assert {prefix + "DATABASE_URL", prefix + "KAFKA_BOOTSTRAP"} <= set(env)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_services_point_at_the_compose_database_and_broker(name):
    env = COMPOSE["services"][name]["environment"]
    prefix = name.upper() + "_"
    pg = COMPOSE["services"]["postgres"]["environment"]
    url = env[prefix + "DATABASE_URL"]
    m = re.fullmatch(r"postgresql\+asyncpg://(\w+):(\w+)@(\w+):(\d+)/(\w+)", url)
    assert m, url
    assert (m[1], m[2], m[3], m[4], m[5]) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"], "postgres", "5432",
                                              pg["POSTGRES_DB"])
    kafka = COMPOSE["services"]["kafka"]["environment"]
    advertised = kafka["KAFKA_ADVERTISED_LISTENERS"].split("//", 1)[1]
    assert env[prefix + "KAFKA_BOOTSTRAP"] == advertised
    depends = COMPOSE["services"][name]["depends_on"]
    assert depends["postgres"]["condition"] == depends["kafka"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(COMPOSE["services"][name]["healthcheck"]["test"])
    assert COMPOSE["services"][name]["build"]["args"]["SERVICE"] == name


def test_services_scale_without_host_port_clashes():
    for name in SERVICES:
        assert "ports" not in COMPOSE["services"][name], f"{name} binds a host port: --scale would clash"
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    assert "--port 8000" in dockerfile and "EXPOSE 8000" in dockerfile


def test_gateway_routes_every_path_to_the_service_that_serves_it():
    conf = (REPO / "deploy" / "gateway" / "nginx.conf").read_text()
    routes = dict(re.findall(r"location (/[\w/-]+)\s*\{\s*set \$u (\w+);", conf))
    for name, service in SERVICES.items():
        for router in service.routers():
            for route in router.routes:
                if isinstance(route, APIRoute):
                    parts = route.path.strip("/").split("/")
                    prefix = "/" + "/".join(parts[:2] if parts[0] == "v1" else parts[:1])
                    assert routes.get(prefix) == name, f"{route.path} of {name} is routed to {routes.get(prefix)}"
