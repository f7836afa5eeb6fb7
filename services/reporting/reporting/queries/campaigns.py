"""A campaign's figures from the read model: the campaign, its cases by squad, office and day, its
operations' effort and counts, and the field app's 劝导 in it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import text
from sqlmodel import col, select

from common.clock import bureau_day_sql
from common.vocabulary import CAMPAIGN_COUNTS, CAMPAIGN_EFFORT, CAMPAIGN_KIND_NAMES
from reporting.tables import BuildingRow, CampaignInfo, CampaignOperationRow, CampaignPersuasion


async def campaign(session, campaign_id: str) -> CampaignInfo | None:
    return await session.get(CampaignInfo, campaign_id) if len(campaign_id) <= 36 else None


async def campaigns_in(session, start: date, end: date) -> list[CampaignInfo]:
    """The campaigns whose period meets [start, end)."""
    query = select(CampaignInfo).where(col(CampaignInfo.starts_on) < end, col(CampaignInfo.ends_on) >= start)
    return list((await session.exec(query.order_by(col(CampaignInfo.starts_on), col(CampaignInfo.name)))).all())


async def operations(session, campaign_id: str, until: date | None = None) -> list[CampaignOperationRow]:
    query = select(CampaignOperationRow).where(CampaignOperationRow.campaign_id == campaign_id)
    if until is not None:
        query = query.where(col(CampaignOperationRow.day) < until)
    return list((await session.exec(query.order_by(col(CampaignOperationRow.day)))).all())


async def persuasions(session, campaign_id: str, until: date | None = None) -> list[CampaignPersuasion]:
    query = select(CampaignPersuasion).where(CampaignPersuasion.campaign_id == campaign_id)
    if until is not None:
        query = query.where(col(CampaignPersuasion.day) < until)
    return list((await session.exec(query)).all())


async def case_days(session, campaign_id: str) -> dict[date, dict[str, int]]:
    """The campaign's cases per day reported, with how many were closed so far."""
    rows = (
        await session.execute(
            text(f"""
            SELECT {bureau_day_sql("coalesce(c.opened_at, c.filed_at)")} AS day,
                   count(*), count(c.closed_at)
              FROM reporting.campaign_cases k JOIN reporting.cases c ON c.case_id = k.case_id
             WHERE k.campaign_id = :campaign GROUP BY 1 ORDER BY 1"""),
            {"campaign": campaign_id},
        )
    ).all()
    return {d: {"cases": int(n), "closed": int(closed)} for d, n, closed in rows if d is not None}


async def cases_by(session, campaign_id: str) -> tuple[int, dict[str, int], dict[str, int]]:
    """The campaign's cases: how many, per squad, per office (the office of the grid it was
    routed in)."""
    rows = (
        await session.execute(
            text("""
            SELECT coalesce(c.squad_id, ''), coalesce(g.office_name, ''), count(*)
              FROM reporting.campaign_cases k
              LEFT JOIN reporting.cases c ON c.case_id = k.case_id
              LEFT JOIN reporting.grids g ON g.grid_id = c.grid_id
             WHERE k.campaign_id = :campaign GROUP BY 1, 2"""),
            {"campaign": campaign_id},
        )
    ).all()
    squads: dict[str, int] = defaultdict(int)
    offices: dict[str, int] = defaultdict(int)
    total = 0
    for squad, office, n in rows:
        squads[squad] += int(n)
        offices[office] += int(n)
        total += int(n)
    return total, dict(squads), dict(offices)


async def month_summaries(session, start: date, end: date) -> list[dict]:
    """The campaigns that ran in [start, end): each one's effort in the range, its cases so far, and
    its count targets against what was achieved by the range's end (the circular's section)."""
    out = []
    for c in await campaigns_in(session, start, end):
        ops = await operations(session, c.campaign_id, until=end)
        app = await persuasions(session, c.campaign_id, until=end)
        in_range = [o for o in ops if o.day >= start]
        n_cases = (await cases_by(session, c.campaign_id))[0]
        so_far: dict[str, float] = defaultdict(float)
        for o in ops:
            for k, v in o.counts.items():
                so_far[k] += v
        so_far["persuaded"] += sum(p.persuasions for p in app)
        so_far.update(
            operations=len(ops),
            officer_trips=sum(o.officer_trips for o in ops),
            vehicle_trips=sum(o.vehicle_trips for o in ops),
            cases=n_cases,
            sections_accepted=sum(1 for s in c.state.get("sections") or [] if s.get("accepted") is True),
        )
        month_counts: dict[str, float] = defaultdict(float)
        for o in in_range:
            for k, v in o.counts.items():
                month_counts[k] += v
        month_counts["persuaded"] += sum(p.persuasions for p in app if p.day >= start)
        labels = {**CAMPAIGN_COUNTS, **CAMPAIGN_EFFORT}
        out.append(
            {
                "name": c.name,
                "kind_name": CAMPAIGN_KIND_NAMES.get(c.kind, c.kind),
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
                "cases": n_cases,
                "operations": len(in_range),
                "officer_trips": sum(o.officer_trips for o in in_range),
                "vehicle_trips": sum(o.vehicle_trips for o in in_range),
                "counts": {labels[k]: v for k, v in month_counts.items() if k in labels and v},
                "targets": [
                    (labels[k], so_far.get(k, 0), t) for k, t in (c.state.get("targets") or {}).items() if k in labels
                ],
            }
        )
    return out


async def buildings(session) -> list:
    """The register of illegal buildings as reporting holds it (small: a district's few thousand)."""
    return list((await session.exec(select(BuildingRow))).all())
