"""Apache Kafka transport on aiokafka: an idempotent producer with acks=all (so a retried send
neither duplicates nor reorders a partition), and consumer-group members that commit offsets
only when told to."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError, TopicAlreadyExistsError

from common.messaging.transport import Record, Replay, Subscription, Transport

log = logging.getLogger(__name__)


def _record(tp: TopicPartition, m, namespace: str) -> Record:
    """A consumed record as the platform's, its topic named without the namespace."""
    return Record(
        topic=tp.topic[len(namespace) :],
        key=m.key,
        value=m.value,
        headers=tuple(m.headers or ()),
        partition=tp.partition,
        offset=m.offset,
    )


class KafkaSubscription(Subscription):
    def __init__(
        self,
        bootstrap: str,
        group: str,
        topics: Sequence[str],
        client_id: str,
        namespace: str = "",
        gather_s: float = 0.0,
    ) -> None:
        self._ns = namespace
        self._consumer = AIOKafkaConsumer(
            *(namespace + t for t in topics),
            bootstrap_servers=bootstrap,
            group_id=namespace + group,
            client_id=client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_interval_ms=300_000,
            session_timeout_ms=10_000,
            heartbeat_interval_ms=2_000,
            # gather_s > 0: the broker holds a fetch until it has a fair batch or that time has passed
            fetch_min_bytes=256 * 1024 if gather_s else 1,
            fetch_max_wait_ms=int(gather_s * 1000) if gather_s else 500,
        )

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member holds now (empty until the group has balanced)."""
        return set(self._consumer.assignment())

    async def fetch(self, timeout_s: float, max_records: int) -> list[Record]:
        batches = await self._consumer.getmany(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        records: list[Record] = []
        for tp, messages in batches.items():
            records += [_record(tp, m, self._ns) for m in messages]
        return records

    async def commit(self, records: Sequence[Record]) -> None:
        """Commit the offsets after `records`, for the partitions this member still holds. A
        rebalance (a replica or a member joining or leaving) may have moved some away since they
        were fetched: their new owner is handed them again from the last committed offset, and the
        inbox turns away what was applied here."""
        offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(self._ns + r.topic, r.partition)
            offsets[tp] = max(offsets.get(tp, -1), r.offset + 1)
        held = self._consumer.assignment()
        offsets = {tp: o for tp, o in offsets.items() if tp in held}
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # The group rebalanced under us (while the commit was on its way): the partition's new
            # owner will see these records again, and the inbox makes that harmless.
            log.warning("offset commit refused after a rebalance: %s", exc)


class KafkaReplay(Replay):
    """Every partition of the topics read from its first offset to its last stable offset at
    `start` (read_committed: what transactions left open is not read), by a consumer outside any
    group with large fetches; `hand_over` commits those ends as the group's offsets."""

    def __init__(
        self,
        bootstrap: str,
        group: str,
        topics: Sequence[str],
        client_id: str,
        namespace: str = "",
        share: tuple[int, int] = (0, 1),
    ) -> None:
        self._ns, self._group, self._bootstrap, self._client_id = namespace, namespace + group, bootstrap, client_id
        self._share = share
        self._topics = [namespace + t for t in topics]
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            client_id=client_id,
            enable_auto_commit=False,
            isolation_level="read_committed",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            fetch_min_bytes=1,
            fetch_max_wait_ms=100,
        )
        self.ends: dict[TopicPartition, int] = {}
        self._open: set[TopicPartition] = set()

    async def start(self) -> None:
        await self._consumer.start()
        tps = []
        for topic in self._topics:
            parts = self._consumer.partitions_for_topic(topic)
            if parts is None:
                await self._consumer._client.force_metadata_update()
                parts = self._consumer.partitions_for_topic(topic) or set()
            tps += [TopicPartition(topic, p) for p in sorted(parts)]
        index, shares = self._share
        tps = tps[index::shares]
        self._consumer.assign(tps)
        if tps:
            await self._consumer.seek_to_beginning(*tps)
            self.ends = await self._consumer.end_offsets(tps)
        starts = {tp: await self._consumer.position(tp) for tp in tps}
        self._open = {tp for tp in tps if starts[tp] < self.ends[tp]}
        done = [tp for tp in tps if tp not in self._open]
        if done:
            self._consumer.pause(*done)

    async def fetch(self, max_records: int) -> list[Record]:
        while self._open:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=max_records)
            records: list[Record] = []
            for tp, messages in batches.items():
                end = self.ends[tp]
                records += [_record(tp, m, self._ns) for m in messages if m.offset < end]
            for tp in list(self._open):
                # past its end (a transaction's marker may take the last offset: no record there)
                if await self._consumer.position(tp) >= self.ends[tp]:
                    self._open.discard(tp)
                    self._consumer.pause(tp)
            if records:
                return records
        return []

    async def hand_over(self) -> None:
        if not self.ends:
            return
        committer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self._group,
            client_id=f"{self._client_id}-hand-over",
            enable_auto_commit=False,
        )
        await committer.start()
        try:
            committer.assign(list(self.ends))
            await committer.commit(dict(self.ends))
        finally:
            await committer.stop()

    async def stop(self) -> None:
        await self._consumer.stop()


class KafkaTransport(Transport):
    def __init__(
        self,
        bootstrap: str,
        client_id: str,
        partitions: int = 6,
        replication_factor: int = 1,
        linger_ms: int = 0,
        namespace: str = "",
    ) -> None:
        self.bootstrap = bootstrap
        self.namespace = namespace
        self.client_id = client_id
        self.partitions = partitions
        self.replication_factor = replication_factor
        self.linger_ms = linger_ms
        self._producer: AIOKafkaProducer | None = None
        self._started = False

    async def start(self) -> None:
        self._producer = self._new_producer()
        await self._producer.start()
        self._started = True

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=self.linger_ms,
            request_timeout_ms=15_000,
        )

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send(self, records: Sequence[Record]) -> None:
        if self._producer is None:
            raise RuntimeError("transport not started")
        if not self._started:
            await self._replace_producer()
            if not self._started:
                raise ConnectionError("Kafka producer not connected")
        try:
            futures = [
                await self._producer.send(self.namespace + r.topic, r.value, key=r.key, headers=list(r.headers))
                for r in records
            ]
            await asyncio.gather(*futures)
        except Exception:
            # A failed batch leaves the idempotent producer's sequence numbers ahead of what the
            # broker holds (OutOfOrderSequenceNumber for ever after an outage): start a new
            # producer, with a new producer id, for the caller's retry.
            await self._replace_producer()
            raise

    async def _replace_producer(self) -> None:
        old, self._producer = self._producer, self._new_producer()
        if old is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(old.stop(), 10)
        try:
            await self._producer.start()
        except Exception as exc:  # broker still down: start() is tried again on the next send
            log.warning("new Kafka producer could not start yet: %s", exc)
            self._started = False
            return
        self._started = True

    def subscribe(self, group: str, topics: Sequence[str], client_id: str, gather_s: float = 0.0) -> Subscription:
        return KafkaSubscription(self.bootstrap, group, topics, client_id, self.namespace, gather_s)

    def replay(self, group: str, topics: Sequence[str], share: tuple[int, int] = (0, 1)) -> Replay:
        client_id = f"{self.client_id}-replay-{share[0]}"
        return KafkaReplay(self.bootstrap, group, topics, client_id, self.namespace, share)

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-admin")
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            wanted = [
                NewTopic(self.namespace + t, self.partitions, self.replication_factor)
                for t in dict.fromkeys(topics)
                if self.namespace + t not in existing
            ]
            if wanted:
                try:
                    await admin.create_topics(wanted)
                except TopicAlreadyExistsError:
                    pass  # a replica made it first
        finally:
            await admin.close()

    async def ready(self) -> bool:
        if self._producer is None:
            return False
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout=2)
            return True
        except (TimeoutError, KafkaError, OSError):
            return False
