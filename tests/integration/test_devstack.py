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
        *(config.service_port(s) for s in SERVICES),
    ]
    assert len(set(ports)) == len(ports) and all(p in SPARE_PORTS and bindable(p) for p in ports)
    assert free_port() in SPARE_PORTS
