"""Ledger's routes, one module per part of the register; `page` serves the clerk's /ledger."""
from ledger.api import catering, dog_public, dogs, frontage, merchants, page, points, public, registers

routers = [merchants.router, frontage.router, catering.router, points.router, registers.router, dogs.router,
           public.router, dog_public.router, page.router]
