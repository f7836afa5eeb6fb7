"""Dispatch's service layer: a case opened somewhere becomes an assignment to a squad, or is
handed to the command centre when no grid holds it."""
from __future__ import annotations

import logging
import uuid
from typing import Callable

from sqlmodel import select

from common.messaging.contracts import AssignmentCreated, CaseFiled, CaseOpened, CaseUnroutable
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from dispatch.domain import GridMap
from dispatch.tables import Assignment

log = logging.getLogger(__name__)


class AssignmentStatus:
    dispatched = "dispatched"  # 已派遣


async def dispatch_case(event: CaseOpened | CaseFiled, env: Envelope, uow: UnitOfWork, *,
                        grid_map: Callable[[], GridMap]) -> None:
    """A filed case (立案) is routed; a reported one waits until CaseFiled says it was filed."""
    if isinstance(event, CaseOpened) and event.status != "filed":
        return
    existing = (await uow.session.exec(select(Assignment).where(Assignment.case_id == event.case_id))).first()
    if existing is not None:
        return  # the case is already with a squad; a second filing changes nothing
    grid = grid_map().grid_for(event.location.lon, event.location.lat)
    now = uow.clock.now()
    if grid is None:
        log.info("case %s is outside every grid", event.case_number)
        uow.publish(CaseUnroutable(case_id=event.case_id, reason="outside_grid",
                                   location=event.location, detected_at=now))
        return
    assignment = Assignment(id=str(uuid.uuid4()), case_id=event.case_id, squad_id=grid.squad_id,
                            grid_id=grid.grid_id, category_code=event.category_code,
                            status=AssignmentStatus.dispatched, assigned_at=now)
    uow.session.add(assignment)
    log.info("case %s assigned to %s (grid %s)", event.case_number, grid.squad_name, grid.grid_id)
    uow.publish(AssignmentCreated(
        assignment_id=assignment.id, case_id=event.case_id, squad_id=grid.squad_id,
        squad_name=grid.squad_name, grid_id=grid.grid_id, category_code=event.category_code,
        assigned_at=now, deadline_at=None,
    ))
