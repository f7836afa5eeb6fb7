"""What the register is asked (the read side): merchants by name, colour, grid or nearness;
letters due; catering places and their purifiers; a round's progress; and the registers'
figures by grid and for the district. Rules come from `ledger.domain`, never re-typed here."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Float, func, literal, or_, select as sa_select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import select

from common.messaging.contracts import LedgerFigures
from ledger.domain.catering import REQUIRED_EFFICIENCY, CleaningRule, below_required, cleaning_due, size_class
from ledger.domain.letters import LetterRule, LetterStatus, status
from ledger.domain.dogs import IN_FORCE, DogRules
from ledger.tables import (DesignatedPoint, DogLicence, FlyerNumber, HardshipRecord, Letter, Merchant, Purifier,
                           RoundVisit, SignRecord, Stall, Stray)

EARTH_M = 6_371_000.0
DISTRICT = "district"


@dataclass(frozen=True)
class Near:
    lon: float
    lat: float
    radius_m: float


def parse_near(value: str, radius_m: float) -> Near:
    try:
        lon, lat = (float(v) for v in value.split(","))
    except ValueError:
        raise ValueError(f"near={value!r}: give lon,lat (WGS84), e.g. near=113.6185,34.7432") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"near={value!r}: not a WGS84 position")
    return Near(lon, lat, radius_m)


def _distance_m(near: Near):
    """Great-circle distance in metres from `near` to a merchant (haversine, in SQL)."""
    rad = math.pi / 180
    dlat = (Merchant.lat - near.lat) * rad / 2
    dlon = (Merchant.lon - near.lon) * rad / 2
    a = func.power(func.sin(dlat), 2) + math.cos(near.lat * rad) * func.cos(Merchant.lat * rad) * func.power(
        func.sin(dlon), 2)
    return (2 * EARTH_M * func.asin(func.sqrt(func.least(a, literal(1.0, Float))))).label("distance_m")


@dataclass(frozen=True)
class MerchantQuery:
    q: str | None = None
    operator: str | None = None
    credit_code: str | None = None
    colour: str | None = None
    grid_id: str | None = None
    business_nature: str | None = None
    stall: bool | None = None
    closed: bool = False
    near: Near | None = None
    squad_scope: str | None = None
    limit: int = 50
    offset: int = 0


async def search_merchants(session, mq: MerchantQuery) -> list[tuple[Merchant, float | None]]:
    """Merchants matching every filter given; with `near`, those within the radius, nearest first
    (a bounding box on the (lat, lon) index first, then the exact distance)."""
    query = select(Merchant).where(Merchant.closed.is_(mq.closed))
    if mq.q:
        like = f"%{mq.q}%"
        query = query.where(or_(Merchant.name.ilike(like), Merchant.sign.ilike(like), Merchant.address.ilike(like)))
    if mq.operator:
        query = query.where(Merchant.operator.ilike(f"%{mq.operator}%"))
    if mq.credit_code:
        query = query.where(Merchant.credit_code == mq.credit_code.strip().upper())
    for column, value in ((Merchant.colour, mq.colour), (Merchant.grid_id, mq.grid_id),
                          (Merchant.business_nature, mq.business_nature), (Merchant.stall, mq.stall),
                          (Merchant.squad_id, mq.squad_scope)):
        if value is not None:
            query = query.where(column == value)
    if mq.near is None:
        rows = (await session.exec(query.order_by(Merchant.name, Merchant.id).limit(mq.limit).offset(mq.offset))).all()
        return [(m, None) for m in rows]
    n = mq.near
    dlat = n.radius_m / 110_540.0
    dlon = n.radius_m / (111_320.0 * max(math.cos(math.radians(n.lat)), 0.01))
    distance = _distance_m(n)
    boxed = query.add_columns(distance).where(
        Merchant.lat.between(n.lat - dlat, n.lat + dlat), Merchant.lon.between(n.lon - dlon, n.lon + dlon))
    inner = boxed.subquery()
    rows = (await session.execute(sa_select(inner).where(inner.c.distance_m <= n.radius_m)
                                  .order_by(inner.c.distance_m).limit(mq.limit).offset(mq.offset))).all()
    columns = Merchant.__table__.columns.keys()
    return [(Merchant(**{c: getattr(r, c) for c in columns}), round(r.distance_m, 1)) for r in rows]


async def current_letters(session, merchant_ids: list[str] | None = None) -> dict[str, Letter]:
    """Each merchant's letter in force: the one signed last."""
    query = select(Letter).ext(distinct_on(Letter.merchant_id)).order_by(Letter.merchant_id, Letter.signed_on.desc(),
                                                                 Letter.recorded_at.desc())
    if merchant_ids is not None:
        query = query.where(Letter.merchant_id.in_(merchant_ids))
    return {letter.merchant_id: letter for letter in (await session.exec(query)).all()}


async def letters_due(session, today: date, rule: LetterRule, grid_id: str | None = None) -> list[dict]:
    """The letters due for renewal (in their last days) and the expired ones, per grid."""
    letters = await current_letters(session)
    query = select(Merchant).where(Merchant.closed.is_(False), Merchant.id.in_(list(letters)))
    if grid_id:
        query = query.where(Merchant.grid_id == grid_id)
    out = []
    for m in (await session.exec(query)).all():
        letter = letters[m.id]
        s = status(letter.valid_until, today, rule)
        if s != LetterStatus.valid:
            out.append({"merchant_id": m.id, "name": m.name, "address": m.address, "grid_id": m.grid_id,
                        "letter_id": letter.id, "signed_on": letter.signed_on, "valid_until": letter.valid_until,
                        "status": s.value})
    return sorted(out, key=lambda r: (r["grid_id"] or "", r["valid_until"]))


async def letter_coverage(session, today: date, rule: LetterRule) -> list[dict]:
    """Shops with a valid letter ÷ shops, per grid and for the district."""
    letters = await current_letters(session)
    shops = (await session.exec(select(Merchant.id, Merchant.grid_id).where(Merchant.closed.is_(False)))).all()
    total, covered = Counter(), Counter()
    for merchant_id, grid_id in shops:
        for area in (grid_id or "none", DISTRICT):
            total[area] += 1
            letter = letters.get(merchant_id)
            if letter is not None and status(letter.valid_until, today, rule) != LetterStatus.expired:
                covered[area] += 1
    return [{"area": area, "shops": total[area], "with_valid_letter": covered[area],
             "coverage": round(covered[area] / total[area], 4) if total[area] else None}
            for area in sorted(total, key=lambda a: (a == DISTRICT, a))]


@dataclass
class CateringPlace:
    merchant: Merchant
    purifier: Purifier | None
    size: str | None
    required: float | None
    below_required: bool
    cleaning_due: date | None
    cleaning_overdue: bool


async def catering_places(session, today: date, rule: CleaningRule, grid_id: str | None = None,
                          squad_scope: str | None = None) -> list[CateringPlace]:
    query = (select(Merchant, Purifier).join(Purifier, Purifier.merchant_id == Merchant.id, isouter=True)
             .where(Merchant.business_nature == "catering", Merchant.closed.is_(False)).order_by(Merchant.name))
    if grid_id:
        query = query.where(Merchant.grid_id == grid_id)
    if squad_scope:
        query = query.where(Merchant.squad_id == squad_scope)
    out = []
    for m, p in (await session.exec(query)).all():
        size = size_class(m.cooking_heads) if m.cooking_heads and m.cooking_heads >= 1 else None
        due = cleaning_due(p.last_cleaned_on, p.installed_on, rule) if p else None
        out.append(CateringPlace(
            merchant=m, purifier=p, size=size.value if size else None,
            required=REQUIRED_EFFICIENCY[size] if size else None,
            below_required=bool(p and size and below_required(p.rated_efficiency, m.cooking_heads)),
            cleaning_due=due, cleaning_overdue=bool(due and today > due)))
    return out


async def round_progress(session, round_id: str) -> dict:
    rows = (await session.exec(select(RoundVisit.result, func.count()).where(RoundVisit.round_id == round_id)
                               .group_by(RoundVisit.result))).all()
    by = {result: n for result, n in rows}
    planned = sum(by.values())
    left = by.get(None, 0)
    return {"planned": planned, "visited": planned - left, "left": left,
            "results": {k: v for k, v in by.items() if k is not None}}


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


async def figures(session, today: date, letter_rule: LetterRule, cleaning_rule: CleaningRule,
                  dog_rules: DogRules | None = None, shelter_capacity: int = 0) -> dict[str, LedgerFigures]:
    """The registers' figures for the district and each grid (a merchant without a grid counts
    for the district only)."""
    areas: dict[str, _Area] = defaultdict(_Area)

    def both(grid_id):
        return [DISTRICT] + ([grid_id] if grid_id else [])

    for grid_id, colour, n in (await session.execute(
            sa_select(Merchant.grid_id, Merchant.colour, func.count()).where(Merchant.closed.is_(False))
            .group_by(Merchant.grid_id, Merchant.colour))).all():
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
    for merchant_id, grid_id in (await session.exec(select(Merchant.id, Merchant.grid_id).where(
            Merchant.closed.is_(False), Merchant.id.in_(list(letters))))).all():
        s = status(letters[merchant_id].valid_until, today, letter_rule)
        for a in both(grid_id):
            areas[a].letters[s] += 1
    for grid_id, problems, fixed in (await session.execute(
            sa_select(Merchant.grid_id, func.jsonb_array_length(SignRecord.problems) > 0,
                      SignRecord.fixed_at.is_not(None)).join(Merchant, Merchant.id == SignRecord.merchant_id))).all():
        for a in both(grid_id):
            areas[a].signs += 1
            areas[a].problems += bool(problems)
            areas[a].fixed += bool(problems and fixed)
    for grid_id, kind, n in (await session.execute(
            sa_select(DesignatedPoint.grid_id, DesignatedPoint.kind, func.count())
            .where(DesignatedPoint.status == "approved")
            .group_by(DesignatedPoint.grid_id, DesignatedPoint.kind))).all():
        for a in both(grid_id):
            areas[a].points[kind] += n
    for grid_id, held in (await session.execute(
            sa_select(DesignatedPoint.grid_id, Stall.merchant_id.is_not(None))
            .join(DesignatedPoint, DesignatedPoint.id == Stall.point_id)
            .where(DesignatedPoint.status == "approved"))).all():
        for a in both(grid_id):
            areas[a].stalls += 1
            areas[a].held += bool(held)
    for (grid_id,) in (await session.execute(
            sa_select(Merchant.grid_id).join(HardshipRecord, HardshipRecord.merchant_id == Merchant.id)
            .where(HardshipRecord.active, Merchant.closed.is_(False)))).all():
        for a in both(grid_id):
            areas[a].assisted += 1
    for grid_id, flyer_status, n, fines in (await session.execute(
            sa_select(FlyerNumber.grid_id, FlyerNumber.status, func.count(), func.sum(FlyerNumber.fine_fen))
            .group_by(FlyerNumber.grid_id, FlyerNumber.status))).all():
        for a in both(grid_id):
            areas[a].flyers[flyer_status] += n
            areas[a].fines += int(fines or 0)
    for grid_id, licence_status, due_on in (await session.execute(
            sa_select(DogLicence.grid_id, DogLicence.status, DogLicence.inspection_due_on)
            .where(DogLicence.status.in_([s.value for s in IN_FORCE])))).all():
        for a in both(grid_id):
            areas[a].dogs += 1
            areas[a].dogs_suspended += licence_status == "suspended"
            areas[a].dogs_overdue += bool(dog_rules and today > due_on)
    for (grid_id,) in (await session.execute(sa_select(Stray.grid_id).where(Stray.status == "sheltered"))).all():
        areas[DISTRICT].shelter += 1
    areas.setdefault(DISTRICT, _Area())
    return {name: LedgerFigures(
        merchants=sum(a.colours.values()),
        by_colour={c: a.colours.get(c, 0) for c in ("blue", "yellow", "orange", "red")},
        catering_places=a.catering, purifiers_installed=a.installed, purifiers_below_required=a.below,
        cleaning_overdue=a.overdue, letters_valid=a.letters[LetterStatus.valid] + a.letters[LetterStatus.renewal_due],
        letters_due_for_renewal=a.letters[LetterStatus.renewal_due], letters_expired=a.letters[LetterStatus.expired],
        sign_records=a.signs, sign_problems=a.problems, sign_problems_fixed=a.fixed, points_approved=dict(a.points),
        stalls=a.stalls, stalls_held=a.held, assisted=a.assisted,
        flyer_numbers={s: a.flyers.get(s, 0) for s in ("tracked", "stopped", "fined")}, flyer_fines_fen=a.fines,
        dogs_licensed=a.dogs, dogs_suspended=a.dogs_suspended, dog_inspections_overdue=a.dogs_overdue,
        shelter_in_use=a.shelter, shelter_capacity=shelter_capacity if name == DISTRICT else 0)
        for name, a in areas.items()}

