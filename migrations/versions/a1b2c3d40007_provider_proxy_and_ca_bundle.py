"""provider proxy url and ca bundle

Revision ID: a1b2c3d40007
Revises: a1b2c3d40005
Create Date: 2026-11-30 14:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1b2c3d40007'
down_revision = 'a1b2c3d40005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proxy_url', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('ca_bundle', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_column('ca_bundle')
        batch_op.drop_column('proxy_url')
