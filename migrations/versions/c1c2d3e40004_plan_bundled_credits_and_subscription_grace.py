"""plans: bundled monthly credits; subscriptions: when a renewal payment first failed

Revision ID: c1c2d3e40004
Revises: b1c2d3e40003
Create Date: 2026-11-30 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1c2d3e40004'
down_revision = 'b1c2d3e40003'
branch_labels = None
depends_on = None

# What the default plans bundle each period, in credits (1 USD = 1,000,000).
_BUNDLES = {"pro": 20_000_000, "max": 200_000_000}


def upgrade():
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bundled_credits', sa.BigInteger(), nullable=False, server_default='0'))
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('past_due_since', sa.DateTime(), nullable=True))
    plans = sa.table('plans', sa.column('code', sa.String), sa.column('bundled_credits', sa.BigInteger))
    for code, credits in _BUNDLES.items():
        op.execute(plans.update().where(plans.c.code == code).values(bundled_credits=credits))


def downgrade():
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('past_due_since')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('bundled_credits')
