"""requests done once: the Idempotency-Key of what the field app sends again (common.idempotency)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 11:00:00
"""
from common.idempotency import create_table, drop_table

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table("cases")


def downgrade() -> None:
    drop_table("cases")
