"""The reporting schema's registry and the base every reporting table derives from."""

from __future__ import annotations

from sqlalchemy import Column, DateTime
from sqlmodel import SQLModel

from common.db import make_registry

registry = make_registry("reporting")


class ReportingTable(SQLModel, registry=registry):
    pass


def at_column(nullable: bool = True) -> Column:
    """An instant (timestamptz)."""
    return Column(DateTime(timezone=True), nullable=nullable)
