"""中队排位赛: each squad's composite score on the bureau's weights, and the ranking (the squads with
too few cases listed, not ranked; the first holds the red flag, 流动红旗)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_WEIGHTS = {
    "disposal_rate": 30.0,
    "on_time_disposal_rate": 20.0,
    "rework_rate": 20.0,
    "overdue_rate": 20.0,
    "extension_rate": 10.0,
}
"""The published district rule: 处置率 ×30, 按期处置率 ×20, (1 − 返工率) ×20, (1 − 超期率) ×20,
(1 − 延期率) ×10, out of 100 (满意率 may be added by setting, `satisfaction_rate`)."""
LOWER_IS_BETTER = frozenset({"rework_rate", "overdue_rate", "extension_rate"})


def score(values: dict[str, float | int | None], weights: dict[str, float]) -> float:
    """A squad's composite score: each weighted rate (1 − rate where lower is better), out of the
    weights' sum (100 by default); a rate with no denominator counts as fully met."""
    total = 0.0
    for key, weight in weights.items():
        v = values.get(key)
        if v is None:  # nothing to measure: fully met (a rate of 1, or of 0 where lower is better)
            v = 0.0 if key in LOWER_IS_BETTER else 1.0
        total += weight * ((1 - float(v)) if key in LOWER_IS_BETTER else float(v))
    return round(total, 2)


@dataclass(frozen=True)
class RankedSquad:
    squad_id: str
    score: float
    cases: int
    rank: int | None  # None: too few cases to be ranked
    movement: int | None = None  # places gained since the previous ranking (+ up)
    red_flag: bool = False  # 流动红旗


def rank(
    scores: dict[str, tuple[float, int]], min_cases: int, previous_ranks: dict[str, int] | None = None
) -> list[RankedSquad]:
    """Rank the squads with at least `min_cases` cases (应处置) by score (ties by more cases, then
    by id); the others are listed, unranked, so one lucky case cannot top the table. The first
    holds the red flag (流动红旗)."""
    ranked = sorted(((s, sc, n) for s, (sc, n) in scores.items() if n >= min_cases), key=lambda t: (-t[1], -t[2], t[0]))
    out: list[RankedSquad] = []
    for i, (squad, sc, n) in enumerate(ranked, start=1):
        before = (previous_ranks or {}).get(squad)
        out.append(RankedSquad(squad, sc, n, i, None if before is None else before - i, red_flag=i == 1))
    for squad, (sc, n) in sorted(scores.items()):
        if n < min_cases:
            out.append(RankedSquad(squad, sc, n, None))
    return out
