"""The sessions' own schema changes, written once for every service with staff pages (each runs
them from a migration of its own: dispatch 0008, ledger 0006, reporting 0009)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def add_provider_session(schema: str) -> None:
    """What the provider says of a session: its refresh token (asked once a minute whether the person
    may still be signed in), its `sid` (named by a back-channel logout), when it last said yes."""
    op.add_column(
        "web_sessions",
        sa.Column(
            "refresh_token",
            sa.Text(),
            nullable=True,
            comment=("the provider's, to ask it once a minute whether the person may still be signed in"),
        ),
        schema=schema,
    )
    op.add_column(
        "web_sessions",
        sa.Column(
            "provider_sid",
            sa.String(length=100),
            nullable=True,
            comment=("the provider's session (`sid`): its back-channel logout names it"),
        ),
        schema=schema,
    )
    op.add_column(
        "web_sessions",
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True, comment="when the provider last said yes"),
        schema=schema,
    )
    op.create_index(op.f(f"ix_{schema}_web_sessions_subject"), "web_sessions", ["subject"], unique=False, schema=schema)
    op.create_index(
        op.f(f"ix_{schema}_web_sessions_provider_sid"), "web_sessions", ["provider_sid"], unique=False, schema=schema
    )


def drop_provider_session(schema: str) -> None:
    op.drop_index(op.f(f"ix_{schema}_web_sessions_provider_sid"), table_name="web_sessions", schema=schema)
    op.drop_index(op.f(f"ix_{schema}_web_sessions_subject"), table_name="web_sessions", schema=schema)
    for column in ("checked_at", "provider_sid", "refresh_token"):
        op.drop_column("web_sessions", column, schema=schema)
