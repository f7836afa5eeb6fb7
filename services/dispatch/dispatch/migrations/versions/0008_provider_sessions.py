"""staff sessions the identity provider can end (back-channel logout, a refused refresh)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00
"""
from common.web_session.migration import add_provider_session, drop_provider_session

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_provider_session("dispatch")


def downgrade() -> None:
    drop_provider_session("dispatch")
