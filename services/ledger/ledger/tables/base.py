"""The ledger schema's registry and the base every ledger table derives from."""

from __future__ import annotations

from sqlalchemy import Column, DateTime
from sqlmodel import SQLModel

from common.db import make_registry

registry = make_registry("ledger")


class LedgerTable(SQLModel, registry=registry):
    pass


def at_column(nullable: bool = False) -> Column:
    """An instant (timestamptz)."""
    return Column(DateTime(timezone=True), nullable=nullable)
