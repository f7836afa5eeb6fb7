"""Cases' routes, one module per part: lifecycle (the closed loop), enforcement (the penalty track,
documents, seizures), trail; the simple steps' router last, since its `{action}` segment would
shadow the named paths of the others."""

from cases.api import enforcement, lifecycle, trail

routers = [lifecycle.router, enforcement.router, trail.router, lifecycle.steps_router]
