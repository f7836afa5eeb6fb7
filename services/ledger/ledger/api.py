"""Ledger's HTTP API: `/v1/merchants`."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field
from sqlmodel import select

from common.auth import Principal, Role, require_roles
from common.messaging.contracts import Location
from ledger.handlers import RegisterMerchant, register_merchant
from ledger.tables import Merchant

router = APIRouter(tags=["ledger 台账"])


async def get_service(request: Request):
    return request.app.state.services["ledger"]


Clerk = Annotated[Principal, Depends(require_roles(Role.ledger_clerk))]
Reader = Annotated[Principal, Depends(require_roles(Role.ledger_clerk, Role.dispatcher, Role.supervisor,
                                                    Role.squad_officer, Role.squad_leader))]


class MerchantCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="店名/门头")
    operator: str = Field(min_length=1, max_length=100, description="经营者")
    address: str = Field(min_length=1, max_length=300)
    business_nature: str = Field(min_length=1, max_length=100, description="经营性质")
    location: Location | None = Field(None, description="WGS84; the grid and its squad are derived from it")
    grid_id: str | None = Field(None, max_length=64, description="when no location is given")


class MerchantPublic(BaseModel):
    id: str
    name: str
    operator: str
    address: str
    business_nature: str
    grid_id: str | None
    squad_id: str | None
    colour: str = Field(description="一卡四色: blue 蓝, yellow 黄, orange 橙, red 红")
    violations: dict[str, int]
    created_at: datetime
    updated_at: datetime


@router.post("/v1/merchants", status_code=status.HTTP_201_CREATED, response_model=MerchantPublic,
             summary="登记商户")
async def create_merchant(body: MerchantCreate, principal: Clerk, service=Depends(get_service)):
    async with service.uow() as uow:
        m = await register_merchant(uow, RegisterMerchant(**{**body.model_dump(), "location": body.location}))
    return MerchantPublic.model_validate(m, from_attributes=True)


@router.get("/v1/merchants/{merchant_id}", response_model=MerchantPublic)
async def get_merchant(merchant_id: str, principal: Reader, service=Depends(get_service)):
    async with service.session_factory() as session:
        m = await session.get(Merchant, merchant_id)
    if m is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"merchant {merchant_id} not found")
    return MerchantPublic.model_validate(m, from_attributes=True)


@router.get("/v1/merchants", response_model=list[MerchantPublic])
async def list_merchants(principal: Reader, service=Depends(get_service), colour: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=500)] = 50,
                         offset: Annotated[int, Query(ge=0)] = 0):
    query = select(Merchant).order_by(Merchant.name).limit(limit).offset(offset)
    if colour:
        query = query.where(Merchant.colour == colour)
    async with service.session_factory() as session:
        rows = (await session.exec(query)).all()
    return [MerchantPublic.model_validate(m, from_attributes=True) for m in rows]
