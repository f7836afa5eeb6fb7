"""考评, read: a scheme's offices and squads over a period, scored from the rows, and the tables published."""

from __future__ import annotations

from sqlmodel import col, select

from common.clock import bureau_midnight
from reporting.domain.assessment import Deductions, Scheme, UnitFigures, deduct, rank_units
from reporting.domain.indicators import Counts, OnTime, indicators
from reporting.domain.periods import Period
from reporting.domain.ranking import score
from reporting.queries.counts import apart, counts
from reporting.tables import AssessmentRow, GridInfo, NoticeRow, SquadInfo


async def assess(
    session,
    scheme: Scheme,
    period: Period,
    rule: OnTime,
    weights: dict[str, float],
    deductions: Deductions,
    session_factory=None,
) -> list[UnitFigures]:
    """Every office and squad: its indicators over its cases of the scheme's categories, its
    责改通知书 of the period, its score and its rank. With `session_factory`, the squads' and the
    offices' counts are read at once, apart (a preview someone waits for)."""
    by_kind = ("squad", "office")
    reads = [
        lambda s, by=by: counts(s, period, by, categories=scheme.categories, exclude=scheme.exclude) for by in by_kind
    ]
    per = await apart(session_factory, reads) if session_factory else [await read(session) for read in reads]
    counted = {by: {k: v for k, v in figures.items() if k} for by, figures in zip(by_kind, per, strict=True)}
    names = {
        "squad": {s.squad_id: s.name for s in (await session.exec(select(SquadInfo))).all()},
        "office": {
            g.office_id: g.office_name or g.office_id
            for g in (await session.exec(select(GridInfo).where(col(GridInfo.office_id).is_not(None)))).all()
            if g.office_id
        },
    }
    a, b = bureau_midnight(period.start), bureau_midnight(period.end)
    notices = (
        await session.exec(select(NoticeRow).where(col(NoticeRow.issued_at) >= a, col(NoticeRow.issued_at) < b))
    ).all()
    units = []
    for kind in ("office", "squad"):
        for unit_id in sorted({*names[kind], *counted[kind]}):
            c = counted[kind].get(unit_id, Counts())
            values = indicators(c, rule)
            mine = [n for n in notices if n.unit_kind == kind and n.unit_id == unit_id]
            late = sum(
                1
                for n in mine
                if (n.answered_at is not None and n.due_at is not None and n.answered_at > n.due_at)
                or (n.answered_at is None and n.due_at is not None and n.due_at < b)
            )
            units.append(
                UnitFigures(
                    unit_kind=kind,
                    unit_id=unit_id,
                    unit_name=names[kind].get(unit_id, unit_id),
                    values=values,
                    cases=c.due_handle,
                    notices=len(mine),
                    notices_late=late,
                    score=deduct(score(values, weights), len(mine), late, deductions),
                )
            )
    return rank_units(units, scheme.min_cases)


async def published(session, scheme: str, start=None) -> list[AssessmentRow]:
    query = select(AssessmentRow).where(AssessmentRow.scheme == scheme)
    if start is not None:
        query = query.where(AssessmentRow.start == start)
    return list((await session.exec(query.order_by(col(AssessmentRow.start).desc()))).all())
