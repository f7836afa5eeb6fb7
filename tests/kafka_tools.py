"""Reading and writing raw records on the test broker, outside the platform's own code."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from cloudevents.core.bindings import kafka as ce_kafka


async def read_topic(bootstrap: str, topic: str, committed: bool = False) -> list:
    """Every record on a topic, from the beginning to the current end; with `committed`, only those
    of committed transactions (what a read_committed consumer, as the platform's are, is given)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed" if committed else "read_uncommitted",
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if partitions is None:
            await consumer._client.force_metadata_update()  # topic made after start
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        records = []
        while True:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= end[tp] for pos, tp in zip(positions, tps, strict=True)):
                return records
            batch = await consumer.getmany(timeout_ms=1000)
            for msgs in batch.values():
                records.extend(msgs)
    finally:
        await consumer.stop()


def as_cloudevent(record):
    """Parse with the cloudevents SDK; raises if the record is not a valid binary-mode CloudEvent."""
    message = ce_kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    return ce_kafka.from_binary_event(message)


async def produce(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes, list]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def caught_up(bootstrap: str, group: str, topic: str) -> bool:
    """Whether the consumer group has committed every record of the topic: it commits only once
    its handlers' transactions have, so every record there is applied or turned away by now."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or ())]
        if not tps:
            await consumer._client.force_metadata_update()
            tps = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or ())]
        end = await consumer.end_offsets(tps)
        committed = await admin.list_consumer_group_offsets(group)
        return all(end[tp] == 0 or (tp in committed and committed[tp].offset >= end[tp]) for tp in tps)
    finally:
        await consumer.stop()
        await admin.close()
