"""cache write price, cache write and unbilled cost on usage

Revision ID: a1b2c3d40004
Revises: a1b2c3d40007
Create Date: 2026-11-30 13:45:00

Existing models keep charging cache writes at their input price (cache_write_price NULL)
until an admin sets one: a migration does not change prices.
"""
from alembic import op
import sqlalchemy as sa


revision = 'a1b2c3d40004'
down_revision = 'a1b2c3d40007'
branch_labels = None
depends_on = None

_ROLLUPS = ('usage_hourly', 'usage_daily')


def upgrade():
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cache_write_price', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('usage_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cache_write_tokens', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('cache_write_cost', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('unbilled_cost', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('cost_clamped', sa.Boolean(), nullable=False, server_default=sa.false()))
    for table in _ROLLUPS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('cache_write_tokens', sa.BigInteger(), nullable=False, server_default='0'))
            batch_op.add_column(sa.Column('cache_write_cost', sa.BigInteger(), nullable=False, server_default='0'))
            batch_op.add_column(sa.Column('unbilled_cost', sa.BigInteger(), nullable=False, server_default='0'))


def downgrade():
    for table in _ROLLUPS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('unbilled_cost')
            batch_op.drop_column('cache_write_cost')
            batch_op.drop_column('cache_write_tokens')
    with op.batch_alter_table('usage_logs', schema=None) as batch_op:
        batch_op.drop_column('cost_clamped')
        batch_op.drop_column('unbilled_cost')
        batch_op.drop_column('cache_write_cost')
        batch_op.drop_column('cache_write_tokens')
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.drop_column('cache_write_price')
