"""The local infrastructure launcher's own edge cases."""
from __future__ import annotations

import base64
import uuid
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
