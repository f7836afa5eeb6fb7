"""Dispatch's routes, one module per part: assignments (the board, the queue, the steps, the live
stream), reference (grids, routing rules, the calendar), patrol (严管区定岗), directory (组织机构),
console (the page)."""

from dispatch.api import assignments, console, directory, patrol, reference

routers = [assignments.router, reference.router, patrol.router, directory.router, console.router]
