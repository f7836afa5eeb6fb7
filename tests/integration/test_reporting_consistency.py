"""The indicators agree with the services' own records. A generated month of cases (and the days
around it) is driven through the real services, with a clock the test moves: reports by the
hotline (with and without a number to call back) and on the web page (verified and filed, or not
filed), returns and dispatch by hand, extensions, rework, suspensions (resumed or not),
cancellations, on-time and late handling, cases left open, the hotline's 回访 with the caller's
rating, the web reporter's rating (one 不满意 reopens the case), the command centre's rating.

Then every indicator reporting computes from the events alone, for the month (its monthly
tables) and for a range inside it (its rows), in total and by squad, grid, category and channel,
equals the same indicator computed here, independently, from what intake, cases and dispatch
keep in their own tables (the case trail, the assignments, the escalations, the reports). And the
month's published ranking scores each squad on those same figures."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select

from common.clock import BEIJING, FixedClock
from common.messaging.memory import InMemoryTransport
from common.workcalendar import WorkCalendar, calendar_of, national_days, with_corrections
from monolith.app import build_app, build_services
from reporting.domain.indicators import INDICATORS, Counts, OnTime, indicators
from reporting.domain.periods import PeriodKind, period_of
from reporting.domain.ranking import DEFAULT_WEIGHTS, score
from reporting.queries.counts import counts as reporting_counts
from reporting.queries.counts import direct_counts, summed
from reporting.tables import Ranking
from tests.conftest import auth, running
from tests.helpers import MONITOR, eventually, handle, photo_bytes

pytestmark = pytest.mark.integration

DISPATCHER = auth("dispatcher", "dispatcher-1")
HOTLINE = auth("hotline_operator", "operator-7")
SQUADS = {  # a corner of each squad's grid, and its leader
    "sq-ruhe": (113.598, 34.723),
    "sq-jianshelu": (113.628, 34.732),
    "sq-xushui": (113.505, 34.725),
}
CATEGORIES = ["street_vending", "storefront_overflow", "dust", "open_air_barbecue"]  # 24 working hours each
LIMIT_H = 24
MONTH = date(2026, 3, 1)
FIRST_DAY, LAST_DAY = date(2026, 2, 25), date(2026, 3, 31)


def _calendar() -> WorkCalendar:
    return calendar_of(national_days())


def leader(squad: str) -> tuple[str, str, str]:
    return ("squad_leader", f"{squad}-leader", squad)


# -- the month's plan ---------------------------------------------------------------------------------


@dataclass
class Case:
    key: str
    at: datetime  # reported
    squad: str
    category: str
    lon: float
    lat: float
    web: bool
    phone: bool
    fate: str
    rating: str | None = None
    rated_by: str | None = None  # reply | page | dispatcher
    reply: bool = False
    incident_id: str | None = None
    case_id: str | None = None
    token: str | None = None


@dataclass(order=True)
class Step:
    at: datetime
    order: int
    key: str = field(compare=False)
    action: str = field(compare=False)


FATES = (
    ["on_time"] * 9
    + ["late"] * 3
    + ["returned"] * 2
    + ["extended"] * 2
    + ["reworked"] * 2
    + ["suspended"]
    + ["suspended_resumed"]
    + ["open"] * 2
    + ["cancelled"]
    + ["rejected"]
)


def plan(cal: WorkCalendar, rng: random.Random) -> tuple[dict[str, Case], list[Step]]:
    cases: dict[str, Case] = {}
    steps: list[Step] = []
    spots = defaultdict(int)
    day, n = FIRST_DAY, 0
    fates = list(FATES)
    rng.shuffle(fates)
    while day <= LAST_DAY:
        if cal.is_working_day(day):
            for _ in range(rng.choice([1, 1, 2])):
                n += 1
                squad = rng.choice(list(SQUADS))
                spot = spots[squad] = spots[squad] + 1  # 330 m apart: never a 重复件 of another
                lon0, lat0 = SQUADS[squad]
                fate = fates[n % len(fates)]  # each fate, over and over
                web = fate == "rejected" or rng.random() < 0.3
                at = datetime.combine(day, time(rng.choice([9, 10, 11, 14, 15]), rng.choice([0, 20, 40])), BEIJING)
                c = Case(
                    key=f"c{n:02d}",
                    at=at.astimezone(UTC),
                    squad=squad,
                    category=rng.choice(CATEGORIES),
                    lon=round(lon0 + 0.003 * (spot % 5), 6),
                    lat=round(lat0 + 0.003 * (spot // 5), 6),
                    web=web,
                    phone=not web and rng.random() < 0.75,
                    fate=fate,
                )
                cases[c.key] = c
                steps.extend(_steps(c, cal, rng))
        day += timedelta(days=1)
    dissatisfied = next(c for c in cases.values() if c.web and c.fate == "on_time")
    dissatisfied.rating, dissatisfied.rated_by = "dissatisfied", "page"
    closed = max(s.at for s in steps if s.key == dissatisfied.key and s.action == "check")
    steps += [
        Step(closed + timedelta(days=1), 0, dissatisfied.key, "rate"),
        Step(closed + timedelta(days=2), 0, dissatisfied.key, "handle"),
        Step(closed + timedelta(days=2, hours=1), 1, dissatisfied.key, "check"),
    ]
    return cases, sorted(steps)


def _steps(c: Case, cal: WorkCalendar, rng: random.Random) -> list[Step]:
    out = [Step(c.at, 0, c.key, "report")]
    dispatched = c.at
    if c.web:
        dispatched = c.at + timedelta(hours=1)
        if c.fate == "rejected":
            return [*out, Step(dispatched, 0, c.key, "reject")]
        out += [Step(dispatched, 0, c.key, "verify"), Step(dispatched, 1, c.key, "file")]
    deadline = cal.add_working_hours(dispatched, LIMIT_H)

    def handle_and_check(at: datetime) -> None:
        out.extend([Step(at, 0, c.key, "handle"), Step(at + timedelta(hours=1), 1, c.key, "check")])

    match c.fate:
        case "on_time":
            handle_and_check(cal.add_working_hours(dispatched, rng.uniform(1, LIMIT_H - 3)))
        case "late":
            handle_and_check(cal.add_working_hours(deadline, rng.uniform(2, 30)))
        case "returned":
            out += [
                Step(dispatched + timedelta(minutes=30), 0, c.key, "return"),
                Step(dispatched + timedelta(hours=1), 0, c.key, "dispatch_by_hand"),
            ]
            handle_and_check(cal.add_working_hours(dispatched, rng.uniform(4, 30)))
        case "extended":
            out.append(Step(dispatched + timedelta(hours=2), 0, c.key, "extend"))
            handle_and_check(cal.add_working_hours(deadline, rng.choice([3, 20])))  # 14 h more: one on time
        case "reworked":
            first = cal.add_working_hours(dispatched, 3)
            out += [Step(first, 0, c.key, "handle"), Step(first + timedelta(hours=1), 1, c.key, "rework")]
            handle_and_check(first + timedelta(days=1))
        case "suspended":
            out.append(Step(dispatched + timedelta(hours=2), 0, c.key, "suspend"))
        case "suspended_resumed":
            out += [
                Step(dispatched + timedelta(hours=2), 0, c.key, "suspend"),
                Step(dispatched + timedelta(days=3), 0, c.key, "resume"),
            ]
            handle_and_check(dispatched + timedelta(days=3, hours=2))
        case "cancelled":
            out.append(Step(dispatched + timedelta(hours=3), 0, c.key, "cancel"))
    closing = [s.at for s in out if s.action == "check"]
    if closing:
        after = closing[-1] + timedelta(days=1)
        if c.web:
            if rng.random() < 0.6:
                c.rating, c.rated_by = rng.choice(["satisfied", "basically_satisfied"]), "page"
                out.append(Step(after, 0, c.key, "rate"))
        elif c.phone:
            c.reply = rng.random() < 0.8
            if c.reply:
                if rng.random() < 0.6:
                    c.rating, c.rated_by = rng.choice(["satisfied", "satisfied", "basically_satisfied"]), "reply"
                out.append(Step(after, 0, c.key, "reply"))
        elif rng.random() < 0.5:
            c.rating, c.rated_by = rng.choice(["satisfied", "dissatisfied"]), "dispatcher"
            out.append(Step(after, 0, c.key, "evaluate"))
    return out


# -- driving it through the services -----------------------------------------------------------------


@pytest.fixture
async def platform(database_url, tmp_path):
    clock = FixedClock(datetime.combine(FIRST_DAY, time(8), BEIJING).astimezone(UTC))
    transport = InMemoryTransport()
    services = build_services(
        database_url,
        transport,
        clock=clock,
        relay_poll_interval_s=0.05,
        object_store_url=f"file:{tmp_path}/objects",
        tick_interval_s=3600,
        ranking_min_cases=3,
        ranking_publish_delay_h=24 * 20,
    )
    engine = create_async_engine(database_url)
    async with running(services, build_app(services)) as client:
        client.clock, client.engine = clock, engine
        client.svc = {s.name: s for s in services}
        yield client
    await engine.dispose()


async def quiet(client) -> None:
    """Every event written has been handled by every service that subscribes to it (an outbox row
    is marked published only then), twice in a row."""

    async def unpublished():
        async with client.engine.connect() as conn:
            return await conn.scalar(
                text(
                    "SELECT "
                    + " + ".join(
                        f"(SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL)"
                        for s in ("intake", "dispatch", "cases", "ledger", "reporting")
                    )
                )
            )

    for _ in range(2):
        await eventually(unpublished, lambda n: n == 0, timeout_s=30, what="every event handled")


async def _ok(r, what: str):
    assert r.status_code in (200, 201, 204), f"{what}: {r.status_code} {r.text}"
    return r.json() if r.content else None


async def _assignment(client, case_id: str) -> dict:
    rows = (await client.get("/v1/assignments?limit=500", headers=DISPATCHER)).json()
    return next(a for a in rows if a["case_id"] == case_id and a["current"])


async def run_step(client, c: Case, action: str) -> None:
    match action:
        case "report" if c.web:
            r = await client.post(
                "/public/v1/reports",
                data={"category": c.category, "description": f"{c.key} 网上反映", "lon": str(c.lon), "lat": str(c.lat)},
                files=[("photos", ("p.jpg", photo_bytes(), "image/jpeg"))],
            )
            body = await _ok(r, "web report")
            c.incident_id, c.token = body["reference"], body["token"]
        case "report":
            body = {
                "category": c.category,
                "location": {"lon": c.lon, "lat": c.lat},
                "description": f"{c.key} 12319 来电反映",
            }
            if c.phone:
                body["caller"] = {"name": "市民", "phone": f"1381234{int(c.key[1:]):04d}"}
            c.incident_id = (await _ok(await client.post("/v1/incidents", json=body, headers=HOTLINE), "report"))["id"]
        case "verify":
            await _ok(
                await client.post(f"/v1/cases/{c.case_id}/verify", json={"confirmed": True}, headers=auth(*MONITOR)),
                "verify",
            )
        case "file":
            await _ok(await client.post(f"/v1/cases/{c.case_id}/file", json={}, headers=DISPATCHER), "file")
        case "reject":
            await _ok(
                await client.post(
                    f"/v1/cases/{c.case_id}/reject", json={"reason": "不属于城管职责"}, headers=DISPATCHER
                ),
                "reject",
            )
        case "return":
            a = await _assignment(client, c.case_id)
            await _ok(
                await client.post(
                    f"/v1/assignments/{a['id']}/return",
                    json={"reason": "wrong_jurisdiction"},
                    headers=auth(*leader(a["squad_id"])),
                ),
                "return",
            )
        case "dispatch_by_hand":
            await _ok(
                await client.post(f"/v1/queue/{c.case_id}/dispatch", json={"squad_id": c.squad}, headers=DISPATCHER),
                "dispatch by hand",
            )
        case "extend":
            a = await _assignment(client, c.case_id)
            await _ok(
                await client.post(
                    f"/v1/assignments/{a['id']}/extend",
                    json={"hours": 14, "reason": "需协调产权单位"},
                    headers=DISPATCHER,
                ),
                "extend",
            )
        case "handle":
            case = (await client.get(f"/v1/cases/{c.case_id}", headers=DISPATCHER)).json()
            await _ok(await handle(client, c.case_id, who=leader(case["squad"]["id"])), "handle")
        case "check":
            await _ok(
                await client.post(f"/v1/cases/{c.case_id}/check", json={"passed": True}, headers=auth(*MONITOR)),
                "check",
            )
        case "rework":
            await _ok(
                await client.post(
                    f"/v1/cases/{c.case_id}/check", json={"passed": False, "reason": "仍未整改"}, headers=auth(*MONITOR)
                ),
                "rework",
            )
        case "suspend" | "resume" | "cancel":
            await _ok(
                await client.post(
                    f"/v1/cases/{c.case_id}/{action}", json={"reason": "等待规划部门认定"}, headers=DISPATCHER
                ),
                action,
            )
        case "reply":
            body = {"how": "callback", **({"rating": c.rating} if c.rating else {})}
            await _ok(await client.post(f"/v1/incidents/{c.incident_id}/reply", json=body, headers=HOTLINE), "reply")
        case "rate":
            await _ok(await client.post(f"/public/v1/reports/{c.token}/rating", json={"rating": c.rating}), "rating")
        case "evaluate":
            await _ok(
                await client.post(f"/v1/cases/{c.case_id}/evaluate", json={"rating": c.rating}, headers=DISPATCHER),
                "evaluate",
            )
        case _:
            raise AssertionError(action)


async def drive(client, cases: dict[str, Case], steps: list[Step]) -> None:
    by_time: dict[datetime, list[Step]] = defaultdict(list)
    for s in steps:
        by_time[s.at].append(s)
    for at in sorted(by_time):
        client.clock.advance(at - client.clock.now())
        for s in sorted(by_time[at]):
            c = cases[s.key]
            await run_step(client, c, s.action)
            if s.action == "report":
                await quiet(client)
                async with client.engine.connect() as conn:
                    c.case_id = await conn.scalar(
                        text("SELECT case_id FROM intake.incidents WHERE id = :i"), {"i": c.incident_id}
                    )
                assert c.case_id, f"{c.key}: no case opened"
        await quiet(client)
        await client.svc["dispatch"].tick()  # 逐级负责制: the overdue climb the chain
        await quiet(client)


# -- the same indicators, from the services' own records ---------------------------------------------


@dataclass
class Truth:
    squad: str
    grid: str
    category: str
    channel: str
    urgency: str
    filed_at: datetime | None
    rejected_at: datetime | None
    ended: bool
    dispatched_at: datetime | None
    deadline_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    returned: bool
    extended: bool
    reworked: bool
    escalated: bool
    pauses: list[tuple[datetime, str]]
    rating: str | None
    rated_at: datetime | None
    contact: bool
    replied: bool
    hours: float | None

    def suspended_at(self, moment: datetime) -> bool:
        state = False
        for at, action in self.pauses:
            if at < moment:
                state = action == "suspend"
        return state


async def truths(engine) -> tuple[list[dict], dict[str, Truth]]:
    async with engine.connect() as conn:
        reports = [
            dict(r._mapping)
            for r in await conn.execute(
                text(
                    "SELECT id, reported_at, channel, category_code, urgency, caller_phone, case_id, replied_at, "
                    "duplicate_of "
                    "FROM intake.incidents"
                )
            )
        ]
        cases = [
            dict(r._mapping)
            for r in await conn.execute(
                text(
                    "SELECT id, incident_id, squad_id, grid_id, category_code, channel, urgency, status "
                    "FROM cases.cases"
                )
            )
        ]
        trail = defaultdict(list)
        for r in await conn.execute(
            text("SELECT case_id, at, action, to_status, data FROM cases.case_trail ORDER BY case_id, seq")
        ):
            trail[r.case_id].append(r)
        assignments = defaultdict(list)
        for r in await conn.execute(
            text("SELECT case_id, assigned_at, deadline_at, extensions, returned_at FROM dispatch.assignments")
        ):
            assignments[r.case_id].append(r)
        escalated = {
            r[0]
            for r in await conn.execute(
                text("SELECT DISTINCT case_id FROM dispatch.escalations WHERE kind = 'overdue'")
            )
        }
        days = (await conn.execute(text("SELECT day, kind, name FROM dispatch.calendar_days"))).all()
    calendar = calendar_of(with_corrections(national_days(), [tuple(d) for d in days]))
    by_incident = {r["id"]: r for r in reports}
    out = {}
    for c in cases:
        steps = trail[c["id"]]
        ats = lambda *actions: [s.at for s in steps if s.action in actions]  # noqa: E731
        filed = [
            s.at
            for s in steps
            if s.action == "file" or (s.action == "open" and s.to_status not in ("reported", "verified"))
        ]
        mine = sorted(assignments[c["id"]], key=lambda a: a.assigned_at)
        closed = c["status"] in ("closed", "evaluated")
        evaluations = [s for s in steps if s.action == "evaluate"]
        report = by_incident[c["incident_id"]]
        dispatched = mine[0].assigned_at if mine else None
        handled = min(ats("handle"), default=None)
        out[c["id"]] = Truth(
            squad=c["squad_id"] or "",
            grid=c["grid_id"] or "",
            category=c["category_code"],
            channel=c["channel"],
            urgency=c["urgency"],
            filed_at=min(filed, default=None),
            rejected_at=min(ats("reject"), default=None),
            ended=bool(ats("cancel", "merge", "split")),
            dispatched_at=dispatched,
            deadline_at=mine[-1].deadline_at if mine else None,
            handled_at=handled,
            closed_at=[s.at for s in steps if s.action == "check" and s.to_status == "closed"][-1] if closed else None,
            returned=any(a.returned_at for a in mine),
            extended=sum(a.extensions for a in mine) > 0,
            reworked=bool(ats("rework")),
            escalated=c["id"] in escalated,
            pauses=[(s.at, s.action) for s in steps if s.action in ("suspend", "resume")],
            rating=evaluations[-1].data.get("rating") if evaluations else None,
            rated_at=evaluations[-1].at if evaluations else None,
            contact=bool(report["caller_phone"]) or report["channel"] in ("web", "open311"),
            replied=report["replied_at"] is not None,
            hours=calendar.working_hours_between(dispatched, handled) if dispatched and handled else None,
        )
    return reports, out


def independent_counts(
    reports: list[dict], cases: dict[str, Truth], a: datetime, b: datetime, by: str | None
) -> dict[str, Counts]:
    """Each measure as `domain.Counts` defines it in words, over the services' own records."""
    out: dict[str, Counts] = defaultdict(Counts)
    inside = lambda t: t is not None and a <= t < b  # noqa: E731
    attr = {"squad": "squad", "grid": "grid", "category": "category", "channel": "channel", "urgency": "urgency"}
    for r in reports:
        if inside(r["reported_at"]):
            case = cases.get(r["case_id"])
            if by is None:
                value = ""
            elif case is not None:
                value = getattr(case, attr[by])
            else:
                value = r.get({"category": "category_code"}.get(by, by), "") or ""
            out[value].received += 1
    for t in cases.values():
        c = out["" if by is None else getattr(t, attr[by])]
        c.filed += inside(t.filed_at)
        c.rejected += inside(t.rejected_at)
        if inside(t.rated_at):
            c.rated += 1
            c.satisfied += t.rating == "satisfied"
            c.basically_satisfied += t.rating == "basically_satisfied"
            c.dissatisfied += t.rating == "dissatisfied"
        if t.ended or t.rejected_at is not None:
            continue
        due_close = inside(t.deadline_at) or inside(t.closed_at)
        due_handle = t.dispatched_at is not None and (inside(t.deadline_at) or inside(t.handled_at))
        c.dispatched += inside(t.dispatched_at)
        c.returned += inside(t.dispatched_at) and t.returned
        c.due_close += due_close
        c.closed += inside(t.closed_at)
        c.closed_on_time += inside(t.closed_at) and t.closed_at <= t.deadline_at
        c.suspended += inside(t.deadline_at) and t.suspended_at(b)
        c.due_handle += due_handle
        c.handled += inside(t.handled_at)
        c.handled_on_time += inside(t.handled_at) and t.handled_at <= t.deadline_at
        c.reworked += due_close and t.reworked
        c.extended += due_handle and t.extended
        c.escalated += due_handle and t.escalated
        c.overdue_open += (
            t.dispatched_at is not None
            and t.dispatched_at < b
            and t.deadline_at < b
            and (t.handled_at is None or t.handled_at >= b)
        )
        c.with_contact += inside(t.closed_at) and t.contact
        c.replied += inside(t.closed_at) and t.contact and t.replied
        if inside(t.handled_at) and t.hours is not None:
            c.handling_hours.append(t.hours)
    return _meaningful(out)


def _meaningful(per_value: dict[str, Counts]) -> dict[str, Counts]:
    return {
        k: v
        for k, v in per_value.items()
        if any(
            getattr(v, f)
            for f in ("received", "filed", "rejected", "rated", "dispatched", "due_close", "due_handle", "overdue_open")
        )
    }


async def test_every_indicator_equals_the_services_own_records(platform):
    cases, steps = plan(_calendar(), random.Random(2026))
    fates = {c.fate for c in cases.values()}
    assert fates >= {
        "on_time",
        "late",
        "returned",
        "extended",
        "reworked",
        "suspended",
        "suspended_resumed",
        "open",
        "cancelled",
        "rejected",
    }, fates
    await drive(platform, cases, steps)
    # a month and more later: everything planned has happened, then reporting sums its months
    platform.clock.advance(datetime(2026, 4, 25, 2, tzinfo=UTC) - platform.clock.now())
    await quiet(platform)
    reporting = platform.svc["reporting"]
    await reporting.refresh(settle_s=30)

    reports, truth = await truths(platform.engine)
    assert all(r["duplicate_of"] is None for r in reports)
    # the month saw each kind of step the indicators count
    march_a = datetime.combine(MONTH, time(0), BEIJING)
    march_b = datetime.combine(date(2026, 4, 1), time(0), BEIJING)
    march = independent_counts(reports, truth, march_a, march_b, None)[""]
    for name in (
        "returned",
        "extended",
        "reworked",
        "suspended",
        "overdue_open",
        "escalated",
        "rejected",
        "rated",
        "dissatisfied",
        "replied",
    ):
        assert getattr(march, name) > 0, (name, march)
    assert 0 < march.handled_on_time < march.handled and 0 < march.closed_on_time < march.closed
    assert march.replied < march.with_contact

    month = period_of(PeriodKind.month, MONTH)
    inside = period_of(PeriodKind.range, date(2026, 3, 9), date(2026, 3, 20))
    async with reporting.session_factory() as session:
        assert await summed(session, inside)  # so the range reads the day tables
        for period in (month, inside):
            a = datetime.combine(period.start, time(0), BEIJING)
            b = datetime.combine(period.end, time(0), BEIJING)
            for by in (None, "squad", "grid", "category", "channel"):
                theirs = independent_counts(reports, truth, a, b, by)
                # what the API reads (the summed tables: handling hours in quarter-hour buckets) and,
                # for the range, the rows themselves (exact)
                readings = [("tables", await reporting_counts(session, period, by))]
                if not period.whole_months:
                    readings.append(("rows", await direct_counts(session, period, by)))
                for source, counted in readings:
                    ours = _meaningful(counted)
                    assert set(ours) == set(theirs), (period.label, by, source)
                    for value in theirs:
                        mine, truth_v = indicators(ours[value]), indicators(theirs[value])
                        for i in INDICATORS:
                            where = (period.label, by, source, value, i.key)
                            if i.key.startswith("handling_") and source == "tables":  # quarter-hour buckets
                                assert (mine[i.key] is None) == (truth_v[i.key] is None), where
                                if mine[i.key] is not None:
                                    assert abs(mine[i.key] - truth_v[i.key]) <= 0.25, (
                                        where,
                                        mine[i.key],
                                        truth_v[i.key],
                                    )
                            else:
                                assert mine[i.key] == truth_v[i.key], (where, mine[i.key], truth_v[i.key])

    # the API gives the same month, by squad
    r = await platform.get(
        "/v1/reports/indicators?period=month&at=2026-03&by=squad", headers=auth("supervisor", "sup-1")
    )
    assert r.status_code == 200, r.text
    api_rows = {row["value"]: row["indicators"] for row in r.json()["rows"]}
    by_squad = independent_counts(reports, truth, march_a, march_b, "squad")
    for squad, c in by_squad.items():
        if squad:
            assert api_rows[squad]["disposal_rate"] == indicators(c)["disposal_rate"], squad

    # the month's ranking, published once it closed, scores each squad on the same figures
    await reporting.publish_rankings()
    async with reporting.session_factory() as session:
        published = {
            row.squad_id: row for row in (await session.exec(select(Ranking).where(Ranking.month == MONTH))).all()
        }
    for squad, c in by_squad.items():
        if squad:
            assert published[squad].score == score(indicators(c, OnTime.due), DEFAULT_WEIGHTS), squad
            assert published[squad].cases == c.due_handle
