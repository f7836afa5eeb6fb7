"""中队排位赛 and 月度通报 on the real PostgreSQL: two generated years of cases and a month of the
registers' events; the month's ranking published once when it closes (with movement and the red
flag) as an event; a squad leader sees the squad's own row and the district average only; the
circular as a page and as a PDF whose pages render, with the registers' figures and the formulas."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pypdfium2
import pytest

from common.clock import BEIJING, FixedClock
from common.messaging.contracts import (
    DogLicenceIssued,
    LedgerFiguresReported,
    SquadRankingPublished,
    StrayCaptured,
    Topics,
)
from common.messaging.envelope import decode
from common.messaging.memory import InMemoryTransport
from common.service import create_app
from devstack.case_year import YearTotals, district, records, year
from reporting.domain.indicators import BY_KEY, INDICATORS
from reporting.domain.ranking import DEFAULT_WEIGHTS
from reporting.service import ReportingService
from reporting.settings import ReportingSettings
from tests.conftest import auth, running
from tests.helpers import eventually

pytestmark = pytest.mark.integration
SUPERVISOR = auth("supervisor", "sup-0001")
LEADER = auth("squad_leader", "sq-ruhe-leader", "sq-ruhe")
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
SMALL = YearTotals(cases=4_000, handled=3_990)


def _example(cls, **changes):
    return cls(**{**cls.examples[0][2], **changes})


@pytest.fixture
async def reporting(database_url):
    transport = InMemoryTransport()
    # 1 July 2025, 03:00 in Beijing: June has closed, and the publishing delay (2 h) has passed
    clock = datetime(2025, 7, 1, 3, tzinfo=BEIJING).astimezone(UTC)
    service = ReportingService(
        ReportingSettings(
            database_url=database_url,
            bus="memory",
            consumer_batch_size=5000,
            relay_poll_interval_s=0.2,
            ranking_min_cases=50,
        ),
        transport=transport,
        clock=FixedClock(clock),
    )
    async with running([service], create_app([service], title="reporting")) as client:
        client.service, client.transport = service, transport
        events = [*district(datetime(2024, 1, 1, tzinfo=BEIJING)), *year(2024, SMALL), *year(2025, SMALL, seed=5)]
        june = datetime(2025, 6, 12, 10, tzinfo=BEIJING)
        events += [_example(LedgerFiguresReported, as_of=june)]
        events += [
            _example(DogLicenceIssued, licence_id=f"lic-{i}", number=f"D-{i}", at=june + timedelta(hours=i))
            for i in range(7)
        ]
        events += [_example(StrayCaptured, stray_id=f"s-{i}", number=f"S-{i}", at=june) for i in range(3)]
        sent = 0
        for chunk in range(0, len(events), 5000):
            batch = list(records(iter(events[chunk : chunk + 5000])))
            await transport.send(batch)
            sent += len(batch)
        await eventually(lambda: _handled(service), lambda n: n >= sent, timeout_s=300, what="every event applied")
        await service.refresh(settle_s=30)
        yield client


async def _handled(service):
    return service.consumer.handled


async def test_the_month_closes_its_ranking_is_published_once_and_a_squad_leader_sees_only_the_squad(reporting):
    client, service = reporting, reporting.service
    assert await service.publish_rankings() == [date(2025, 6, 1)]
    assert await service.publish_rankings() == []  # once

    published = [decode(r).data for r in client.transport.records(Topics.rankings)]
    assert len(published) == 1 and isinstance(published[0], SquadRankingPublished)
    event = published[0]
    ranked = [s for s in event.squads if s.rank is not None]
    assert len(ranked) >= 2 and [s.rank for s in ranked] == list(range(1, len(ranked) + 1))
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    assert event.red_flag_squad_id == ranked[0].squad_id and sum(s.red_flag for s in event.squads) == 1
    assert {w.indicator: w.points for w in event.weights} == DEFAULT_WEIGHTS
    assert all(s.cases >= 50 for s in ranked) and all(0 < s.score <= 100 for s in ranked)
    assert "phone" not in published[0].model_dump_json()

    r = await client.get("/v1/reports/ranking?month=2025-06", headers=SUPERVISOR)
    table = r.json()
    assert table["published"] and [s["squad_id"] for s in table["squads"] if s["rank"]] == [s.squad_id for s in ranked]
    assert table["district_score"] == event.district_score
    year = (await client.get("/v1/reports/ranking?year=2025", headers=SUPERVISOR)).json()
    assert year["month"] == "2025" and not year["published"]
    assert sum(s["cases"] for s in year["squads"]) > sum(s["cases"] for s in table["squads"]) * 6

    # the squad leader: the squad's own row and the district's average, nothing of the others
    r = await client.get("/v1/reports/ranking?month=2025-06", headers=LEADER)
    mine = r.json()
    assert [s["squad_id"] for s in mine["squads"]] == ["sq-ruhe"]
    assert mine["district_score"] == table["district_score"]
    assert mine["squads"][0]["rank"] == next(s.rank for s in event.squads if s.squad_id == "sq-ruhe")
    by_squad = await client.get("/v1/reports/indicators?period=month&at=2025-06&by=squad", headers=LEADER)
    assert [row["value"] for row in by_squad.json()["rows"]] == ["sq-ruhe"]
    assert (await client.get("/v1/reports/circular?month=2025-06", headers=LEADER)).status_code == 403
    for bad in ("month=2025-13", "month=0000-01", "year=1999"):
        assert (await client.get(f"/v1/reports/ranking?{bad}", headers=SUPERVISOR)).status_code == 422, bad


async def test_the_circular_as_a_page_and_as_a_pdf(reporting):
    client = reporting
    r = await client.get("/v1/reports/circular?month=2025-06", headers=SUPERVISOR)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "2025年6月" in page and "城市管理工作月度通报" in page
    for section in (
        "一、主要指标",
        "二、每日受理与结案",
        "三、问题类型",
        "四、中队排位",
        "五、网格处置率",
        "六、台账工作",
        "七、受理渠道与热线考核",
    ):
        assert section in page, section
    channels = page[page.index('<p id="channels">') :]
    assert re.match(r'<p id="channels">受理渠道: 12319热线 [\d,]+。本月无12345、110转办工单。</p>', channels), channels[
        :200
    ]
    assert page.count("<svg") == 3 and "流动红旗" in page and "汝河中队" in page
    assert page.count("<path") >= 6 and "林山寨" in page  # the grids' map, with their names
    assert "占道经营" in page  # the categories by their names
    assert "个百分点" in page  # 环比 and 同比 against June 2024 and May 2025
    for i in INDICATORS:  # the formulas as footnotes, in Chinese: what a bureau prints is read in Chinese
        assert html.escape(i.printed) in page and html.escape(i.formula) not in page, i.key
    notes = page[page.index("注: 指标口径") :]
    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"<[^>]+>", "", notes).replace("P90", "")), "English in the footnotes"
    assert "商户 20,310 户" in page and "养犬登记 7 只" in page and "收容流浪犬 3 只" in page
    headline = re.search(r"<td>受理数</td><td>([\d,]+)</td>", page)
    assert headline and 250 < int(headline.group(1).replace(",", "")) < 450, headline  # ~4,000 / 12

    r = await client.get("/v1/reports/circular.pdf?month=2025-06", headers=SUPERVISOR)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content[:5] == b"%PDF-"
    pdf = pypdfium2.PdfDocument(r.content)
    assert len(pdf) >= 2
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "城市管理工作月度通报" in text and "中队排位" in text and "处置率" in text and "养犬登记 7 只" in text
    assert "受理渠道与热线考核" in text and "12319热线" in text
    assert "reports received" not in text and BY_KEY["received"].printed[:12] in text
    SHOTS.mkdir(parents=True, exist_ok=True)
    for i in range(len(pdf)):
        pdf[i].render(scale=1.4).to_pil().save(SHOTS / f"circular-2025-06-p{i + 1}.png")
    assert (await client.get("/v1/reports/circular.pdf?month=2025-6", headers=SUPERVISOR)).status_code == 422
