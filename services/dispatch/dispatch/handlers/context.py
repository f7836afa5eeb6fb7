"""What dispatch's handlers share: the context the service keeps fresh (the grid map, the rules,
the calendar, the directory, the board's notifier), and telling the consoles of a change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from common.uow import UnitOfWork
from dispatch.adapters.board import BoardNotifier
from dispatch.domain.deadlines import WorkCalendar
from dispatch.domain.routing import GridMap, RoutingRule
from dispatch.handlers.directory import Directory

BOARD_CHANNEL = "dispatch_board"


@dataclass
class Context:
    """What dispatch's rules need, kept fresh by the service."""

    grid_map: GridMap
    rules: list[RoutingRule]
    calendar: WorkCalendar
    default_time_limit_hours: float
    warn_share: float
    return_window_hours: float
    directory: Directory
    namespace: str = ""
    patrol_grace: timedelta = timedelta(minutes=10)
    decision_warning_days: int = 10
    board: BoardNotifier | None = None
    squad_names: dict[str, str] = field(default_factory=dict)
    category_names: dict[str, str] = field(default_factory=dict)  # the 服务目录's, for the alerts' words


async def notify_board(uow: UnitOfWork, ctx: Context, kind: str, **data) -> None:
    """Tell every replica's consoles, once this transaction has committed (dispatch.adapters.board)."""
    if ctx.board is not None:
        ctx.board.changed(uow, kind, **data)
