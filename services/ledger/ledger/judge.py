"""`python -m ledger.judge`: the devices' judge, a Quix Streams application on Kafka (issue 27).

It reads `ledger.readings` (keyed by device: one device's readings in order on one partition),
keeps each device's state in RocksDB backed by a changelog topic, and writes the alarms
(`ledger.alarms`), the samples kept (`ledger.samples`) and the refused readings (its dead-letter
topic, with the reason) in the same Kafka transaction as its offsets and its state's changelog
(`processing_guarantee="exactly-once"`): a judge killed in the middle of an episode restarts from
its last commit with the state of that commit, so the episode's alarm is raised once, neither lost
nor doubled; a replica that takes a partition over restores the partition's state from the
changelog first. Replicas of the same consumer group share the devices by partition.

The rule is `ledger.handlers.telemetry.judge`, the one `make run` uses in its single process."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import threading
from datetime import UTC, datetime
from typing import Any

from quixstreams import Application
from quixstreams.models.serializers import Serializer

from common.db import make_engine
from common.logging import configure_logging
from common.messaging.contracts import DeviceAlarmRaised, DeviceReading, Topics
from common.messaging.envelope import UndecodableEvent, decode, encode
from common.messaging.transport import Record
from common.metrics import READINGS
from ledger.handlers.telemetry import Reference, ReferenceCache, event_id, judge, load_reference, refusal
from ledger.settings import LedgerSettings

log = logging.getLogger("ledger.judge")
SOURCE = "/cgzf/ledger/judge"
INGEST = "/cgzf/ledger"
"""Readings ledger took over HTTP were checked against the bureau's clock there; a vendor's own
producer's are checked here."""
STATE_KEY = "device"


class Passthrough(Serializer):
    """The records are made whole (CloudEvents headers, JSON value) by `common.messaging.envelope`."""

    def __call__(self, value: Any, ctx: Any) -> bytes:
        return value["value"]


class Register:
    """The register's devices and zones for a synchronous processor: read on an event loop of its own."""

    def __init__(self, settings: LedgerSettings) -> None:
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="register", daemon=True).start()
        self._engine = make_engine(settings.database_url, 2, 0)

        async def load(ids: list[str] | None) -> Reference:
            async with self._engine.connect() as conn:
                return await load_reference(conn, ids)

        self._cache = ReferenceCache(load, settings.judge_reference_refresh_s, self._loop.time)

    def get(self, needed: str) -> Reference:
        ref = self._cache.fresh(needed)  # no hop to the register's thread for a device it holds
        if ref is not None:
            return ref
        return asyncio.run_coroutine_threadsafe(self._cache.get((needed,)), self._loop).result(timeout=60)


def build(settings: LedgerSettings, register: Register | None = None) -> Application:
    ns = settings.kafka_namespace
    rules = settings.telemetry
    register = register or Register(settings)
    app = Application(
        broker_address=settings.kafka_bootstrap,
        consumer_group=ns + "ledger.judge",
        processing_guarantee="exactly-once",
        auto_offset_reset="earliest",
        state_dir=settings.judge_state_dir,
        commit_interval=0.5,
        loglevel="WARNING",
        consumer_extra_config={"session.timeout.ms": 10_000, "heartbeat.interval.ms": 2_000},
    )
    readings = app.topic(ns + Topics.readings, value_deserializer="bytes", key_deserializer="bytes")
    outputs = {
        name: app.topic(ns + topic, value_serializer=Passthrough(), key_serializer="bytes")
        for name, topic in (
            ("alarm", Topics.alarms),
            ("sample", Topics.samples),
            ("refused", Topics.dead_letter("ledger.judge")),
        )
    }

    def refused(value: bytes, key: bytes, headers, reason: str) -> dict:
        READINGS.labels("judge", "refused").inc()
        log.debug("reading refused: %s", reason)  # counted, and on the dead-letter topic with its reason
        return {
            "to": "refused",
            "key": key,
            "value": value,
            "headers": [*(headers or ()), ("x-refused-reason", reason.encode())],
        }

    def step(value: bytes, key: bytes, timestamp: int, headers, state) -> list[dict]:
        try:
            env = decode(Record(topic=Topics.readings, key=key, value=value, headers=tuple(headers or ())))
        except UndecodableEvent as exc:
            return [refused(value, key, headers, str(exc))]
        reading = env.data
        if not isinstance(reading, DeviceReading):
            return [refused(value, key, headers, f"{env.type} is not a device's reading")]
        if key != reading.device_id.encode():  # the state is kept per record key: they must agree
            return [refused(value, key, headers, f"the record's key is not its device_id {reading.device_id}")]
        ref = register.get(reading.device_id)
        device = ref.devices.get(reading.device_id)
        now = datetime.now(UTC) if env.source != INGEST else reading.time  # checked at the bureau's clock
        why = refusal(reading, device, now, rules)
        if why is not None or device is None:
            return [refused(value, key, headers, why or "unknown device")]
        before = state.get(STATE_KEY, {})
        after, events = judge(reading, device, before, ref, rules)
        if after != before:
            state.set(STATE_KEY, after)
        READINGS.labels("judge", "judged").inc()
        out = []
        for e in events:
            record = encode(e, source=SOURCE, time=e.at, correlation_id=None, event_id=event_id(e))
            if isinstance(e, DeviceAlarmRaised):
                log.info("alarm %s (%s) of device %s", e.alarm_id, e.kind, e.device_id)
            out.append(
                {
                    "to": "alarm" if isinstance(e, DeviceAlarmRaised) else "sample",
                    "key": record.key,
                    "value": record.value,
                    "headers": list(record.headers),
                }
            )
        return out

    sdf = app.dataframe(readings)
    sdf = sdf.apply(step, stateful=True, metadata=True, expand=True)
    sdf = sdf.set_headers(lambda value, key, timestamp, headers: value["headers"])
    sdf.to_topic(lambda value, key, timestamp, headers: outputs[value["to"]], key=lambda value: value["key"])
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ledger.judge", description=__doc__.split("\n")[0])
    parser.add_argument("--state-dir", help="where RocksDB keeps the state (default: LEDGER_JUDGE_STATE_DIR)")
    args = parser.parse_args(argv)
    settings = LedgerSettings()
    if args.state_dir:
        settings = settings.model_copy(update={"judge_state_dir": args.state_dir})
    configure_logging("ledger.judge", settings.log_level)
    app = build(settings)
    signal.signal(signal.SIGTERM, lambda *_: app.stop())
    log.info("the judge runs: %s%s", settings.kafka_namespace, Topics.readings)
    app.run()


if __name__ == "__main__":
    main()
