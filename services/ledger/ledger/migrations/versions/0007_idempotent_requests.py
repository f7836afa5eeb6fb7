"""requests done once: the Idempotency-Key of what the field app sends again (common.idempotency)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 11:00:00
"""
from common.idempotency import create_table, drop_table

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table("ledger")


def downgrade() -> None:
    drop_table("ledger")
