"""The trail's adapter: links of the hash chain (cases.domain.trail) read and written with statements
prepared once, on the unit of work's connection, in the transaction of the change they record.
Every event a case takes passes here. Callers hold the case's row lock, so two links cannot
claim the same place in its chain; a link is written at once, so a second link in the same
transaction finds it."""

from __future__ import annotations

from dataclasses import asdict, replace

import orjson
from sqlalchemy import Integer, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP, distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert

from cases.domain.trail import GENESIS, TrailEntry, entry_hash
from cases.tables import CaseTrailEntry
from common.db import Prepared, table_of
from common.uow import UnitOfWork

TRAIL = table_of(CaseTrailEntry)
_TEXT = ("case_id", "actor", "action", "from_status", "to_status", "reason", "prev_hash", "hash")
_APPEND = Prepared(
    pg_insert(TRAIL).from_select(
        [*_TEXT, "seq", "at", "data"],
        select(
            *(func.unnest(bindparam(c, type_=ARRAY(Text))) for c in _TEXT),
            func.unnest(bindparam("seq", type_=ARRAY(Integer))),
            func.unnest(bindparam("at", type_=ARRAY(TIMESTAMP(timezone=True)))),
            func.cast(func.unnest(bindparam("data", type_=ARRAY(Text))), JSONB),
        ),
        include_defaults=False,
    )
)
_HEADS = Prepared(
    select(TRAIL.c.case_id, TRAIL.c.seq, TRAIL.c.hash)
    .ext(distinct_on(TRAIL.c.case_id))
    .where(TRAIL.c.case_id == func.any(bindparam("ids", type_=ARRAY(Text))))
    .order_by(TRAIL.c.case_id, TRAIL.c.seq.desc())
)


async def heads(uow: UnitOfWork, case_ids: list[str]) -> dict[str, tuple[int, str]]:
    """Each case's last link: (seq, hash); a case without a chain is not in it."""
    return {r["case_id"]: (r["seq"], r["hash"]) for r in await _HEADS.fetch(await uow.db(), ids=case_ids)}


def link(case_id: str, head: tuple[int, str] | None, **entry) -> TrailEntry:
    """The next link after `head` (None: the case's first)."""
    seq, prev = head or (0, GENESIS)
    return TrailEntry(case_id=case_id, seq=seq + 1, prev_hash=prev, **entry)


async def write(uow: UnitOfWork, entries: list[TrailEntry]) -> None:
    """Links of one or several cases' chains, each hashed, in one statement."""
    rows = [asdict(replace(e, hash=entry_hash(e))) for e in entries]
    columns = {n: [r[n] for r in rows] for n in (*_TEXT, "seq", "at")}
    columns["data"] = [orjson.dumps(r["data"]).decode() for r in rows]
    await _APPEND.execute(await uow.db(), **columns)


async def append_trail(
    uow: UnitOfWork,
    case_id: str,
    *,
    action: str,
    actor: str,
    from_status: str | None,
    to_status: str | None,
    reason: str | None = None,
    data: dict | None = None,
) -> None:
    """One link of one case's chain."""
    head = (await heads(uow, [case_id])).get(case_id)
    await write(
        uow,
        [
            link(
                case_id,
                head,
                at=uow.clock.now(),
                actor=actor,
                action=action,
                from_status=from_status,
                to_status=to_status,
                reason=reason,
                data=data or {},
            )
        ],
    )
