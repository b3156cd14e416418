"""organizations: default caps applied to the org's new API keys

Revision ID: c1c2d3e40012
Revises: c1c2d3e40011
Create Date: 2026-11-30 18:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1c2d3e40012'
down_revision = 'c1c2d3e40011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_defaults', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('key_defaults')
