"""劝导 per day, squad and category, from ledger's MerchantPersuaded

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 11:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'persuasion_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('squad_id', sa.String(length=64), nullable=False),
        sa.Column('category_code', sa.String(length=64), nullable=False),
        sa.Column('persuasions', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'squad_id', 'category_code', name=op.f('pk_persuasion_days')),
        schema='reporting',
    )


def downgrade() -> None:
    op.drop_table('persuasion_days', schema='reporting')
