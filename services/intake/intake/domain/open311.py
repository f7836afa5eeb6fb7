"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), the wire format: what a service,
a service definition, a service request, a token, the discovery document and an error look
like in JSON and in XML, and how a POST's form fields become a report. Pure functions; the
routes are in intake.api.open311.

Choices where the specification leaves room, all documented in the README:
- `service_request_id` is the incident id; the POST answers with it at once, and with a
  `token` as well, which `tokens/{token}` resolves (an app written for token-first servers
  works too).
- `status` is `open` until the case is closed (or ends without work: 不予立案, cancelled,
  merged into another case); `status_notes` is the latest public note.
- `agency_responsible` is the squad once the case is dispatched; `expected_datetime` is the
  dispatch deadline, computed from the category's time limit in working hours.
- `extensions=true` adds `extended_attributes` (channel, case number, detailed status, photos,
  the public notes history), as FixMyStreet and other large deployments do, and
  `page`/`page_size` page through `requests`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from intake.domain.incidents import FINISHED

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
DEFAULT_WINDOW_DAYS = 90
MAX_REQUESTS = 1000

# The XML element of each item of a list, by the list's element name (the specification's names).
ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "keywords": "keyword",
    "photos": "photo",
    "notes": "note",
}


class Open311Error(Exception):
    """An error in the specification's shape: HTTP code and a description naming what was wrong."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


# -- rendering ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


def _append(parent: ET.Element, name: str, value: Any) -> None:
    node = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for k, v in value.items():
            _append(node, k, v)
    elif isinstance(value, list):
        for item in value:
            _append(node, ITEM.get(name, "item"), item)
    else:
        node.text = _text(value)


def to_xml(root: str, value: list | dict) -> bytes:
    """`<root>` with a list's items as the specification names them, or a dict's fields."""
    top = ET.Element(root)
    if isinstance(value, list):
        for item in value:
            _append(top, ITEM[root], item)
    else:
        for k, v in value.items():
            _append(top, k, v)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(top, encoding="utf-8", xml_declaration=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def body(root: str, value: list | dict, fmt: str) -> tuple[bytes | Any, str]:
    """The response body in the format asked for: (JSON-ready value or XML bytes, media type)."""
    if fmt == "xml":
        return to_xml(root, value), FORMATS["xml"]
    return _jsonable(value), FORMATS["json"]


def errors(errs: Iterable[Open311Error]) -> list[dict]:
    return [{"code": e.code, "description": e.description} for e in errs]


def iso(at: datetime) -> str:
    """W3C/ISO 8601 with the offset, as the specification requires (Z for UTC)."""
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_datetime(name: str, raw: str) -> datetime:
    try:
        at = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise Open311Error(
            400, f"{name} must be a W3C datetime such as 2026-11-22T08:15:30+08:00, not {raw!r}"
        ) from None
    if at.tzinfo is None:
        raise Open311Error(400, f"{name} must carry a time zone (Z or +08:00)")
    return at


def status_of(incident_status: str) -> str:
    return "closed" if incident_status in FINISHED else "open"


# -- services -----------------------------------------------------------------------------------------


def service(category: Any) -> dict:
    """One entry of services.{fmt}."""
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": ",".join(category.keywords),
        "group": "事件" if category.kind == "event" else "部件",
    }


def service_definition(category: Any) -> dict:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": a.get("variable", True),
                "code": a["code"],
                "datatype": a["datatype"],
                "required": a.get("required", False),
                "datatype_description": a.get("datatype_description", ""),
                "order": a.get("order", i + 1),
                "description": a["description"],
                **({"values": [{"key": v["key"], "name": v["name"]} for v in a["values"]]} if a.get("values") else {}),
            }
            for i, a in enumerate(category.attributes)
        ],
    }


# -- POST requests ------------------------------------------------------------------------------------

ATTRIBUTE = re.compile(r"^attribute\[(?P<code>[^\]]{1,64})\](?P<multi>\[\])?$")
PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,19}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")


@dataclass
class RequestForm:
    """A POST requests body, checked field by field."""

    service_code: str
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str = ""
    media_url: str | None = None
    attributes: dict[str, str | list[str]] = field(default_factory=dict)

    @property
    def name(self) -> str | None:
        """The caller's name as intake keeps it: family name first."""
        return " ".join(p for p in (self.last_name, self.first_name) if p) or None


CALLER_NAME_MAX = 100
"""intake.tables.Incident.caller_name"""


def _bounded(form: dict[str, list[str]], name: str, limit: int) -> str | None:
    values = form.get(name)
    if not values:
        return None
    value = values[-1].strip()
    if len(value) > limit:
        raise Open311Error(400, f"{name} is longer than {limit} characters")
    return value or None


def parse_request_form(form: dict[str, list[str]], max_description: int) -> RequestForm:
    """The specification's fields, each checked, or a 400 naming the field."""
    # Fields this endpoint does not know are ignored: apps written for other cities send their own.
    code = _bounded(form, "service_code", 64)
    if not code:
        raise Open311Error(400, "service_code is required")
    req = RequestForm(service_code=code)
    for name, limit in (
        ("address_string", 200),
        ("address_id", 64),
        ("email", 254),
        ("device_id", 100),
        ("account_id", 100),
        ("first_name", 50),
        ("last_name", 50),
        ("phone", 32),
        ("media_url", 1000),
    ):
        setattr(req, name, _bounded(form, name, limit))
    if req.name and len(req.name) > CALLER_NAME_MAX:
        raise Open311Error(400, f"first_name and last_name together are longer than {CALLER_NAME_MAX} characters")
    req.description = _bounded(form, "description", max_description) or ""
    raw_lat, raw_long = _bounded(form, "lat", 32), _bounded(form, "long", 32)
    if (raw_lat is None) != (raw_long is None):
        raise Open311Error(400, "lat and long come together")
    if raw_lat is not None:
        try:
            req.lat, req.long = float(raw_lat), float(raw_long or "")
        except ValueError:
            raise Open311Error(400, f"lat and long must be decimal degrees, not {raw_lat!r}, {raw_long!r}") from None
        if not (-90 <= req.lat <= 90 and -180 <= req.long <= 180):
            raise Open311Error(400, "lat must be within ±90 and long within ±180")
    if req.lat is None and req.address_string is None and req.address_id is None:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    if req.phone and not PHONE.match(req.phone):
        raise Open311Error(400, "phone is not a telephone number")
    if req.email and not EMAIL.match(req.email):
        raise Open311Error(400, "email is not an e-mail address")
    if req.media_url and not re.match(r"^https?://", req.media_url):
        raise Open311Error(400, "media_url must be an http(s) URL")
    for name, values in form.items():
        m = ATTRIBUTE.match(name)
        if m:
            req.attributes[m["code"]] = [v.strip() for v in values] if m["multi"] else values[-1].strip()
    return req


def check_attributes(definition: list[dict], given: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
    """The service's attributes against its definition: required ones present, list values known."""
    by_code = {a["code"]: a for a in definition}
    for code in given:
        if code not in by_code:
            raise Open311Error(400, f"attribute[{code}] is not an attribute of this service")
    for a in definition:
        value = given.get(a["code"])
        excused = any(given.get(other) in values for other, values in a.get("unless", {}).items())
        if a.get("required") and a.get("variable", True) and not value and not excused:
            raise Open311Error(400, f"attribute[{a['code']}] is required: {a['description']}")
        if value is None:
            continue
        if a["datatype"] in ("singlevaluelist", "multivaluelist"):
            keys = {v["key"] for v in a.get("values", [])}
            chosen = value if isinstance(value, list) else [value]
            if a["datatype"] == "singlevaluelist" and len(chosen) != 1:
                raise Open311Error(400, f"attribute[{a['code']}] takes one value")
            unknown = [v for v in chosen if v not in keys]
            if unknown:
                raise Open311Error(400, f"attribute[{a['code']}] has no value {unknown[0]!r}; one of {sorted(keys)}")
        elif a["datatype"] == "number":
            try:
                float(value if isinstance(value, str) else value[0])
            except ValueError:
                raise Open311Error(400, f"attribute[{a['code']}] must be a number") from None
        elif a["datatype"] == "datetime":
            parse_datetime(f"attribute[{a['code']}]", value if isinstance(value, str) else value[0])
        if isinstance(value, str) and len(value) > 500:
            raise Open311Error(400, f"attribute[{a['code']}] is longer than 500 characters")
    return given
