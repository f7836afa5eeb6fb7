"""`GET /v1/reports/facts.csv`: every case with every step's time, streamed from a server-side
cursor in chunks, so a year of a city's cases exports without holding it in memory."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from common.audiences import CommandCentre
from common.clock import BEIJING, bureau_midnight
from common.refusals import Unprocessable
from common.spreadsheets import csv_text
from reporting.api.deps import ServiceDep, check_range
from reporting.queries.facts import FACT_COLUMNS, case_facts

router = APIRouter(tags=["reporting 统计"])


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.astimezone(BEIJING).isoformat(timespec="seconds")
    if isinstance(v, bool):
        return "1" if v else "0"
    return csv_text(v) if isinstance(v, str) else str(v)  # text as text, never a formula


@router.get(
    "/v1/reports/facts.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
    summary="案件明细: each case opened in the range with every step's time (Beijing time), streamed",
)
async def facts(
    principal: CommandCentre,
    service: ServiceDep,
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query(description="inclusive")],
):
    try:
        check_range(from_, to)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from exc
    a, b = bureau_midnight(from_), bureau_midnight(to + timedelta(days=1))

    async def rows():
        out = io.StringIO()
        writer = csv.writer(out)
        out.write("\ufeff")
        writer.writerow(FACT_COLUMNS)  # ours: no formula among them
        async for chunk in case_facts(service.engine, a, b):
            for row in chunk:
                writer.writerow([_cell(v) for v in row])
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
        if out.tell():
            yield out.getvalue().encode()

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="facts-{from_}-{to}.csv"', "Cache-Control": "no-store"},
    )
