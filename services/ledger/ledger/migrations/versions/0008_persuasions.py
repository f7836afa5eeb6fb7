"""劝导: violations stopped on the spot by persuasion, with no case

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:20:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'persuasions',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('merchant_id', sa.String(length=36), nullable=False),
        sa.Column('category_code', sa.String(length=64), nullable=False),
        sa.Column('squad_id', sa.String(length=64), nullable=True),
        sa.Column('officer_id', sa.String(length=100), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('photos', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
        sa.Column('persuaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['ledger.merchants.id'], name=op.f('fk_persuasions_merchant_id_merchants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_persuasions')),
        schema='ledger',
    )
    op.create_index(op.f('ix_ledger_persuasions_merchant_id'), 'persuasions', ['merchant_id'], unique=False, schema='ledger')


def downgrade() -> None:
    op.drop_index(op.f('ix_ledger_persuasions_merchant_id'), table_name='persuasions', schema='ledger')
    op.drop_table('persuasions', schema='ledger')
