"""Seed 004's year reproduced: a generated year of events with the seed's totals (59,274 cases
received and due, 59,173 handled) gives the seed's 处置率 99.83 % in the yearly report; the monthly
tables and the direct reading of the rows agree on every indicator; and the exports stream."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from common.clock import FixedClock
from common.messaging.memory import InMemoryTransport
from common.service import create_app
from devstack.case_year import YearTotals, records, year
from reporting.domain.indicators import INDICATORS, indicators
from reporting.domain.periods import PeriodKind, period_of
from reporting.handlers.sums import sum_month
from reporting.queries.counts import cube_counts, day_counts, direct_counts, summed, total
from reporting.service import ReportingService
from reporting.settings import ReportingSettings
from tests.conftest import auth, running
from tests.helpers import eventually

pytestmark = pytest.mark.integration
SUPERVISOR = auth("supervisor", "sup-0001")


@pytest.fixture
async def reporting(database_url):
    transport = InMemoryTransport()
    clock = FixedClock(datetime(2025, 1, 15, 2, tzinfo=UTC))
    service = ReportingService(
        ReportingSettings(
            database_url=database_url,
            bus="memory",
            consumer_batch_size=5000,
            relay_poll_interval_s=0.2,
            refresh_interval_s=3600,
        ),
        transport=transport,
        clock=clock,
    )
    async with running([service], create_app([service], title="reporting")) as client:
        client.service, client.transport = service, transport
        yield client


async def _load(client, totals: YearTotals, y: int) -> int:
    batch, sent = [], 0
    for record in records(year(y, totals)):
        batch.append(record)
        if len(batch) == 5000:
            await client.transport.send(batch)
            sent, batch = sent + len(batch), []
    await client.transport.send(batch)
    sent += len(batch)
    await eventually(lambda: _applied(client), lambda n: n >= sent, timeout_s=300, what=f"{sent} events applied")
    await client.service.refresh(settle_s=30)
    return sent


async def _applied(client):
    return client.service.consumer.handled


async def test_seed_004s_year_gives_its_disposal_rate(reporting):
    await _load(reporting, YearTotals(), 2024)
    r = await reporting.get("/v1/reports/indicators?period=year&at=2024", headers=SUPERVISOR)
    assert r.status_code == 200, r.text
    figures = r.json()["total"]["indicators"]
    assert figures["received"] == 59_274 and figures["handled"] == 59_173
    assert round(figures["disposal_rate"] * 100, 2) == 99.83
    assert r.json()["label"] == "2024年" and "处置数 / 应处置数" in r.json()["formulas"]["disposal_rate"]

    # the summed tables and the rows read directly agree: whole months from the month tables, other
    # ranges from the day tables, by one dimension, by office, and over a 考评 scheme's categories
    async with reporting.service.session_factory() as session:
        whole = (
            period_of(PeriodKind.year, datetime(2024, 5, 1).date()),
            period_of(PeriodKind.quarter, datetime(2024, 8, 1).date()),
            period_of(PeriodKind.month, datetime(2024, 12, 1).date()),
        )
        days = (  # from the day tables: a week, three days across a month's end, the year's last day
            period_of(PeriodKind.week, datetime(2024, 6, 12).date()),
            period_of(PeriodKind.range, datetime(2024, 4, 29).date(), datetime(2024, 5, 1).date()),
            period_of(PeriodKind.day, datetime(2024, 12, 31).date()),
        )
        assert await summed(session, days[0])
        scheme = (("street_vending", "storefront_overflow"), ())  # 考评 over some categories, and without them
        for period, by, (cats, exclude) in [
            *((p, by, ((), ())) for p in (*whole, *days) for by in (None, "squad", "category", "office")),
            *((p, by, scheme) for p in (whole[2], days[1]) for by in ("squad", "office", None)),
            *((p, by, scheme[::-1]) for p in (whole[2], days[0]) for by in ("squad", "office")),
        ]:
            read = cube_counts if period.whole_months else day_counts
            cube = await read(session, period, by, cats, exclude)
            direct = await direct_counts(session, period, by, categories=cats, exclude=exclude)
            assert set(cube) == set(direct), (period, by)
            for value in cube:
                a, b = indicators(cube[value]), indicators(direct[value])
                for i in INDICATORS:
                    if i.key in ("handling_median_hours", "handling_p90_hours"):  # a histogram's bucket
                        assert a[i.key] is None or abs(a[i.key] - b[i.key]) <= 0.25, (period, by, value, i.key)
                    else:
                        assert a[i.key] == b[i.key], (period, by, cats, value, i.key, a[i.key], b[i.key])
        december = total(await direct_counts(session, period_of(PeriodKind.month, datetime(2024, 12, 1).date()), None))
        assert december.overdue_open > 0  # the unhandled, dispatched in the year's last days
        assert total(await day_counts(session, days[2], None)).overdue_open == december.overdue_open

    # 环比 and 同比, by squad
    r = await reporting.get("/v1/reports/indicators?period=month&at=2024-11&by=squad", headers=SUPERVISOR)
    rows = r.json()["rows"]
    assert {x["name"] for x in rows} >= {"汝河中队"} or {x["value"] for x in rows} >= {"sq-ruhe"}
    assert all(x["previous"]["received"] is not None for x in rows)
    assert all(x["year_before"]["received"] is None for x in rows)  # nothing in 2023

    # the exports
    r = await reporting.get("/v1/reports/indicators?period=year&at=2024&by=category&format=csv", headers=SUPERVISOR)
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["名称", "受理数", "立案数"] and len(table) == 1 + 11 + 1
    r = await reporting.get("/v1/reports/indicators?period=quarter&at=2024-10&format=xlsx", headers=SUPERVISOR)
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet["A2"].value == "合计"
    r = await reporting.get("/v1/reports/facts.csv?from=2024-12-01&to=2024-12-31", headers=SUPERVISOR)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    facts = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(facts) > 4000 and {"received_at", "dispatched_at", "deadline_at", "on_time"} <= set(facts[0])
    assert facts[0]["received_at"].endswith("+08:00")
    assert (
        await reporting.get(
            "/v1/reports/facts.csv?from=2024-12-01&to=2024-12-31", headers=auth("squad_leader", "l", "sq-ruhe")
        )
    ).status_code == 403


async def test_a_month_marked_while_it_is_being_summed_is_summed_again(reporting):
    """A batch that lands while a refresher sums its month must leave the month marked, or the
    cube would miss the batch's rows until some later event touched that month; and the batch
    must not wait for the refresher."""
    one = YearTotals(cases=1, handled=1)
    await _load(reporting, one, 2023)
    service = reporting.service
    async with service.engine.connect() as conn:
        months = [
            r[0]
            for r in (
                await conn.execute(
                    text(
                        "SELECT DISTINCT date_trunc('month', timezone('Asia/Shanghai', received_at))::date "
                        "FROM reporting.incidents"
                    )
                )
            ).all()
        ]
        assert months and not await conn.scalar(text("SELECT count(*) FROM reporting.dirty_months"))
        await conn.execute(
            text("INSERT INTO reporting.dirty_months (month) SELECT unnest(CAST(:m AS date[]))"), {"m": months}
        )
        await conn.commit()
        # a refresher reads the marks it will sum ...
        marks = (await conn.execute(text("SELECT month, version FROM reporting.dirty_months"))).all()
    # ... the batch lands meanwhile, without waiting for anyone ...
    before = service.consumer.handled
    batch = list(records(year(2023, one)))
    await reporting.transport.send(batch)
    await eventually(lambda: _applied(reporting), lambda n: n >= before + len(batch), what="the batch applied")
    # ... and the refresher finishes: the months stay marked, to be summed with the batch's rows
    for month, version in marks:
        async with service.session_factory() as session:
            assert await sum_month(session, month, version)
    async with service.engine.connect() as conn:
        marked = {r[0] for r in (await conn.execute(text("SELECT month FROM reporting.dirty_months"))).all()}
    assert set(months) <= marked
    assert set(await service.refresh()) >= set(months)
    async with service.engine.connect() as conn:
        assert not await conn.scalar(text("SELECT count(*) FROM reporting.dirty_months"))
