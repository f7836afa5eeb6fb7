"""The one event envelope: CloudEvents 1.0 in Kafka binary content mode (`ce_` headers, the
JSON data as the record value, `partitionkey` = aggregate id = record key), built and read
with the cloudevents SDK."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from common.messaging.contracts import EVENT_TYPES, IntegrationEvent
from common.messaging.transport import Record

CORRELATION_EXT = "correlationid"


class UndecodableEvent(Exception):
    """A record that is not a CloudEvent we know: it goes to the dead-letter topic."""


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    source: str
    time: datetime
    subject: str | None
    correlation_id: str | None
    data: IntegrationEvent


def encode(event: IntegrationEvent, *, source: str, time: datetime,
           correlation_id: str | None, event_id: str | None = None) -> Record:
    attributes = {
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": event.event_type,
        "specversion": "1.0",
        "time": time,
        "subject": event.key(),
        "datacontenttype": "application/json",
        "dataschema": f"urn:cgzf:schema:{event.event_type}",
        "partitionkey": event.key(),
    }
    if correlation_id:
        attributes[CORRELATION_EXT] = correlation_id
    message = ce_kafka.to_binary_event(CloudEvent(attributes, event.model_dump(mode="json")))
    key = message.key.encode() if isinstance(message.key, str) else message.key
    return Record(topic=event.topic, key=key, value=message.value,
                  headers=tuple(message.headers.items()))


def decode(record: Record) -> Envelope:
    try:
        message = ce_kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
        ce = ce_kafka.from_binary_event(message)
    except Exception as exc:  # the SDK raises several kinds; all mean "not a valid CloudEvent"
        raise UndecodableEvent(f"not a CloudEvent in binary mode: {exc}") from exc
    contract = EVENT_TYPES.get(ce.get_type())
    if contract is None:
        raise UndecodableEvent(f"unknown event type {ce.get_type()!r}")
    try:
        data = contract.model_validate(ce.get_data())
    except ValidationError as exc:
        raise UndecodableEvent(f"data does not match {ce.get_type()}: {exc}") from exc
    return Envelope(id=ce.get_id(), type=ce.get_type(), source=ce.get_source(), time=ce.get_time(),
                    subject=ce.get_subject(), correlation_id=ce.get_extension(CORRELATION_EXT),
                    data=data)
