"""`GET /v1/reports/campaigns/{id}`: a campaign's figures: its cases and the bureau's indicators over
them, what its operations and the field app's 劝导 achieved against its targets, by squad, by office
and day by day; and its 示范创建 sections with their acceptance."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from common.audiences import ReportReader
from common.clock import bureau_date
from common.refusals import NotFound
from common.vocabulary import CAMPAIGN_COUNTS, CAMPAIGN_KIND_NAMES
from reporting.api.deps import PeriodDep, ServiceDep
from reporting.domain.campaigns import ACHIEVED, progress
from reporting.domain.indicators import indicators
from reporting.domain.periods import Period, PeriodKind
from reporting.queries import campaigns as q
from reporting.queries import facts
from reporting.queries.counts import apart, direct_counts, total

router = APIRouter(tags=["reporting 统计"])


class Effort(BaseModel):
    operations: int = 0
    officer_trips: int = 0
    vehicle_trips: int = 0
    counts: dict[str, float] = Field(default_factory=dict, description=", ".join(CAMPAIGN_COUNTS))
    persuaded_on_app: int = Field(0, description="劝导 recorded on the field app that fall in the campaign")

    def add(self, op) -> None:
        self.operations += 1
        self.officer_trips += op.officer_trips
        self.vehicle_trips += op.vehicle_trips
        for k, v in op.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v


class SquadFigures(Effort):
    squad_id: str
    name: str
    cases: int = 0
    indicators: dict[str, float | int | None] = Field(default_factory=dict)


class OfficeFigures(Effort):
    office: str = Field(description="办事处; '' when not known")
    cases: int = 0


class DayFigures(Effort):
    day: date
    cases: int = Field(0, description="its cases reported that day")
    closed: int = Field(0, description="of those, closed since")


class CampaignReport(BaseModel):
    id: str
    name: str
    kind: str
    kind_name: str
    starts_on: date
    ends_on: date
    status: str
    until: date = Field(description="the figures run from starts_on to this day (exclusive): today or the end")
    cases: int = Field(description="the cases that fall in the campaign")
    indicators: dict[str, float | int | None] = Field(description="the bureau's indicators over its cases")
    achieved: dict[str, float] = Field(description="what it achieved and counted: " + ", ".join(ACHIEVED))
    targets: list[dict] = Field(description="each target: its name, label, count or rate, target, achieved, met")
    by_squad: list[SquadFigures]
    by_office: list[OfficeFigures]
    days: list[DayFigures]
    sections: list[dict]


async def campaign_report(service, campaign_id: str) -> CampaignReport:
    async with service.session_factory() as session:
        info = await q.campaign(session, campaign_id)
        if info is None:
            raise NotFound(f"unknown campaign {campaign_id}")
        until = min(info.ends_on, bureau_date(service.clock.now())) + timedelta(days=1)
        until = max(until, info.starts_on)
        ops = await q.operations(session, info.campaign_id)
        app = await q.persuasions(session, info.campaign_id)
        names = await facts.squad_names(session)
    # its cases read three ways at once, each on a connection of its own
    per_squad, (n_cases, cases_by_squad, cases_by_office), days_of_cases = await apart(
        service.session_factory,
        [
            lambda s: direct_counts(
                s, Period(PeriodKind.range, info.starts_on, until), "squad", campaign=info.campaign_id
            ),
            lambda s: q.cases_by(s, info.campaign_id),
            lambda s: q.case_days(s, info.campaign_id),
        ],
    )
    rule = service.settings.on_time_denominator
    state = info.state
    squads: dict[str, SquadFigures] = {}
    offices: dict[str, OfficeFigures] = {}
    days: dict[date, DayFigures] = {}

    def squad(sid: str) -> SquadFigures:
        return squads.setdefault(sid, SquadFigures(squad_id=sid, name=names.get(sid, sid or "未派遣")))

    def office(name: str) -> OfficeFigures:
        return offices.setdefault(name, OfficeFigures(office=name))

    def day(d: date) -> DayFigures:
        return days.setdefault(d, DayFigures(day=d))

    whole = Effort()
    for op in ops:
        for figures in (whole, squad(op.squad_id or ""), office(op.office_name or ""), day(op.day)):
            figures.add(op)
    for p in app:
        for figures in (whole, squad(p.squad_id), day(p.day)):
            figures.persuaded_on_app += p.persuasions
    for sid, n in cases_by_squad.items():
        squad(sid).cases = n
    for sid, c in per_squad.items():
        squad(sid).indicators = indicators(c, rule)
    for name, n in cases_by_office.items():
        office(name).cases = n
    for d, n in days_of_cases.items():
        day(d).cases, day(d).closed = n["cases"], n["closed"]
    sections = state.get("sections") or []
    achieved: dict[str, float] = defaultdict(float)
    achieved.update(whole.counts)
    achieved["persuaded"] += whole.persuaded_on_app
    achieved.update(
        operations=whole.operations,
        officer_trips=whole.officer_trips,
        vehicle_trips=whole.vehicle_trips,
        cases=n_cases,
        sections_accepted=sum(1 for s in sections if s.get("accepted") is True),
    )
    overall = indicators(total(per_squad), rule)
    rates = {k: v for k, v in overall.items() if isinstance(v, float) or v is None}
    return CampaignReport(
        id=info.campaign_id,
        name=info.name,
        kind=info.kind,
        kind_name=CAMPAIGN_KIND_NAMES.get(info.kind, info.kind),
        starts_on=info.starts_on,
        ends_on=info.ends_on,
        status=info.status,
        until=until,
        cases=n_cases,
        indicators=overall,
        achieved={k: achieved.get(k, 0) for k in ACHIEVED},
        targets=[p.as_dict() for p in progress(state.get("targets") or {}, achieved, rates)],
        by_squad=sorted(squads.values(), key=lambda s: (s.squad_id == "", s.squad_id)),
        by_office=sorted(offices.values(), key=lambda o: (o.office == "", o.office)),
        days=[days[d] for d in sorted(days)],
        sections=sections,
    )


@router.get("/v1/reports/campaigns", summary="the campaigns reporting holds, the latest first (a squad leader: theirs)")
async def campaign_list(principal: ReportReader, service: ServiceDep) -> list[dict]:
    async with service.session_factory() as session:
        rows = await q.campaigns_in(session, date(1970, 1, 1), date(2200, 1, 1))
    scope = principal.squad_scope
    return [
        {
            "id": c.campaign_id,
            "name": c.name,
            "kind": c.kind,
            "kind_name": CAMPAIGN_KIND_NAMES.get(c.kind, c.kind),
            "starts_on": c.starts_on,
            "ends_on": c.ends_on,
            "status": c.status,
        }
        for c in sorted(rows, key=lambda c: (c.status != "running", -c.starts_on.toordinal(), c.name))
        if scope is None or not c.state.get("squad_ids") or scope in c.state["squad_ids"]
    ]


@router.get(
    "/v1/reports/campaigns/{campaign_id}",
    response_model=CampaignReport,
    summary="专项整治: a campaign's cases and indicators, its operations and targets, by squad, office and day",
)
async def campaign_figures(campaign_id: str, principal: ReportReader, service: ServiceDep) -> CampaignReport:
    scope = principal.squad_scope
    if scope is not None:  # a squad leader: a campaign their squad takes part in (or every squad's)
        async with service.session_factory() as session:
            info = await q.campaign(session, campaign_id)
        taking_part = (info.state.get("squad_ids") or []) if info else []
        if taking_part and scope not in taking_part:
            raise NotFound(f"unknown campaign {campaign_id}")
    return await campaign_report(service, campaign_id)


class BuildingFigures(BaseModel):
    office: str = Field(description="办事处; '' when not known")
    found: int = Field(0, description="发现 in the period")
    stopped: int = Field(0, description="制止 in the period")
    ordered: int = Field(0, description="责令停止 or 限期拆除 in the period")
    demolished: int = Field(0, description="拆除 in the period")
    demolished_m2: float = Field(0, description="拆除面积 in the period (m²)")
    legalised: int = Field(0, description="补办手续 in the period")
    open: int = Field(0, description="in the register now, neither pulled down nor legalised")


class BuildingReport(BaseModel):
    period: str
    label: str
    start: date
    end: date = Field(description="exclusive")
    total: BuildingFigures
    by_office: list[BuildingFigures]


@router.get(
    "/v1/reports/illegal-buildings",
    response_model=BuildingReport,
    summary="违法建设: by 办事处, the buildings found, stopped, ordered, pulled down (and m²), legalised in a period",
)
async def building_figures(principal: ReportReader, service: ServiceDep, period: PeriodDep) -> BuildingReport:
    async with service.session_factory() as session:
        rows = await q.buildings(session)
    scope = principal.squad_scope
    offices: dict[str, BuildingFigures] = {}
    total = BuildingFigures(office="合计")

    def inside(day: str | None) -> bool:
        return day is not None and period.start.isoformat() <= day < period.end.isoformat()

    for b in rows:
        if scope is not None and b.squad_id != scope:
            continue
        figures = offices.setdefault(b.office_name or "", BuildingFigures(office=b.office_name or ""))
        for f in (figures, total):
            f.found += inside(b.reached.get("found"))
            f.stopped += inside(b.reached.get("stopped"))
            f.ordered += inside(b.reached.get("ordered_to_stop")) or inside(b.reached.get("demolition_ordered"))
            if inside(b.reached.get("demolished")):
                f.demolished += 1
                f.demolished_m2 += b.demolished_m2
            f.legalised += inside(b.reached.get("legalised"))
            f.open += b.stage not in ("demolished", "legalised")
    return BuildingReport(
        period=period.kind.value,
        label=period.label,
        start=period.start,
        end=period.end,
        total=total,
        by_office=sorted(offices.values(), key=lambda o: (o.office == "", o.office)),
    )
