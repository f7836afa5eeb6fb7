"""What a merchant's record must hold: a business nature from the list, a phone number that is
one, a position that is in China, a credit code that checks (credit_code). The same checks serve
a clerk's form and every row of a 摸底 survey file."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from common.refusals import Unprocessable
from ledger.domain.credit_code import CreditCodeInvalid, check_credit_code

BUSINESS_NATURES = {
    "catering": "餐饮",
    "retail": "零售",
    "repair": "维修",
    "market_stall": "市场摊位",
    "services": "生活服务",
    "hotel": "住宿",
    "entertainment": "文化娱乐",
    "wholesale": "批发",
    "other": "其他",
}
"""经营性质: the code and the name a clerk writes; catering places are the ones with fume purifiers."""
_BY_NAME = {name: code for code, name in BUSINESS_NATURES.items()}
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
CHINA = {"lon": (73.0, 136.0), "lat": (3.0, 54.0)}


def business_nature(value: str) -> str:
    """The code of a business nature given by code or by name; ValueError lists the choices."""
    v = value.strip()
    if v in BUSINESS_NATURES:
        return v
    if v in _BY_NAME:
        return _BY_NAME[v]
    raise Unprocessable(
        f"{value!r} is not a business nature: one of "
        + ", ".join(f"{name} ({code})" for code, name in BUSINESS_NATURES.items())
    )


def phone_number(value: str) -> str:
    """A mobile number (11 digits) or a landline with its area code; spaces and +86 dropped."""
    v = re.sub(r"[\s()]", "", value)
    if v.startswith("+86"):
        v = v[3:]
    if not (MOBILE.match(v) or LANDLINE.match(v)):
        raise Unprocessable(f"{value!r} is not a phone number (a mobile 1xxxxxxxxxx or a landline 0371-xxxxxxxx)")
    return v


def position(lon: float, lat: float) -> tuple[float, float]:
    if not (CHINA["lon"][0] <= lon <= CHINA["lon"][1] and CHINA["lat"][0] <= lat <= CHINA["lat"][1]):
        raise Unprocessable(f"({lon}, {lat}) is not a position in China (WGS84 longitude, latitude)")
    return lon, lat


def identity_key(name: str, address: str) -> str:
    """The same shop at the same address, however the spaces fall: what a survey matches on when
    there is no credit code."""
    squash = lambda s: re.sub(r"\s+", "", s).casefold()  # noqa: E731
    return f"{squash(name)}|{squash(address)}"


@dataclass(frozen=True)
class MerchantFields:
    """A merchant's record as a clerk or a survey gives it, checked."""

    name: str
    operator: str
    address: str
    business_nature: str
    lon: float | None = None
    lat: float | None = None
    sign: str | None = None
    phone: str | None = None
    credit_code: str | None = None
    tools: tuple[str, ...] = field(default_factory=tuple)
    opened_on: date | None = None
    stall: bool = False


class RowRefused(Unprocessable):
    """A row (or a merchant's fields) with all that is wrong with it, each "field: what is wrong"."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(
            "; ".join(errors),
            detail=[
                {"loc": ["body", e.split(":", 1)[0]], "msg": e.split(":", 1)[-1].strip(), "type": "value_error"}
                for e in errors
            ],
        )
        self.errors = errors


def checked(
    *,
    name: str | None,
    operator: str | None,
    address: str | None,
    business_nature_value: str | None,
    lon: float | str | None,
    lat: float | str | None,
    sign: str | None = None,
    phone: str | None = None,
    credit_code: str | None = None,
    tools: Iterable[str] = (),
    opened_on: date | None = None,
    stall: bool = False,
) -> MerchantFields:
    """Every field checked at once, so a rejected row names all that is wrong with it."""
    errors: list[str] = []
    name, operator, address = (name or "").strip(), (operator or "").strip(), (address or "").strip()
    for label, value, limit in (("name", name, 200), ("operator", operator, 100), ("address", address, 300)):
        if not value:
            errors.append(f"{label}: empty")
        elif len(value) > limit:
            errors.append(f"{label}: longer than {limit} characters")
    nature = ""
    try:
        nature = business_nature(business_nature_value or "")
    except ValueError as exc:
        errors.append(f"business_nature: {exc}")
    where: tuple[float | None, float | None] = (None, None)
    if lon in (None, "") and lat in (None, ""):
        pass
    else:
        try:
            where = position(_number(lon, "lon"), _number(lat, "lat"))
        except ValueError as exc:
            errors.append(f"lon/lat: {exc}")
    if phone not in (None, ""):
        try:
            phone = phone_number(str(phone))
        except ValueError as exc:
            errors.append(f"phone: {exc}")
    if credit_code not in (None, ""):
        try:
            credit_code = check_credit_code(str(credit_code))
        except CreditCodeInvalid as exc:
            errors.append(f"credit_code: {exc}")
    if sign and len(sign) > 200:
        errors.append("sign: longer than 200 characters")
    if errors:
        raise RowRefused(errors)
    return MerchantFields(
        name=name,
        operator=operator,
        address=address,
        business_nature=nature,
        lon=where[0],
        lat=where[1],
        sign=(sign or "").strip() or None,
        phone=phone or None,
        credit_code=credit_code or None,
        tools=tuple(tools),
        opened_on=opened_on,
        stall=stall,
    )


def _number(value: float | str | None, label: str) -> float:
    try:
        return float(str(value).strip())
    except ValueError:
        raise Unprocessable(f"{label} {value!r} is not a number") from None
