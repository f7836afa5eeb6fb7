"""责改通知书: the bureau's written notice to an office (办事处) or a squad to put something right by a
deadline, answered in writing (seed 004 sent 281 of them in a year). Pure rules: who may receive one,
its number, and its state."""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_DAYS = 90
"""The longest a notice may give."""


def number(prefix: str, year: int, n: int) -> str:
    """The notice's 文号: 中原城执责改〔2026〕12号."""
    return f"{prefix}〔{year}〕{n}号"


def due_problem(issued_at: datetime, due_at: datetime) -> str | None:
    if due_at <= issued_at:
        return "due_at: the deadline must be after the notice is issued"
    if due_at - issued_at > timedelta(days=MAX_DAYS):
        return f"due_at: a notice gives at most {MAX_DAYS} days"
    return None


def state(due_at: datetime, answered_at: datetime | None, now: datetime) -> str:
    """open (待回复), answered (已回复), answered_late (逾期回复), overdue (逾期未回复)."""
    if answered_at is not None:
        return "answered" if answered_at <= due_at else "answered_late"
    return "overdue" if now > due_at else "open"


STATE_NAMES = {"open": "待回复", "answered": "已回复", "answered_late": "逾期回复", "overdue": "逾期未回复"}
