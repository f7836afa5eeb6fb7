"""摸底: the survey import (CSV or XLSX, every row checked, the same file twice changes nothing)
and the register's export in the import's columns."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile

from common.audiences import Clerk, Keeper
from common.clock import bureau_date
from ledger.adapters.survey_files import ReadLimits, read_rows, write_rows
from ledger.api.deps import ServiceDep
from ledger.domain.merchant import RowRefused, checked
from ledger.handlers.merchants import import_survey
from ledger.queries import merchants as mq

router = APIRouter(tags=["ledger 台账"])


@router.post(
    "/v1/merchants/import",
    summary="摸底 survey import: a CSV or XLSX file (field `file`), every row checked",
    description="The header row names the columns `name, sign, operator, phone, address, lon, lat, "
    "business_nature, credit_code` (or 店名, 门头, 经营者, 联系电话, 地址, 经度, 纬度, 经营性质, "
    "统一社会信用代码). A shop the register holds (the same credit code, or the same name at the "
    "same address) is brought up to date, so the same file twice changes nothing. Answers "
    '`{"accepted": n, "rejected": [{"row": i, "errors": [...]}]}` (rows numbered as the '
    "spreadsheet numbers them: the header is row 1), with `created`, `updated`, `unchanged`.",
)
async def import_merchants(
    principal: Clerk,
    service: ServiceDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or XLSX")],
):
    data = await file.read()
    limits = ReadLimits(max_rows=service.settings.import_max_rows, seconds=service.settings.import_max_seconds)
    # openpyxl and csv block: read in a worker thread, within the time limit (413 or 422 naming why)
    rows = [(n, _survey_row(raw)) for n, raw in await asyncio.to_thread(read_rows, file.filename, data, limits)]
    async with service.uow() as uow:
        report = await import_survey(uow, rows)
    return {
        "accepted": report.accepted,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
    }


def _text(value) -> str | None:
    """A cell as text: a number Excel stored for a phone or a code loses its `.0`."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _survey_row(raw: dict):
    try:
        return checked(
            name=_text(raw.get("name")),
            operator=_text(raw.get("operator")),
            address=_text(raw.get("address")),
            business_nature_value=_text(raw.get("business_nature")),
            lon=raw.get("lon"),
            lat=raw.get("lat"),
            sign=_text(raw.get("sign")),
            phone=_text(raw.get("phone")),
            credit_code=_text(raw.get("credit_code")),
        )
    except RowRefused as refused:
        return refused


@router.get(
    "/v1/merchants/export",
    summary="the register as CSV or XLSX, in the import's columns",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
async def export_merchants(
    principal: Keeper,
    service: ServiceDep,
    format: Literal["csv", "xlsx"] = "csv",
    headers: Literal["en", "zh"] = "en",
    grid_id: Annotated[str | None, Query(max_length=64)] = None,
):
    async with service.session_factory() as session:
        rows = await mq.open_merchants(session, grid_id)
    data, media = write_rows(
        [
            {
                "name": m.name,
                "sign": m.sign,
                "operator": m.operator,
                "phone": m.phone,
                "address": m.address,
                "lon": m.lon,
                "lat": m.lat,
                "business_nature": m.business_nature,
                "credit_code": m.credit_code,
            }
            for m in rows
        ],
        format,
        headers == "zh",
    )
    stamp = bureau_date(service.clock.now()).isoformat()
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="merchants-{stamp}.{format}"',
            "Cache-Control": "no-store",
        },
    )
