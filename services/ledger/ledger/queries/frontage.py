"""A shop's front, read: the letter in force of each merchant, the letters due for renewal and
expired, the letters' coverage per grid, a merchant's letters and sign records."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import col, select

from ledger.domain.letters import LetterRule, LetterStatus, status
from ledger.tables import Letter, Merchant, SignRecord

DISTRICT = "district"


async def current_letters(session, merchant_ids: list[str] | None = None) -> dict[str, Letter]:
    """Each merchant's letter in force: the one signed last."""
    query = (
        select(Letter)
        .ext(distinct_on(col(Letter.merchant_id)))
        .order_by(col(Letter.merchant_id), col(Letter.signed_on).desc(), col(Letter.recorded_at).desc())
    )
    if merchant_ids is not None:
        query = query.where(col(Letter.merchant_id).in_(merchant_ids))
    return {letter.merchant_id: letter for letter in (await session.exec(query)).all()}


async def letters_due(session, today: date, rule: LetterRule, grid_id: str | None = None) -> list[dict]:
    """The letters due for renewal (in their last days) and the expired ones, per grid."""
    letters = await current_letters(session)
    query = select(Merchant).where(col(Merchant.closed).is_(False), col(Merchant.id).in_(list(letters)))
    if grid_id:
        query = query.where(Merchant.grid_id == grid_id)
    out = []
    for m in (await session.exec(query)).all():
        letter = letters[m.id]
        s = status(letter.valid_until, today, rule)
        if s != LetterStatus.valid:
            out.append(
                {
                    "merchant_id": m.id,
                    "name": m.name,
                    "address": m.address,
                    "grid_id": m.grid_id,
                    "letter_id": letter.id,
                    "signed_on": letter.signed_on,
                    "valid_until": letter.valid_until,
                    "status": s.value,
                }
            )
    return sorted(out, key=lambda r: (r["grid_id"] or "", r["valid_until"]))


async def letter_coverage(session, today: date, rule: LetterRule) -> list[dict]:
    """Shops with a valid letter ÷ shops, per grid and for the district."""
    letters = await current_letters(session)
    shops = (await session.exec(select(Merchant.id, Merchant.grid_id).where(col(Merchant.closed).is_(False)))).all()
    total: Counter[str] = Counter()
    covered: Counter[str] = Counter()
    for merchant_id, grid_id in shops:
        for area in (grid_id or "none", DISTRICT):
            total[area] += 1
            letter = letters.get(merchant_id)
            if letter is not None and status(letter.valid_until, today, rule) != LetterStatus.expired:
                covered[area] += 1
    return [
        {
            "area": area,
            "shops": total[area],
            "with_valid_letter": covered[area],
            "coverage": round(covered[area] / total[area], 4) if total[area] else None,
        }
        for area in sorted(total, key=lambda a: (a == DISTRICT, a))
    ]


async def letter_of(session, merchant_id: str) -> Letter | None:
    """The merchant's letter in force: the one signed last."""
    return (
        await session.exec(
            select(Letter)
            .where(Letter.merchant_id == merchant_id)
            .order_by(col(Letter.signed_on).desc(), col(Letter.recorded_at).desc())
            .limit(1)
        )
    ).first()


def letter_status(letter: Letter | None, today: date, rule: LetterRule) -> str:
    return "none" if letter is None else status(letter.valid_until, today, rule).value


async def letters(session, merchant_id: str) -> list[Letter]:
    return list(
        (
            await session.exec(
                select(Letter).where(Letter.merchant_id == merchant_id).order_by(col(Letter.signed_on).desc())
            )
        ).all()
    )


async def letter(session, letter_id: str) -> Letter | None:
    return await session.get(Letter, letter_id)


async def sign_record(session, record_id: str) -> SignRecord | None:
    return await session.get(SignRecord, record_id)
