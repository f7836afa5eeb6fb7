"""Generates docs/asyncapi.yaml (AsyncAPI 3.0) and docs/schemas/*.json (JSON Schema) from the
pydantic contracts and the services' declared publishers and subscribers.
`make contracts` writes them; a test fails when the committed files drift from the code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from common.messaging.contracts import EVENT_CLASSES, IntegrationEvent, Topics

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "docs"

CE_HEADERS = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes in Kafka binary content mode (ce_ headers).",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_partitionkey", "content-type"],
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "description": "unique per event; consumers de-duplicate on it"},
        "ce_source": {"type": "string", "description": "/cgzf/<service>"},
        "ce_type": {"type": "string"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "the aggregate id"},
        "ce_dataschema": {"type": "string"},
        "ce_partitionkey": {"type": "string", "description": "aggregate id; equals the record key"},
        "ce_correlationid": {"type": "string", "description": "follows one complaint across services"},
        "content-type": {"type": "string", "const": "application/json"},
    },
}


def _message_name(cls: type[IntegrationEvent]) -> str:
    return cls.__name__


def _channel_name(topic: str) -> str:
    return topic.replace(".", "_")


def subscribers() -> dict[str, list[str]]:
    """Which services consume each event type, read from the services themselves."""
    from monolith.app import build_services

    out: dict[str, list[str]] = {}
    for service in build_services("postgresql+asyncpg://unused/unused", None, environment="development"):
        for cls in service.handlers():
            out.setdefault(cls.event_type, []).append(service.name)
    return out


def publishers() -> dict[str, list[str]]:
    """Which services publish each event type (a sign-in is published by every service with pages)."""
    from monolith.app import build_services

    out: dict[str, list[str]] = {}
    for service in build_services("postgresql+asyncpg://unused/unused", None, environment="development"):
        for cls in service.publishes:
            out.setdefault(cls.event_type, []).append(service.name)
    return out


def json_schemas() -> dict[str, dict]:
    schemas = {}
    for cls in EVENT_CLASSES:
        schema = cls.model_json_schema()
        schema["$id"] = f"urn:cgzf:schema:{cls.event_type}"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["description"] = cls.summary
        schemas[cls.event_type] = schema
    return schemas


def asyncapi() -> dict:
    subs, pubs = subscribers(), publishers()
    components_schemas: dict[str, dict] = {}
    messages: dict[str, dict] = {}
    channels: dict[str, dict] = {}
    operations: dict[str, dict] = {}
    for cls in EVENT_CLASSES:
        schema = cls.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            components_schemas[name] = sub
        components_schemas[cls.__name__] = schema
        name = _message_name(cls)
        messages[name] = {
            "name": cls.event_type,
            "title": cls.__name__,
            "summary": cls.summary,
            "contentType": "application/json",
            "headers": {
                **CE_HEADERS,
                "properties": {**CE_HEADERS["properties"], "ce_type": {"type": "string", "const": cls.event_type}},
            },
            "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": f"the aggregate id ({cls.key_field})"},
                    "bindingVersion": "0.5.0",
                }
            },
        }
        if cls.examples:
            messages[name]["examples"] = [
                {"name": n, "summary": summary, "payload": payload} for n, summary, payload in cls.examples
            ]
        channel = _channel_name(cls.topic)
        channels.setdefault(
            channel,
            {
                "address": cls.topic,
                "description": f"Owned by {cls.producer}.",
                "messages": {},
                "bindings": {"kafka": {"partitions": 6, "replicas": 1, "bindingVersion": "0.5.0"}},
            },
        )["messages"][name] = {"$ref": f"#/components/messages/{name}"}
        ref = {"$ref": f"#/channels/{channel}/messages/{name}"}
        for producer in pubs.get(cls.event_type, [cls.producer]):
            operations[f"{producer}_sends_{name}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [ref],
                "summary": f"{producer} publishes {cls.event_type} through its outbox",
            }
        for consumer in subs.get(cls.event_type, []):
            operations[f"{consumer}_receives_{name}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [ref],
                "summary": f"{consumer} consumes {cls.event_type} (consumer group {consumer})",
                "bindings": {"kafka": {"groupId": {"type": "string", "const": consumer}, "bindingVersion": "0.5.0"}},
            }
    for service in ("intake", "dispatch", "cases", "ledger", "reporting"):
        dlq = Topics.dead_letter(service)
        channels[_channel_name(dlq)] = {
            "address": dlq,
            "description": f"Dead letters of {service}'s consumer: the original record with dlq_error, "
            "dlq_reason, dlq_original_topic, dlq_original_partition, dlq_original_offset headers.",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "城市管理综合执法平台 events",
            "version": "1.0.0",
            "description": "Integration events of the platform, as CloudEvents 1.0 in Kafka binary content "
            "mode. Event types carry their version; fields are only ever added.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {"host": "127.0.0.1:9092", "protocol": "kafka", "description": "`make up` on one machine"}
        },
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": messages, "schemas": dict(sorted(components_schemas.items()))},
    }


def rendered() -> dict[Path, str]:
    files = {DOCS / "asyncapi.yaml": yaml.safe_dump(asyncapi(), allow_unicode=True, sort_keys=False, width=110)}
    for event_type, schema in json_schemas().items():
        files[DOCS / "schemas" / f"{event_type}.json"] = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    return files


def main() -> int:
    files = rendered()
    if "--write" in sys.argv:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        print(f"wrote {len(files)} files under {DOCS}")
        return 0
    stale = [str(p.relative_to(REPO)) for p, t in files.items() if not p.exists() or p.read_text(encoding="utf-8") != t]
    if stale:
        print("out of date (run `make contracts`): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
