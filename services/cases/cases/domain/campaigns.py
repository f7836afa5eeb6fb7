"""Campaigns (专项整治, 联合行动, 示范创建): what its targets may name, and when an operation or a section may
be recorded; which cases fall in one is common.campaigns' rule (reporting counts the field app's 劝导 by
it too). Pure rules: cases.handlers.campaigns reads and writes what they decide."""

from __future__ import annotations

from datetime import date

from common.campaigns import CLOSED, RUNNING, CampaignArea, tags  # noqa: F401 (the rule is shared with reporting)
from common.vocabulary import CAMPAIGN_COUNTS, CAMPAIGN_EFFORT, CAMPAIGN_RATES, CampaignKind

MAX_DAYS = 366 * 2
"""The longest period a campaign may have (a year's campaign with its run-up)."""


def target_problem(targets: dict[str, float]) -> str | None:
    """Why a campaign's targets are not understood, or None: counts to reach are numbers ≥ 0 of a
    known count; rates to hold are shares between 0 and 1 of a known indicator."""
    for name, value in targets.items():
        if name in CAMPAIGN_RATES:
            if not 0 <= value <= 1:
                return f"targets.{name}: a rate is a share between 0 and 1, not {value}"
        elif name in CAMPAIGN_COUNTS or name in CAMPAIGN_EFFORT:
            if value < 0:
                return f"targets.{name}: a count to reach cannot be negative"
        else:
            known = sorted({*CAMPAIGN_COUNTS, *CAMPAIGN_EFFORT, *CAMPAIGN_RATES})
            return f"targets.{name}: not a count or a rate a campaign can aim at (one of {', '.join(known)})"
    return None


def counts_problem(counts: dict[str, float]) -> str | None:
    for name, value in counts.items():
        if name not in CAMPAIGN_COUNTS:
            return f"counts.{name}: not one of the campaign's counts ({', '.join(CAMPAIGN_COUNTS)})"
        if value < 0:
            return f"counts.{name}: cannot be negative"
    return None


def period_problem(starts_on: date, ends_on: date) -> str | None:
    if ends_on < starts_on:
        return f"ends_on {ends_on} is before starts_on {starts_on}"
    if (ends_on - starts_on).days > MAX_DAYS:
        return f"the period runs {(ends_on - starts_on).days} days; a campaign runs at most {MAX_DAYS}"
    return None


def operation_problem(starts_on: date, ends_on: date, status: str, on: date, today: date) -> str | None:
    """An operation is recorded for a day of the campaign's period that has come."""
    if status == CLOSED:
        return "the campaign is closed"
    if not (starts_on <= on <= ends_on):
        return f"on: {on} is outside the campaign's period {starts_on} – {ends_on}"
    if on > today:
        return f"on: {on} has not come yet"
    return None


def sections_allowed(kind: CampaignKind) -> bool:
    """Sections and their acceptance belong to a 示范创建 or a phased clean-up (a 专项整治 by roads)."""
    return kind in (CampaignKind.model, CampaignKind.special)
