"""Cases' routes, one module per part: lifecycle (the closed loop), answers (信访 and 舆情), campaigns,
buildings (违法建设), enforcement (the penalty track, documents, seizures), trail; the simple steps' router last, since
its `{action}` segment would shadow the named paths of the others."""

from cases.api import answers, buildings, campaigns, enforcement, lifecycle, trail

routers = [
    lifecycle.router,
    answers.router,
    enforcement.router,
    trail.router,
    campaigns.router,
    buildings.router,
    lifecycle.steps_router,
]
