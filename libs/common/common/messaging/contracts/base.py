"""What every contract is made of: the base class (its type, topic, key, producer and summary
named in the class statement), the topics, text a person typed (masked as it is made), and the
location every report carries."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from common.redaction import redact_private


def _redact_all(value: Any) -> Any:
    if isinstance(value, str):
        return redact_private(value)
    if isinstance(value, dict):
        return {k: _redact_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_all(v) for v in value]
    return value


FreeText = Annotated[str, AfterValidator(redact_private)]
"""Text a person typed (a description, a reason, a note): phone and identity-card numbers masked."""
FreeData = Annotated[dict, AfterValidator(_redact_all)]
"""Facts of a step or a report, whose strings may hold typed text: masked the same way."""

TYPE_PREFIX = "cn.gov.cgzf"


class Topics:
    incidents = "intake.incidents"
    cases = "cases.cases"
    campaigns = "cases.campaigns"
    assignments = "dispatch.assignments"
    alerts = "dispatch.alerts"
    grids = "dispatch.grids"
    directory = "dispatch.directory"
    calendar = "dispatch.calendar"
    catalogue = "intake.catalogue"
    sign_ins = "staff.sign-ins"
    merchants = "ledger.merchants"
    points = "ledger.points"
    ledger_figures = "ledger.figures"
    dogs = "ledger.dogs"
    devices = "ledger.devices"
    readings = "ledger.readings"
    alarms = "ledger.alarms"
    samples = "ledger.samples"
    rankings = "reporting.rankings"

    @staticmethod
    def dead_letter(group: str) -> str:
        return f"{group}.dlq"


class Location(BaseModel):
    """WGS84 longitude and latitude."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class CaseOwner(BaseModel):
    """包案: who owns a 信访, 领导交办 or 舆情 case. Officials in their office, not private persons."""

    leader_id: str = Field(max_length=64, description="包案领导: the leader's staff id (warnings go to this person)")
    leader_name: str = Field(max_length=50, description="包案领导's name and title, as shown")
    unit: str | None = Field(None, max_length=100, description="责任单位")
    person: str | None = Field(None, max_length=50, description="责任人")


DESCRIPTION_MAX = 2000
"""The longest description (问题描述) anywhere in the platform: a report, a case's part, a note."""


class IntegrationEvent(BaseModel):
    """Base of every contract. `event_type` names the event and its version; `topic` is where
    it travels; `key_field` is the aggregate id, which becomes the Kafka key and the
    CloudEvents `partitionkey`, so one aggregate's events stay in order on one partition."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]
    key_field: ClassVar[str]
    producer: ClassVar[str]
    summary: ClassVar[str]
    examples: ClassVar[tuple[tuple[str, str, dict], ...]] = ()
    """(name, summary, payload) shown in the AsyncAPI document."""

    def __init_subclass__(
        cls,
        *,
        type: str | None = None,
        topic: str | None = None,
        key: str | None = None,
        producer: str | None = None,
        **kwargs: Any,
    ) -> None:
        """A contract names itself in its class statement: `type` (after the prefix, ending in its
        version), the `topic` it travels on, the `key` field (its aggregate id) and, when it is not
        the type's first word, the `producer`; its docstring is its summary. A base without a
        `type` (shared fields) gives its subclasses the topic and key."""
        super().__init_subclass__(**kwargs)
        if topic is not None:
            cls.topic = topic
        if key is not None:
            cls.key_field = key
        if type is None:
            return
        if not (cls.__doc__ and hasattr(cls, "topic") and hasattr(cls, "key_field")):
            raise TypeError(f"{cls.__name__}: a contract has a docstring (its summary), a topic and a key")
        cls.event_type = f"{TYPE_PREFIX}.{type}"
        cls.producer = producer or type.split(".")[0]
        cls.summary = cls.__doc__ = " ".join(cls.__doc__.split())

    def key(self) -> str:
        return str(getattr(self, self.key_field))
