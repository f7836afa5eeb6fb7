"""Ledger's routes, one module per part of the register; `page` serves the clerk's /ledger."""

from ledger.api import (
    applications,
    catering,
    devices,
    dog_public,
    frontage,
    licences,
    merchants,
    page,
    papers,
    persuasions,
    points,
    public,
    registers,
    strays,
    surveys,
    telemetry,
    zones,
)

routers = [
    surveys.router,  # /v1/merchants/import and /export before /v1/merchants/{merchant_id}
    merchants.router,
    papers.router,
    persuasions.router,
    frontage.router,
    catering.router,
    points.router,
    registers.router,
    licences.router,
    zones.router,
    applications.router,
    strays.router,
    devices.router,
    telemetry.router,
    public.router,
    dog_public.router,
    page.router,
]
