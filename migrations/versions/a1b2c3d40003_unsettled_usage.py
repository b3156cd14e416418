"""unsettled usage: records the flusher parked or that could not be settled in Redis

Revision ID: a1b2c3d40003
Revises: 1d315f3e4163
Create Date: 2026-11-30 13:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40003'
down_revision = '1d315f3e4163'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'unsettled_usage',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('wallet_id', sa.BigInteger(), nullable=True),
        sa.Column('api_key_id', sa.BigInteger(), nullable=True),
        sa.Column('cost', sa.BigInteger(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('envelope', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('request_id'),
    )
    op.create_index('ix_unsettled_usage_status_kind', 'unsettled_usage', ['status', 'kind'])


def downgrade():
    op.drop_index('ix_unsettled_usage_status_kind', table_name='unsettled_usage')
    op.drop_table('unsettled_usage')
