"""The directory of the organisation (组织机构): bureau (局) → brigades (大队) → squads (中队) →
people, with their positions, and the escalation chain of 逐级负责制 read from it: an overdue case
is told to its squad's 中队长 at the deadline, then to the brigade's 大队长, then to the 局长, each
after the working hours its unit sets. Pure rules: no framework here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from common.refusals import Unprocessable

POSITIONS = {
    "局长": "bureau",
    "副局长": "bureau",
    "督查员": "bureau",
    "法制审核员": "bureau",
    "台账管理员": "bureau",
    "系统管理员": "bureau",
    "大队长": "brigade",
    "副大队长": "brigade",
    "中队长": "squad",
    "副中队长": "squad",
    "队员": "squad",
    "指挥中心主任": "centre",
    "派遣员": "centre",
    "监督员": "centre",
    "话务员": "centre",
    "办事处主任": "office",
    "办事处城管员": "office",
}
"""Each position and the kind of unit it belongs to."""
LEADS = {"squad": "中队长", "brigade": "大队长", "bureau": "局长"}
SUGGESTED = frozenset({"队员"})
"""The positions routing suggests an assignment to (the officer on duty with the fewest open cases)."""
POSITION_OF_ROLE = {
    "squad_leader": "中队长",
    "squad_officer": "队员",
    "dispatcher": "派遣员",
    "supervisor": "督查员",
    "field_monitor": "监督员",
    "hotline_operator": "话务员",
    "ledger_clerk": "台账管理员",
    "admin": "系统管理员",
    "office_staff": "办事处城管员",
    "legal_officer": "法制审核员",
    "bureau_leader": "副局长",
}
"""A person's position when the directory first learns of them from a sign-in."""
UNIT_OF_ROLE = {"dispatcher": "centre", "field_monitor": "centre", "hotline_operator": "centre"}
DEFAULT_AFTER = {"brigade": 4.0, "bureau": 8.0}
"""Rule of ours, where a unit sets none: the brigade is told 4 working hours after the deadline,
the bureau 8 (the squad leader at the deadline)."""


class Link(NamedTuple):
    role: str  # squad_leader, brigade_leader, bureau_leader
    after_hours: float  # working hours after the deadline
    person_id: str | None
    person_name: str | None


@dataclass(frozen=True)
class UnitInfo:
    id: str
    kind: str
    name: str
    parent_id: str | None
    escalate_after_hours: float | None


@dataclass(frozen=True)
class PersonInfo:
    id: str
    name: str
    position: str
    squad_id: str | None
    unit_id: str | None


def leader(
    people: list[PersonInfo], position: str, *, squad_id: str | None = None, unit_id: str | None = None
) -> PersonInfo | None:
    found = sorted(
        (
            p
            for p in people
            if p.position == position
            and (squad_id is None or p.squad_id == squad_id)
            and (unit_id is None or p.unit_id == unit_id)
        ),
        key=lambda p: p.id,
    )
    return found[0] if found else None


def escalation_chain(
    squad_id: str, brigade_id: str | None, units: dict[str, UnitInfo], people: list[PersonInfo]
) -> tuple[Link, ...]:
    """Who is told, in order, when a case of the squad runs late."""
    chain = []
    squad_leader = leader(people, LEADS["squad"], squad_id=squad_id)
    chain.append(Link("squad_leader", 0.0, *_who(squad_leader)))
    brigade = units.get(brigade_id) if brigade_id else None
    if brigade is not None and brigade.kind == "brigade":
        head = leader(people, LEADS["brigade"], unit_id=brigade.id)
        chain.append(Link("brigade_leader", _after(brigade), *_who(head)))
    bureau = next((u for u in units.values() if u.kind == "bureau"), None)
    if bureau is not None:
        head = leader(people, LEADS["bureau"], unit_id=bureau.id)
        chain.append(Link("bureau_leader", _after(bureau), *_who(head)))
    return tuple(chain)


def _who(person: PersonInfo | None) -> tuple[str | None, str | None]:
    return (person.id, person.name) if person else (None, None)


def _after(unit: UnitInfo) -> float:
    return unit.escalate_after_hours if unit.escalate_after_hours is not None else DEFAULT_AFTER[unit.kind]


def refuse_position(position: str, squad_id: str | None, unit_id: str | None, units: dict[str, UnitInfo]) -> None:
    """A position sits in a unit of its kind: a 队员 in a squad, a 大队长 in a brigade, ...;
    raises ValueError naming what does not fit."""
    kind = POSITIONS.get(position)
    if kind is None:
        raise Unprocessable(f"position {position!r} is not one of {sorted(POSITIONS)}")
    if kind == "squad":
        if not squad_id:
            raise Unprocessable(f"a {position} belongs to a squad (squad_id)")
        return
    if squad_id:
        raise Unprocessable(f"a {position} does not belong to a squad")
    unit = units.get(unit_id or "")
    if unit is None or unit.kind != kind:
        raise Unprocessable(f"a {position} belongs to a unit of kind {kind} (unit_id)")
