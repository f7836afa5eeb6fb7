"""The registers' figures by grid and for the district (what LedgerFiguresReported tells
reporting), the flyer numbers tracked, and the district's grids as ledger knows them."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from common.messaging.contracts import LedgerFigures
from ledger.domain.catering import CleaningRule
from ledger.domain.dogs import IN_FORCE, DogRules
from ledger.domain.letters import LetterRule, LetterStatus, status
from ledger.queries.catering import catering_places
from ledger.queries.frontage import DISTRICT, current_letters
from ledger.tables import (
    DesignatedPoint,
    DistrictGrid,
    DogLicence,
    FlyerNumber,
    HardshipRecord,
    Merchant,
    SignRecord,
    Stall,
    Stray,
)


@dataclass
class _Area:
    colours: Counter = field(default_factory=Counter)
    catering: int = 0
    installed: int = 0
    below: int = 0
    overdue: int = 0
    letters: Counter = field(default_factory=Counter)
    signs: int = 0
    problems: int = 0
    fixed: int = 0
    points: Counter = field(default_factory=Counter)
    stalls: int = 0
    held: int = 0
    assisted: int = 0
    flyers: Counter = field(default_factory=Counter)
    fines: int = 0
    dogs: int = 0
    dogs_suspended: int = 0
    dogs_overdue: int = 0
    shelter: int = 0


async def figures(
    session,
    today: date,
    letter_rule: LetterRule,
    cleaning_rule: CleaningRule,
    dog_rules: DogRules | None = None,
    shelter_capacity: int = 0,
) -> dict[str, LedgerFigures]:
    """The registers' figures for the district and each grid (a merchant without a grid counts
    for the district only)."""
    areas: dict[str, _Area] = defaultdict(_Area)

    def both(grid_id):
        return [DISTRICT] + ([grid_id] if grid_id else [])

    for grid_id, colour, n in (
        await session.execute(
            sa_select(col(Merchant.grid_id), col(Merchant.colour), func.count())
            .where(col(Merchant.closed).is_(False))
            .group_by(col(Merchant.grid_id), col(Merchant.colour))
        )
    ).all():
        for a in both(grid_id):
            areas[a].colours[colour] += n
    for place in await catering_places(session, today, cleaning_rule):
        for a in both(place.merchant.grid_id):
            area = areas[a]
            area.catering += 1
            area.installed += place.purifier is not None
            area.below += place.below_required
            area.overdue += place.cleaning_overdue
    letters = await current_letters(session)
    for merchant_id, grid_id in (
        await session.exec(
            select(col(Merchant.id), col(Merchant.grid_id)).where(
                col(Merchant.closed).is_(False), col(Merchant.id).in_(list(letters))
            )
        )
    ).all():
        s = status(letters[merchant_id].valid_until, today, letter_rule)
        for a in both(grid_id):
            areas[a].letters[s] += 1
    for grid_id, problems, fixed in (
        await session.execute(
            sa_select(
                col(Merchant.grid_id),
                func.jsonb_array_length(col(SignRecord.problems)) > 0,
                col(SignRecord.fixed_at).is_not(None),
            ).join(Merchant, col(Merchant.id) == col(SignRecord.merchant_id))
        )
    ).all():
        for a in both(grid_id):
            areas[a].signs += 1
            areas[a].problems += bool(problems)
            areas[a].fixed += bool(problems and fixed)
    for grid_id, kind, n in (
        await session.execute(
            sa_select(col(DesignatedPoint.grid_id), col(DesignatedPoint.kind), func.count())
            .where(col(DesignatedPoint.status) == "approved")
            .group_by(col(DesignatedPoint.grid_id), col(DesignatedPoint.kind))
        )
    ).all():
        for a in both(grid_id):
            areas[a].points[kind] += n
    for grid_id, held in (
        await session.execute(
            sa_select(col(DesignatedPoint.grid_id), col(Stall.merchant_id).is_not(None))
            .join(DesignatedPoint, col(DesignatedPoint.id) == col(Stall.point_id))
            .where(col(DesignatedPoint.status) == "approved")
        )
    ).all():
        for a in both(grid_id):
            areas[a].stalls += 1
            areas[a].held += bool(held)
    for (grid_id,) in (
        await session.execute(
            sa_select(col(Merchant.grid_id))
            .join(HardshipRecord, col(HardshipRecord.merchant_id) == col(Merchant.id))
            .where(col(HardshipRecord.active), col(Merchant.closed).is_(False))
        )
    ).all():
        for a in both(grid_id):
            areas[a].assisted += 1
    for grid_id, flyer_status, n, fines in (
        await session.execute(
            sa_select(
                col(FlyerNumber.grid_id), col(FlyerNumber.status), func.count(), func.sum(col(FlyerNumber.fine_fen))
            ).group_by(col(FlyerNumber.grid_id), col(FlyerNumber.status))
        )
    ).all():
        for a in both(grid_id):
            areas[a].flyers[flyer_status] += n
            areas[a].fines += int(fines or 0)
    for grid_id, licence_status, due_on in (
        await session.execute(
            sa_select(col(DogLicence.grid_id), col(DogLicence.status), col(DogLicence.inspection_due_on)).where(
                col(DogLicence.status).in_([s.value for s in IN_FORCE])
            )
        )
    ).all():
        for a in both(grid_id):
            areas[a].dogs += 1
            areas[a].dogs_suspended += licence_status == "suspended"
            areas[a].dogs_overdue += bool(dog_rules and today > due_on)
    areas[DISTRICT].shelter += (
        await session.execute(sa_select(func.count()).select_from(Stray).where(col(Stray.status) == "sheltered"))
    ).scalar_one()
    areas.setdefault(DISTRICT, _Area())
    return {
        name: LedgerFigures(
            merchants=sum(a.colours.values()),
            by_colour={c: a.colours.get(c, 0) for c in ("blue", "yellow", "orange", "red")},
            catering_places=a.catering,
            purifiers_installed=a.installed,
            purifiers_below_required=a.below,
            cleaning_overdue=a.overdue,
            letters_valid=a.letters[LetterStatus.valid] + a.letters[LetterStatus.renewal_due],
            letters_due_for_renewal=a.letters[LetterStatus.renewal_due],
            letters_expired=a.letters[LetterStatus.expired],
            sign_records=a.signs,
            sign_problems=a.problems,
            sign_problems_fixed=a.fixed,
            points_approved=dict(a.points),
            stalls=a.stalls,
            stalls_held=a.held,
            assisted=a.assisted,
            flyer_numbers={s: a.flyers.get(s, 0) for s in ("tracked", "stopped", "fined")},
            flyer_fines_fen=a.fines,
            dogs_licensed=a.dogs,
            dogs_suspended=a.dogs_suspended,
            dog_inspections_overdue=a.dogs_overdue,
            shelter_in_use=a.shelter,
            shelter_capacity=shelter_capacity if name == DISTRICT else 0,
        )
        for name, a in areas.items()
    }


async def flyer_numbers(session, status: str | None = None) -> list[FlyerNumber]:
    query = select(FlyerNumber).order_by(col(FlyerNumber.first_seen_at).desc())
    if status:
        query = query.where(FlyerNumber.status == status)
    return list((await session.exec(query)).all())


async def flyer_number(session, flyer_id: str) -> FlyerNumber | None:
    return await session.get(FlyerNumber, flyer_id)


async def grids(session) -> list[DistrictGrid]:
    return list((await session.exec(select(DistrictGrid).order_by(col(DistrictGrid.id)))).all())
