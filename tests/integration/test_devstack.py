"""The local infrastructure launcher's own edge cases."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from unittest import mock

import pytest

from devstack.kafka import LocalKafka
from devstack.ports import free_port

pytestmark = pytest.mark.integration


def test_kafka_storage_formats_with_a_cluster_id_that_starts_with_a_dash(tmp_path):
    # one random id in 64 begins with "-"; it once read as an option and failed a CI run
    dash = uuid.UUID(bytes=base64.urlsafe_b64decode("-" + "A" * 21 + "=="))
    with mock.patch("uuid.uuid4", return_value=dash):
        LocalKafka(tmp_path, free_port(), free_port()).format()
    assert "cluster.id=-AAAAAAAAAAAAAAAAAAAAA" in (tmp_path / "logs" / "meta.properties").read_text()


def test_spare_ports_are_outside_the_ephemeral_range_and_free():
    """A stack's ports must not be handed, before the stack listens on them, to the local end of
    an outgoing connection: they are chosen below the kernel's ephemeral range."""
    from devstack.ports import SPARE_PORTS, bindable, free_port
    from devstack.stack import SERVICES, StackConfig

    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    assert SPARE_PORTS.stop <= low
    config = StackConfig.on_spare_ports(Path("/tmp/unused"))
    ports = [
        config.pg_port,
        config.kafka_port,
        config.kafka_controller_port,
        config.gateway_port,
        *(config.service_port(s) for s in SERVICES),
    ]
    assert len(set(ports)) == len(ports) and all(p in SPARE_PORTS and bindable(p) for p in ports)
    assert free_port() in SPARE_PORTS


async def test_the_gateway_of_make_up_routes_as_the_compose_gateway_and_stops(tmp_path):
    """make up's nginx, configured from deploy/gateway/nginx.conf with each service at its loopback
    port: a path reaches the service that owns it, with the address the person used as its Host
    (the sign-in returns there), and stopping it leaves nothing listening."""
    from aiohttp import web

    from devstack.gateway import LocalGateway
    from devstack.ports import port_open
    from devstack.stack import SERVICES

    seen = []

    def answering(name):
        async def handler(request):
            seen.append((name, request.path, request.headers["Host"]))
            return web.Response(text=name)

        return handler

    runners, ports = [], {}
    for name in SERVICES:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answering(name))
        runner = web.AppRunner(app)
        await runner.setup()
        ports[name] = free_port()
        await web.TCPSite(runner, "127.0.0.1", ports[name]).start()
        runners.append(runner)
    gateway = LocalGateway(tmp_path / "gateway", free_port(), ports)
    try:
        gateway.start()
        gateway.start()  # twice starts nothing twice
        import httpx

        async with httpx.AsyncClient(base_url=gateway.url) as client:
            for path, owner in (
                ("/field", "dispatch"),
                ("/field/app.js", "dispatch"),
                ("/v1/patrol-reports", "intake"),
                ("/v1/cases/x/handle", "cases"),
                ("/v1/merchants/x/persuasions", "ledger"),
                ("/v1/reports/persuasions", "reporting"),
                ("/v1/assignments/stream", "dispatch"),
            ):
                r = await client.post(path) if "handle" in path or "persuasions" in path else await client.get(path)
                assert r.text == owner, (path, r.text)
        assert {host for _, _, host in seen} == {f"127.0.0.1:{gateway.port}"}
    finally:
        gateway.stop()
        for runner in runners:
            await runner.cleanup()
    assert gateway.pid() is None and not port_open(gateway.port)
