"""The contract documents are generated from the code, and the envelope is a real CloudEvent."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Literal, get_args, get_origin

import jsonschema
import pytest
import yaml
from cloudevents.core.bindings import kafka as ce_kafka
from pydantic import AfterValidator, TypeAdapter

from common.messaging.contracts import (
    EVENT_CLASSES,
    CaseTransitioned,
    Channel,
    EnforcementStepRecorded,
    IncidentReported,
    Location,
)
from common.messaging.envelope import UndecodableEvent, decode, encode
from common.messaging.transport import Record
from devstack import contracts


def test_committed_asyncapi_and_json_schemas_match_the_code():
    stale = [
        str(p) for p, text in contracts.rendered().items() if not p.exists() or p.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run `make contracts`; out of date: {stale}"


def test_asyncapi_document_describes_every_event_on_its_topic():
    doc = yaml.safe_load((contracts.DOCS / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert doc["asyncapi"] == "3.0.0"
    for cls in EVENT_CLASSES:
        channel = doc["channels"][cls.topic.replace(".", "_")]
        assert channel["address"] == cls.topic and cls.__name__ in channel["messages"]
        assert doc["components"]["messages"][cls.__name__]["name"] == cls.event_type
    receivers = {k for k, op in doc["operations"].items() if op["action"] == "receive"}
    assert "cases_receives_IncidentReported" in receivers and "dispatch_receives_CaseOpened" in receivers


def test_every_intake_channel_and_its_events_are_in_the_asyncapi_document():
    """Each channel a complaint comes in by has its example, valid against the schema; and the
    events of a repeated report, a split of a wrong merge and a rating are there too."""
    doc = yaml.safe_load((contracts.DOCS / "asyncapi.yaml").read_text(encoding="utf-8"))
    messages = doc["components"]["messages"]
    examples = {e["name"]: e["payload"] for e in messages["IncidentReported"]["examples"]}
    assert set(examples) == {c.value for c in Channel}
    schema = {**doc["components"]["schemas"]["IncidentReported"], "components": doc["components"]}  # refs resolve
    for name, payload in examples.items():
        assert payload["channel"] == name
        IncidentReported.model_validate(payload)
        jsonschema.validate(payload, schema)
    assert {"IncidentJoined", "IncidentDetached", "IncidentRated"} <= set(
        doc["channels"]["intake_incidents"]["messages"]
    )


def _event() -> IncidentReported:
    return IncidentReported(
        incident_id="i-1",
        reported_at=datetime(2026, 5, 1, 8, tzinfo=UTC),
        channel="hotline_12319",
        category_code="noise",
        category_known=True,
        location=Location(lon=113.6, lat=34.7),
        description="夜间施工噪音",
        caller_phone_masked="138****5678",
    )


def test_envelope_is_a_binary_mode_cloudevent_with_the_aggregate_as_key():
    record = encode(_event(), source="/cgzf/intake", time=datetime.now(UTC), correlation_id="req-9")
    headers = dict(record.headers)
    assert record.key == b"i-1" and headers["ce_partitionkey"] == b"i-1"
    assert headers["ce_type"].endswith(b".v1") and headers["content-type"] == b"application/json"
    ce = ce_kafka.from_binary_event(ce_kafka.KafkaMessage(headers=headers, key=record.key, value=record.value))
    assert ce.get_type() == IncidentReported.event_type and ce.get_extension("correlationid") == "req-9"
    schema = json.loads((contracts.DOCS / "schemas" / f"{IncidentReported.event_type}.json").read_text())
    jsonschema.validate(json.loads(record.value), schema)
    env = decode(record)
    assert env.data == _event() and env.correlation_id == "req-9"


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda r: Record(r.topic, r.key, b"{}", ()), "not a CloudEvent"),
        (
            lambda r: Record(
                r.topic, r.key, r.value, tuple((k, b"x.y.v9" if k == "ce_type" else v) for k, v in r.headers)
            ),
            "unknown event type",
        ),
        (lambda r: Record(r.topic, r.key, b'{"incident_id": 1}', r.headers), "does not match"),
    ],
)
def test_undecodable_records_say_why(mutate, reason):
    record = encode(_event(), source="/t", time=datetime.now(UTC), correlation_id=None)
    with pytest.raises(UndecodableEvent, match=reason):
        decode(mutate(record))


def test_the_consumers_reader_agrees_with_the_cloudevents_sdk():
    for cls_event in (_event(),):
        record = encode(
            cls_event, source="/cgzf/intake", time=datetime(2026, 5, 1, 8, 30, 15, 123456, UTC), correlation_id="req-1"
        )
        ours = decode(record)
        sdk = ce_kafka.from_binary_event(
            ce_kafka.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
        )
        assert (ours.id, ours.type, ours.source, ours.time, ours.subject, ours.correlation_id) == (
            sdk.get_id(),
            sdk.get_type(),
            sdk.get_source(),
            sdk.get_time(),
            sdk.get_subject(),
            sdk.get_extension("correlationid"),
        )
        assert ours.data.model_dump(mode="json") == sdk.get_data()


def test_the_reader_refuses_what_is_not_a_cloudevent_1_0():
    record = encode(_event(), source="/t", time=datetime.now(UTC), correlation_id=None)
    without_id = Record(record.topic, record.key, record.value, tuple(h for h in record.headers if h[0] != "ce_id"))
    with pytest.raises(UndecodableEvent, match="missing ce_id"):
        decode(without_id)
    old = Record(
        record.topic,
        record.key,
        record.value,
        tuple((k, b"0.3" if k == "ce_specversion" else v) for k, v in record.headers),
    )
    with pytest.raises(UndecodableEvent, match="specversion"):
        decode(old)


IDENTIFIER = re.compile(
    r"(^|_)(id|ids|code|number|name|by|role|status|stage|step|actor|action|rule|masked|flags|"
    r"position|subject|page)$"
)
"""Fields that hold an identifier, a code, a name given by an administrator or a state, not text a
person typed into a form: they need no masking."""
TYPED = "来电13812345678, 身份证410102199001011234, 另 0371-67891234"


def _redacting(annotation) -> bool:
    if get_origin(annotation) is Annotated:
        return any(isinstance(m, AfterValidator) for m in get_args(annotation)[1:])
    return any(_redacting(a) for a in get_args(annotation))


def _holds(annotation, kind) -> bool:
    if annotation is kind or get_origin(annotation) is kind:
        return True
    if get_origin(annotation) is Literal:
        return False
    return any(_holds(a, kind) for a in get_args(annotation))


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_every_text_field_of_every_contract_masks_personal_numbers(cls):
    for name, field in cls.model_fields.items():
        annotation = field.rebuild_annotation()
        if _redacting(annotation):
            adapter = TypeAdapter(annotation)
            if _holds(annotation, dict):
                typed: object = {"note": TYPED, "nested": [TYPED]}
            else:
                typed = [TYPED] if _holds(annotation, list) else TYPED
            shown = adapter.validate_python(typed)
            text = json.dumps(shown, ensure_ascii=False)
            assert "13812345678" not in text and "410102199001011234" not in text and "67891234" not in text, name
            assert "138****5678" in text and "410***********1234" in text, text
        elif get_origin(annotation) is dict and get_args(annotation)[1] in (int, float):
            continue  # figures by name (a count per kind): no text typed by anyone
        elif _holds(annotation, dict):
            assert name in ("deadlines", "geometry"), f"{cls.__name__}.{name} holds data: make it FreeData"
        elif _holds(annotation, str):
            assert IDENTIFIER.search(name), f"{cls.__name__}.{name} holds text: make it FreeText or name it as an id"


def test_no_caller_has_to_remember_to_mask():
    event = CaseTransitioned(
        case_id="c",
        case_number="n",
        incident_id="i",
        action="handle",
        from_status="dispatched",
        to_status="handled",
        actor="a",
        actor_role="dispatcher",
        at=datetime(2026, 5, 1, tzinfo=UTC),
        category_code="noise",
        reason=f"打了 {TYPED}",
        details={"note": TYPED, "photos": [{"caption": TYPED}]},
    )
    dumped = event.model_dump_json()
    assert "13812345678" not in dumped and "410102199001011234" not in dumped


def _examples():
    doc = yaml.safe_load((contracts.DOCS / "asyncapi.yaml").read_text(encoding="utf-8"))
    for cls in EVENT_CLASSES:
        for example in doc["components"]["messages"][cls.__name__].get("examples", []):
            yield cls.model_validate(example["payload"])
    yield _event()
    at = datetime(2026, 5, 1, 8, tzinfo=UTC)
    yield CaseTransitioned(
        case_id="c",
        case_number="n",
        incident_id="i",
        action="rework",
        from_status="handled",
        to_status="dispatched",
        actor="m-1",
        actor_role="field_monitor",
        at=at,
        category_code="noise",
        reason="未整改到位",
        details={"photos": [{"sha256": "ab"}]},
    )
    yield EnforcementStepRecorded(
        case_id="c",
        case_number="n",
        step="decide",
        stage="decided",
        category_code="noise",
        amount_fen=200_000,
        deadlines={"payment": at},
        at=at,
        actor="l-1",
    )


def test_our_encoder_writes_what_the_cloudevents_sdk_writes():
    from common.messaging.envelope import encode_with_sdk

    at = datetime(2026, 5, 1, 8, 30, 15, 123456, UTC)
    events = list(_examples())
    assert len({type(e) for e in events}) >= 4
    for event in events:
        for correlation in ("req-1", None):
            ours = encode(event, source="/cgzf/x", time=at, correlation_id=correlation, event_id="e-1")
            sdk = encode_with_sdk(event, source="/cgzf/x", time=at, correlation_id=correlation, event_id="e-1")
            assert dict(ours.headers) == dict(sdk.headers) and ours.key == sdk.key and ours.topic == sdk.topic
            assert json.loads(ours.value) == json.loads(sdk.value)


def test_a_contract_names_its_type_topic_and_key_in_its_class_statement_and_its_docstring_is_its_summary():
    from common.messaging.contracts import IntegrationEvent, Topics

    class Probe(IntegrationEvent, type="cases.probe.seen.v1", topic=Topics.cases, key="probe_id"):
        """A probe was seen
        on two lines."""

        probe_id: str

    assert (Probe.event_type, Probe.topic, Probe.key_field) == (
        "cn.gov.cgzf.cases.probe.seen.v1",
        "cases.cases",
        "probe_id",
    )
    assert Probe.producer == "cases" and Probe.summary == "A probe was seen on two lines."
    assert Probe(probe_id="p").key() == "p"


def test_a_contract_without_a_summary_or_a_topic_is_refused_when_it_is_written():
    from common.messaging.contracts import IntegrationEvent

    with pytest.raises(TypeError, match="docstring"):

        class NoSummary(IntegrationEvent, type="cases.nothing.v1", topic="cases.cases", key="x"):
            x: str

    with pytest.raises(TypeError, match="topic"):

        class NoTopic(IntegrationEvent, type="cases.nothing.v1", key="x"):
            """Says nothing."""

            x: str


def test_the_case_words_are_the_shared_vocabulary_in_the_contract_and_in_every_domain():
    import typing

    from cases.domain import lifecycle
    from common import vocabulary
    from intake.domain.incidents import STATUS_OF_CASE

    assert lifecycle.CaseStatus is vocabulary.CaseStatus and lifecycle.Action is vocabulary.CaseAction
    hints = typing.get_type_hints(CaseTransitioned)
    assert hints["action"] is vocabulary.CaseAction and hints["to_status"] is vocabulary.CaseStatus
    assert set(STATUS_OF_CASE) == set(vocabulary.CaseStatus)  # intake shows every state of a case
