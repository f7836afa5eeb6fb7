"""申请延期: the squad's request for more time, on its assignment, until the command centre answers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 11:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('assignments', sa.Column('extension_asked_hours', sa.Float(), nullable=True), schema='dispatch')
    op.add_column('assignments', sa.Column('extension_asked_reason', sa.String(length=500), nullable=True), schema='dispatch')
    op.add_column('assignments', sa.Column('extension_asked_by', sa.String(length=64), nullable=True), schema='dispatch')
    op.add_column('assignments', sa.Column('extension_asked_at', sa.DateTime(timezone=True), nullable=True), schema='dispatch')


def downgrade() -> None:
    for column in ('extension_asked_at', 'extension_asked_by', 'extension_asked_reason', 'extension_asked_hours'):
        op.drop_column('assignments', column, schema='dispatch')
