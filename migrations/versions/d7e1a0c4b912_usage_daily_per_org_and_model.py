"""rollups: usage per day, org and model for the Usage screen and the platform page

Revision ID: d7e1a0c4b912
Revises: c1c2d3e40012
Create Date: 2026-11-30 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7e1a0c4b912'
down_revision = 'c1c2d3e40012'
branch_labels = None
depends_on = None

SUMS = ('requests', 'errors', 'prompt_tokens', 'completion_tokens', 'cached_tokens', 'cache_write_tokens',
        'input_cost', 'output_cost', 'cached_cost', 'cache_write_cost', 'total_cost', 'discount_savings',
        'unbilled_cost')
BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'usage_daily_org_model',
        sa.Column('id', BIGID, primary_key=True),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=True),
        sa.Column('model', sa.String(length=128), nullable=True),
        *(sa.Column(name, sa.Integer() if name in ('requests', 'errors') else sa.BigInteger(), nullable=False)
          for name in SUMS),
    )
    op.create_index('ix_usage_daily_org_model_day', 'usage_daily_org_model', ['day'])
    # Fill it from the daily rollup already there.
    op.execute(f"""INSERT INTO usage_daily_org_model (day, org_id, model, {', '.join(SUMS)})
                   SELECT day, org_id, model, {', '.join(f'sum({s})' for s in SUMS)}
                   FROM usage_daily GROUP BY day, org_id, model""")


def downgrade():
    op.drop_index('ix_usage_daily_org_model_day', table_name='usage_daily_org_model')
    op.drop_table('usage_daily_org_model')
