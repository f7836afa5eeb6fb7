"""No Docker engine runs here, so this keeps docker-compose.yml, the gateway and the services'
settings in agreement: every variable a service is given is one it reads, every service can
reach the database and broker named in the file, and the gateway routes each path to its owner."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest
import yaml
from fastapi.routing import APIRoute

from common.settings import DEV_JWT_SECRET, AuthSettings
from monolith.app import build_services

REPO = Path(__file__).resolve().parents[2]
RAW = (REPO / "docker-compose.yml").read_text()
OPERATOR = {
    "AUTH_JWT_SECRET": "k7Qd9vX2mZr4Lw8Nc1Tb6Yp3Hs5Gf0Ju-operator",
    "POSTGRES_PASSWORD": "pgSecret42",
    "INTAKE_PHOTO_URL_SECRET": "p2Wn8Rt5Vx1Bq7Zk4Mj9Hc3Fd6Ls0Ga-photos",
    "LEDGER_ID_NUMBER_KEY": "z8Xc2Vb5Nm1Aq4Ws7Ed0Rf3Tg6Yh9Uj-id-numbers",
    "CGZF_PUBLIC_BASE_URL": "https://cgzf.zhongyuan.example.gov.cn",
    "CASES_SEAL_PLATFORM_URL": "https://seal.henan.example.gov.cn/api",
    "CASES_SEAL_PLATFORM_TOKEN": "s9Kd2Lm5Np8Qr1Tv4Wx7Za0Bc3Ef6Gh-seal",
    "CASES_SEAL_ID": "410102-0001",
}
"""What an operator gives `docker compose up` before it will start."""
SERVICES = {s.name: s for s in build_services("postgresql+asyncpg://u@h/db", None)}


class Unset(Exception):
    pass


def interpolate(raw: str, env: dict[str, str]) -> dict:
    """The file as compose reads it: YAML first, then its variable interpolation in every value
    (${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$ for a dollar)."""

    def walk(node):
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return interpolate_text(node, env) if isinstance(node, str) else node

    return walk(yaml.safe_load(raw))


def interpolate_text(text: str, env: dict[str, str]) -> str:
    def one(m: re.Match) -> str:
        if m[0] == "$$":
            return "$"
        name, op, arg = m["name"], m["op"] or "", m["arg"] or ""
        value = env.get(name)
        if op == ":?" and not value or op == "?" and value is None:
            raise Unset(f"{name}: {arg}")
        if op == ":-" and not value or op == "-" and value is None:
            return arg
        return value or ""

    return re.sub(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}", one, text)


COMPOSE = interpolate(RAW, OPERATOR)


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
            assert var[len(prefix) :].lower() in fields, f"{name} has no setting for {var}"
    assert {prefix + "DATABASE_URL", prefix + "KAFKA_BOOTSTRAP"} <= set(env)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_services_point_at_the_compose_database_and_broker(name):
    env = COMPOSE["services"][name]["environment"]
    prefix = name.upper() + "_"
    pg = COMPOSE["services"]["postgres"]["environment"]
    url = env[prefix + "DATABASE_URL"]
    m = re.fullmatch(r"postgresql\+asyncpg://(\w+):(\w+)@(\w+):(\d+)/(\w+)", url)
    assert m, url
    assert (m[1], m[2], m[3], m[4], m[5]) == (
        pg["POSTGRES_USER"],
        pg["POSTGRES_PASSWORD"],
        "postgres",
        "5432",
        pg["POSTGRES_DB"],
    )
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
                if isinstance(route, APIRoute):  # nginx: the longest prefix location wins
                    prefix = max((p for p in routes if route.path.startswith(p)), key=len, default=None)
                    assert routes.get(prefix) == name, f"{route.path} of {name} is routed to {routes.get(prefix)}"


def test_compose_refuses_to_start_without_the_operators_secrets():
    for missing in OPERATOR:
        with pytest.raises(Unset, match=missing):
            interpolate(RAW, {k: v for k, v in OPERATOR.items() if k != missing})
    assert "dev-only" not in RAW and "cgzf@postgres" not in RAW, "a secret is written in the file"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_compose_runs_in_production_and_every_service_refuses_a_weak_secret(name, monkeypatch):
    env = {k: str(v) for k, v in COMPOSE["services"][name]["environment"].items()}
    assert env[name.upper() + "_ENVIRONMENT"] == "production"
    settings_class = type(SERVICES[name].settings)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings_class()  # the operator's secrets pass
    for weak, why in (
        (DEV_JWT_SECRET, "published"),
        ("secret", "published"),
        ("x" * 20, "20 characters"),
        ("", "must be set"),
    ):
        monkeypatch.setenv("AUTH_JWT_SECRET", weak)
        with pytest.raises(ValueError, match=why):
            settings_class()
    monkeypatch.setenv("AUTH_JWT_SECRET", OPERATOR["AUTH_JWT_SECRET"])
    own = {
        "intake": ("INTAKE_PHOTO_URL_SECRET", "dev-only-photo-links-change-me-0123456789"),
        "ledger": ("LEDGER_ID_NUMBER_KEY", "dev-only-id-number-key-change-me-0123456789"),
    }
    if name in own:
        variable, published = own[name]
        for weak in (published, "short", ""):
            monkeypatch.setenv(variable, weak)
            with pytest.raises(ValueError, match=variable):
                settings_class()


def test_production_seals_only_through_the_seal_platform(monkeypatch):
    """A development seal (pyHanko's, or the OFD sidecar's) has no legal force: production refuses it."""
    from cases.settings import CasesSettings

    monkeypatch.setenv("AUTH_JWT_SECRET", OPERATOR["AUTH_JWT_SECRET"])
    for sealing, more in (("development", {}), ("ofd", {"ofd_sealer_url": "http://127.0.0.1:8095"})):
        with pytest.raises(ValueError, match="development seal"):
            CasesSettings(environment="production", sealing=sealing, **more)
        assert CasesSettings(environment="development", sealing=sealing, **more).sealing == sealing
    platform = {"seal_platform_url": "https://seal.example", "seal_platform_token": "t" * 32, "seal_id": "1"}
    assert CasesSettings(environment="production", sealing="platform", **platform).sealing == "platform"


def test_development_keeps_its_defaults_and_the_photo_key_is_not_the_token_secret(monkeypatch):
    from intake.settings import IntakeSettings

    monkeypatch.delenv("AUTH_JWT_SECRET", raising=False)
    settings = IntakeSettings(environment="development")
    assert settings.photo_url_secret != AuthSettings().jwt_secret


def test_gateway_listens_on_loopback_unless_told():
    assert COMPOSE["services"]["gateway"]["ports"] == ["127.0.0.1:8000:8000"]
    told = interpolate(RAW, {**OPERATOR, "CGZF_GATEWAY_BIND": "0.0.0.0"})
    assert told["services"]["gateway"]["ports"] == ["0.0.0.0:8000:8000"]


DOCKER_BRIDGES = ipaddress.ip_network("172.16.0.0/12")


@pytest.mark.parametrize("name", sorted(n for n, s in SERVICES.items() if s.tables.rate_windows is not None))
def test_every_service_with_public_routes_believes_the_gateway_and_the_gateway_says_who_called(name):
    """Behind nginx every citizen is the gateway's address: unless the service believes the
    gateway's X-Forwarded-For, one bucket serves the whole city (six applications a minute for all)."""
    env = COMPOSE["services"][name]["environment"]
    trusted = [
        ipaddress.ip_network(p.strip(), strict=False)
        for p in env.get(name.upper() + "_TRUSTED_PROXIES", "").split(",")
        if p.strip()
    ]
    assert any(DOCKER_BRIDGES.subnet_of(t) for t in trusted if t.version == 4), (
        f"{name} does not believe the gateway on Docker's bridge networks: {trusted}"
    )
    assert "trusted_proxies" in type(SERVICES[name].settings).model_fields
    conf = (REPO / "deploy" / "gateway" / "nginx.conf").read_text()
    server = conf[conf.index("server {") : conf.index("location")]
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for" in server
    locations = conf[conf.index("location") :]
    assert "proxy_set_header" not in locations, "a location that sets a header of its own drops the server's"


def test_every_service_that_keeps_objects_keeps_them_in_the_one_store():
    keepers = [n for n, s in SERVICES.items() if "object_store_url" in type(s.settings).model_fields]
    assert {"intake", "cases", "ledger"} <= set(keepers)
    urls = {COMPOSE["services"][n]["environment"].get(n.upper() + "_OBJECT_STORE_URL") for n in keepers}
    assert len(urls) == 1 and None not in urls, urls
    url = urls.pop()
    assert url.startswith("file://"), url
    path = url.removeprefix("file://")
    for n in keepers:
        assert f"objects:{path}" in COMPOSE["services"][n]["volumes"], f"{n} loses its objects with its container"
    told = interpolate(RAW, {**OPERATOR, "CGZF_OBJECT_STORE_URL": "s3://cgzf/objects?region=cn-north-1"})
    assert {told["services"][n]["environment"][n.upper() + "_OBJECT_STORE_URL"] for n in keepers} == {
        "s3://cgzf/objects?region=cn-north-1"
    }


def test_a_service_started_by_hand_runs_in_production_and_refuses_the_development_secrets(monkeypatch):
    from intake.settings import IntakeSettings
    from ledger.settings import LedgerSettings

    for prefix in ("INTAKE", "LEDGER"):
        monkeypatch.delenv(f"{prefix}_ENVIRONMENT", raising=False)
    monkeypatch.delenv("AUTH_JWT_SECRET", raising=False)
    with pytest.raises(ValueError, match="AUTH_JWT_SECRET"):
        IntakeSettings()
    monkeypatch.setenv("AUTH_JWT_SECRET", OPERATOR["AUTH_JWT_SECRET"])
    monkeypatch.setenv("LEDGER_ID_NUMBER_KEY", OPERATOR["LEDGER_ID_NUMBER_KEY"])
    with pytest.raises(ValueError, match="LEDGER_PUBLIC_BASE_URL"):
        LedgerSettings()  # the cards' QR codes would take whatever Host header a request sent
    assert LedgerSettings(public_base_url="https://cgzf.example.gov.cn").environment == "production"
    monkeypatch.setenv("AUTH_OIDC_ISSUER", "https://sso.example.gov.cn/realms/zhongyuan")
    with pytest.raises(ValueError, match="AUTH_PUBLIC_BASE_URL"):
        LedgerSettings(public_base_url="https://cgzf.example.gov.cn")
