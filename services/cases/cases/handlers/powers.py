"""The list of powers (权责清单) as kept: loaded once from the seed (a bureau's edits win over a
changed seed file), edited by the legal section, read by the enforcement steps that name them."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert as pg_insert

from cases.domain.powers import Band, Basis, Level, PartyKind, Power
from cases.tables import PowerRow
from common.refusals import Unprocessable
from common.uow import UnitOfWork

SEED = Path(__file__).parent.parent / "seed" / "powers.json"


def power_of(row: PowerRow) -> Power:
    return Power(
        code=row.code,
        name=row.name,
        violation=row.violation,
        basis=Basis(**row.basis),
        prohibition=Basis(**row.prohibition) if row.prohibition else None,
        bands=tuple(
            Band(
                **{
                    **b,
                    "level": Level(b["level"]),
                    "party": PartyKind(b["party"]) if b.get("party") else None,
                }
            )
            for b in row.bands
        ),
        categories=tuple(row.categories),
        major=row.major,
    )


async def seed_powers(session_factory, at: datetime, path: Path = SEED) -> int:
    """The seed's powers into the list, those it does not hold yet: an initial load only."""
    powers = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))["powers"]
    async with session_factory() as session:
        result = await session.execute(
            pg_insert(PowerRow)
            .values(
                [
                    {
                        "code": p["code"],
                        "name": p["name"],
                        "violation": p["violation"],
                        "basis": p["basis"],
                        "prohibition": p.get("prohibition"),
                        "bands": p["bands"],
                        "categories": p.get("categories", []),
                        "major": p.get("major", False),
                        "version": 1,
                        "updated_by": "seed",
                        "updated_at": at,
                    }
                    for p in powers
                ]
            )
            .on_conflict_do_nothing()
        )
        await session.commit()
    return result.rowcount or 0


async def load_power(session, code: str) -> Power:
    row = await session.get(PowerRow, code)
    if row is None:
        raise Unprocessable.field("power_code", f"{code} is not a power of the 权责清单 (GET /v1/powers)")
    return power_of(row)


async def put_power(uow: UnitOfWork, code: str, fields: dict, actor: str) -> PowerRow:
    """A power as the legal section writes it, whole; its version counts the edits."""
    row = await uow.session.get(PowerRow, code, with_for_update=True)
    now = uow.clock.now()
    if row is None:
        row = PowerRow(code=code, version=1, updated_by=actor, updated_at=now, **fields)
    else:
        for k, v in fields.items():
            setattr(row, k, v)
        row.version, row.updated_by, row.updated_at = row.version + 1, actor, now
    power_of(row)  # what is kept reads back as a power
    uow.session.add(row)
    await uow.commit()
    return row
