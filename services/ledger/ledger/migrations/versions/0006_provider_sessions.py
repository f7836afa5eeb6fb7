"""staff sessions the identity provider can end (back-channel logout, a refused refresh)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00
"""
from common.web_session.migration import add_provider_session, drop_provider_session

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_provider_session("ledger")


def downgrade() -> None:
    drop_provider_session("ledger")
