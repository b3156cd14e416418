"""plans: the Stripe price a subscription to the plan is billed at

Revision ID: c1c2d3e40011
Revises: c1c2d3e40009
Create Date: 2026-11-30 17:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1c2d3e40011'
down_revision = 'c1c2d3e40009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_price_id', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_plans_stripe_price_id', ['stripe_price_id'])


def downgrade():
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_constraint('uq_plans_stripe_price_id', type_='unique')
        batch_op.drop_column('stripe_price_id')
