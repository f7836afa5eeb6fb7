"""The cases schema's registry and its tables' base."""

from __future__ import annotations

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel

from common.db import make_registry

registry = make_registry("cases")


class CasesTable(SQLModel, registry=registry):
    pass


def json_column(default: str = "[]") -> Column:
    return Column(JSONB, nullable=False, server_default=default)
