"""考评: the offices (办事处) and squads assessed over periods a bureau sets: three days for 违建 by default
("从原有一月一考评变成三天一考评通报"), a month for the rest. Each unit's score is the ranking's weighted
indicators over its cases of the scheme's categories, less points for each 责改通知书 it received in the
period and more for each it answered late or left unanswered. Pure rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from reporting.domain.periods import Period, PeriodKind, period_of


@dataclass(frozen=True)
class Scheme:
    """One assessment a bureau runs: its id and name, its categories (none: every category but those
    another scheme takes), and its period: `days` from `anchor`, or whole months."""

    id: str
    name: str
    days: int | None = None
    anchor: date = date(2026, 1, 1)
    categories: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    min_cases: int = 1

    def period_containing(self, day: date) -> Period:
        if self.days is None:
            return period_of(PeriodKind.month, day.replace(day=1))
        k = (day - self.anchor).days // self.days
        start = self.anchor + timedelta(days=k * self.days)
        return Period(PeriodKind.range, start, start + timedelta(days=self.days))

    def last_closed(self, today: date) -> Period:
        """The latest whole period that ended by `today` (its end is `today` or before)."""
        current = self.period_containing(today)
        return self.period_containing(current.start - timedelta(days=1))


DEFAULT_SCHEMES: tuple[dict, ...] = (
    {"id": "illegal_construction_3d", "name": "违法建设三天一考评", "days": 3, "categories": ["illegal_construction"]},
    {"id": "monthly", "name": "月度考评", "exclude": ["illegal_construction"], "min_cases": 5},
)


def schemes_of(raw: list[dict]) -> list[Scheme]:
    out = []
    for r in raw:
        out.append(
            Scheme(
                id=r["id"],
                name=r["name"],
                days=r.get("days"),
                anchor=date.fromisoformat(r["anchor"]) if r.get("anchor") else date(2026, 1, 1),
                categories=tuple(r.get("categories") or ()),
                exclude=tuple(r.get("exclude") or ()),
                min_cases=int(r.get("min_cases", 1)),
            )
        )
    return out


@dataclass(frozen=True)
class Deductions:
    per_notice: float = 2.0
    per_late_notice: float = 3.0


@dataclass
class UnitFigures:
    unit_kind: str  # office or squad
    unit_id: str
    unit_name: str
    values: dict = field(default_factory=dict)
    cases: int = 0
    notices: int = 0
    notices_late: int = 0
    score: float = 0.0
    rank: int | None = None


def deduct(score: float, notices: int, late: int, d: Deductions) -> float:
    return round(max(score - notices * d.per_notice - late * d.per_late_notice, 0.0), 2)


def rank_units(units: list[UnitFigures], min_cases: int) -> list[UnitFigures]:
    """Offices and squads ranked apart, each by score (ties: more cases, then id); a unit with fewer
    cases than the minimum is listed, not ranked."""
    out = []
    for kind in ("office", "squad"):
        of_kind = [u for u in units if u.unit_kind == kind]
        ranked = sorted((u for u in of_kind if u.cases >= min_cases), key=lambda u: (-u.score, -u.cases, u.unit_id))
        for i, u in enumerate(ranked, start=1):
            u.rank = i
        out += ranked + sorted((u for u in of_kind if u.cases < min_cases), key=lambda u: u.unit_id)
    return out
