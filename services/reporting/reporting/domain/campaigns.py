"""A campaign's progress against its targets: counts to reach (劝导 1,000 次, 拆除 5,000 m²) and rates to
hold (按期结案率 at least 95%, 返工率 at most 5%), each target met or not."""

from __future__ import annotations

from dataclasses import dataclass

from common.vocabulary import CAMPAIGN_COUNTS, CAMPAIGN_EFFORT, CAMPAIGN_RATES

ACHIEVED = (*CAMPAIGN_COUNTS, *CAMPAIGN_EFFORT)
"""What a campaign achieves and counts, in this order."""


@dataclass(frozen=True)
class Progress:
    name: str
    label: str
    kind: str  # count (to reach) or rate (to hold: at least, or at most)
    target: float
    achieved: float | None
    met: bool | None  # None: a rate with nothing to measure yet
    share: float | None  # of a count's target reached

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "target": self.target,
            "achieved": self.achieved,
            "met": self.met,
            "share": self.share,
        }


def progress(targets: dict[str, float], achieved: dict[str, float], rates: dict[str, float | None]) -> list[Progress]:
    """Every target with what was achieved: a count met when reached; a rate met when held (at
    least its level, or at most for the rates where lower is better)."""
    out = []
    for name, target in targets.items():
        if name in CAMPAIGN_RATES:
            label, higher_better = CAMPAIGN_RATES[name]
            value = rates.get(name)
            met = None if value is None else (value >= target if higher_better else value <= target)
            out.append(Progress(name, f"{label}({'≥' if higher_better else '≤'})", "rate", target, value, met, None))
        else:
            label = CAMPAIGN_COUNTS.get(name) or CAMPAIGN_EFFORT.get(name, name)
            value = float(achieved.get(name, 0))
            share = round(value / target, 4) if target else None
            out.append(Progress(name, label, "count", target, value, value >= target, share))
    return out
