"""权责清单 over HTTP: the powers with their legal basis and discretion bands (裁量基准), read by
staff, kept by the legal section (法制科)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, model_validator

from cases import queries
from cases.api.deps import ServiceDep
from cases.domain.powers import LEVEL_NAMES, Level, PartyKind
from cases.handlers.powers import power_of, put_power
from common.audiences import LegalSection, PowerReader
from common.refusals import NotFound

router = APIRouter(tags=["powers 权责清单"])
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$", description="the power's code")]


class BasisIn(BaseModel):
    law: str = Field(min_length=2, max_length=100, description="法律、法规或规章 (without 《》)")
    article: str = Field(min_length=1, max_length=20, description="条, e.g. 第一百一十八条")
    clause: str | None = Field(None, max_length=40, description="款、项, e.g. 第三款, 第(二)项")
    text: str | None = Field(None, max_length=2000, description="the provision's text")


class BandIn(BaseModel):
    level: Level = Field(description="minor 轻微, ordinary 一般, serious 较重, grave 严重")
    facts: str = Field(min_length=1, max_length=500, description="the facts that put a case in the band (情节)")
    min_fen: int | None = Field(None, ge=0, le=10**13)
    max_fen: int | None = Field(None, ge=0, le=10**13)
    min_pct: float | None = Field(None, ge=0, le=1000, description="a fine as a share (%) of a base the law names")
    max_pct: float | None = Field(None, ge=0, le=1000)
    warning: bool = Field(False, description="警告 is a penalty of the band")
    party: PartyKind | None = Field(None, description="only for a person or an organisation; both when left out")

    @model_validator(mode="after")
    def _one_kind_of_amount(self) -> BandIn:
        fen = self.min_fen is not None or self.max_fen is not None
        pct = self.min_pct is not None or self.max_pct is not None
        if fen and pct:
            raise ValueError("a band's fine is in fen or a share of a base, not both")
        if not (fen or pct or self.warning):
            raise ValueError("a band needs a warning, a fine in fen or a share of a base")
        for low, high in ((self.min_fen, self.max_fen), (self.min_pct, self.max_pct)):
            if low is not None and high is not None and low > high:
                raise ValueError(f"the band's lower amount {low} is above its upper {high}")
        return self


class PowerIn(BaseModel):
    name: str = Field(min_length=2, max_length=200)
    violation: str = Field(min_length=2, max_length=500, description="the violation it punishes (违法行为)")
    basis: BasisIn = Field(description="处罚依据: the provision that sets the penalty")
    prohibition: BasisIn | None = Field(None, description="违法依据: the provision the party broke")
    bands: list[BandIn] = Field(min_length=1, max_length=12, description="裁量基准")
    categories: list[str] = Field(default_factory=list, max_length=20, description="the catalogue's categories")
    major: bool = Field(False, description="in the 重大执法决定法制审核目录: every decision under it is reviewed")

    @model_validator(mode="after")
    def _levels_once(self) -> PowerIn:
        seen: set[tuple[str, str | None]] = set()
        for b in self.bands:
            for party in ("person", "organisation") if b.party is None else (b.party.value,):
                if (b.level.value, party) in seen:
                    raise ValueError(f"band {b.level.value} for a {party} is given twice")
                seen.add((b.level.value, party))
        return self


class BandOut(BandIn):
    name: str = Field(description="the level in Chinese: 轻微, 一般, 较重, 严重")


class PowerOut(BaseModel):
    code: str
    name: str
    violation: str
    basis: BasisIn
    prohibition: BasisIn | None
    cited: str = Field(description="the legal basis as a document cites it")
    bands: list[BandOut]
    categories: list[str]
    major: bool
    version: int
    updated_by: str
    updated_at: datetime


def _out(row) -> PowerOut:
    return PowerOut(
        code=row.code,
        name=row.name,
        violation=row.violation,
        basis=BasisIn(**row.basis),
        prohibition=BasisIn(**row.prohibition) if row.prohibition else None,
        cited=power_of(row).cite(),
        bands=[BandOut(**b, name=LEVEL_NAMES[Level(b["level"])]) for b in row.bands],
        categories=row.categories,
        major=row.major,
        version=row.version,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


@router.get("/v1/powers", response_model=list[PowerOut], summary="权责清单: the powers, their basis and 裁量基准")
async def powers(principal: PowerReader, service: ServiceDep, category: str | None = None):
    async with service.session_factory() as session:
        return [_out(r) for r in await queries.powers(session, category)]


@router.get("/v1/powers/{code}", response_model=PowerOut, summary="a power of the 权责清单")
async def one_power(code: Code, principal: PowerReader, service: ServiceDep):
    async with service.session_factory() as session:
        row = await queries.power(session, code)
    if row is None:
        raise NotFound(f"no power {code} in the 权责清单")
    return _out(row)


@router.put(
    "/v1/powers/{code}",
    response_model=PowerOut,
    summary="a power, whole: its basis and 裁量基准 (the legal section); a case already noticed keeps its band",
)
async def define_power(code: Code, body: PowerIn, principal: LegalSection, service: ServiceDep):
    fields = body.model_dump(mode="json")
    fields["bands"] = [{k: v for k, v in b.items() if v is not None and v is not False} for b in fields["bands"]]
    async with service.uow() as uow:
        row = await put_power(uow, code, fields, principal.subject)
    return _out(row)
