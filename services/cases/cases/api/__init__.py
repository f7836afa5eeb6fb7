"""Cases' routes, one module per part: lifecycle (the closed loop), answers (信访 and 舆情), campaigns,
buildings (违法建设), enforcement (the penalty track, documents, seizures), approvals and investigations (the
legal dossier), powers (权责清单), trail; the simple steps' router last, since
its `{action}` segment would shadow the named paths of the others."""

from cases.api import (
    answers,
    approvals,
    buildings,
    campaigns,
    delivery,
    documents,
    enforcement,
    evidence,
    investigations,
    lifecycle,
    powers,
    publicity,
    trail,
)

routers = [
    lifecycle.router,
    answers.router,
    enforcement.router,
    documents.router,
    delivery.router,
    evidence.router,
    approvals.router,
    investigations.router,
    powers.router,
    publicity.router,
    trail.router,
    campaigns.router,
    buildings.router,
    lifecycle.steps_router,
]
