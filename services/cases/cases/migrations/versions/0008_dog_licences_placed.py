"""where a named dog licence's household is: its grid and that grid's squad

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('dog_licences', sa.Column('grid_id', sa.String(length=64), nullable=True), schema='cases')
    op.add_column('dog_licences', sa.Column('squad_id', sa.String(length=64), nullable=True), schema='cases')


def downgrade() -> None:
    op.drop_column('dog_licences', 'squad_id', schema='cases')
    op.drop_column('dog_licences', 'grid_id', schema='cases')
