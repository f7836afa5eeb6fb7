"""Dispatch's routes, one module per part: assignments (the board, the live stream, the
escalations), steps (the queue and every step on an assignment), reference (grids, routing
rules, the calendar), patrol (严管区定岗), directory (组织机构), notices (责改通知书), console (the
page), field (城管通, the field app)."""

from dispatch.api import assignments, console, directory, field, notices, patrol, reference, steps

routers = [
    assignments.router,
    steps.router,
    reference.router,
    patrol.router,
    directory.router,
    notices.router,
    console.router,
    field.router,
]
