"""What the outbox relay and the consumers need from a message transport, and nothing more.
Two implementations: Apache Kafka (`kafka.py`) and in memory (`memory.py`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    partition: int = -1
    offset: int = -1
    ref: tuple[str, int] | None = field(default=None, compare=False)
    """The outbox row it was sent from (the relay's name and the row id), for a transport that
    tells the relay when a record is settled (in memory)."""


class Subscription(ABC):
    """One member of a consumer group. Offsets move only when `commit` is called."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def fetch(self, timeout_s: float, max_records: int) -> list[Record]: ...

    @abstractmethod
    async def commit(self, records: Sequence[Record]) -> None:
        """Mark these records (and all before them on their partitions) as done."""


class Replay(ABC):
    """Every record of some topics from their first offset up to where each partition ends at
    `start` (what a rebuild reads in bulk), then the consumer group that goes on from there."""

    @abstractmethod
    async def start(self) -> None:
        """Fix where each partition ends now: records written later are the group's, not the replay's."""

    @abstractmethod
    async def fetch(self, max_records: int) -> list[Record]:
        """The next records in each partition's order; an empty list once every partition is read
        to its end."""

    @abstractmethod
    async def hand_over(self) -> None:
        """Commit the ends as the group's offsets: its consumer starts where the replay stopped."""

    @abstractmethod
    async def stop(self) -> None: ...


class Transport(ABC):
    durable: bool = True
    """Whether a record, once `send` returns, survives this process. When it does not, the relay
    keeps each outbox row unpublished until the transport calls back (`on_settled`) that every
    subscriber has applied it."""

    def on_settled(self, owner: str, callback) -> None:
        raise NotImplementedError("a durable transport settles a record when send() returns")

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def send(self, records: Sequence[Record]) -> None:
        """Return once every record is durably acknowledged, in order per key; raise otherwise."""

    @abstractmethod
    def subscribe(self, group: str, topics: Sequence[str], client_id: str, gather_s: float = 0.0) -> Subscription:
        """`gather_s`: how long the transport may wait to hand over a larger batch (a read model
        that may trail a little applies fewer, larger batches); 0 for as soon as there is one."""

    @abstractmethod
    def replay(self, group: str, topics: Sequence[str], share: tuple[int, int] = (0, 1)) -> Replay:
        """Read the topics from their first record, for `group` to go on from where they end;
        `share` (i, n): only the i-th of n shares of their partitions, for n processes replaying
        at once (a partition holds all of a key's events, in order)."""

    @abstractmethod
    async def ensure_topics(self, topics: Sequence[str]) -> None: ...

    @abstractmethod
    async def ready(self) -> bool: ...
