"""media: per-image, per-character and per-second prices; gateway calls run as tasks

Revision ID: c1c2d3e40009
Revises: c1c2d3e40008
Create Date: 2026-11-30 17:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1c2d3e40009'
down_revision = 'c1c2d3e40008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('models') as batch:
        batch.add_column(sa.Column('image_prices', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('char_price', sa.BigInteger(), server_default='0', nullable=False))
        batch.add_column(sa.Column('second_price', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('async_tasks') as batch:
        batch.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('api_key_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('model', sa.String(length=128), nullable=True))
        batch.add_column(sa.Column('upload', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('output', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('output_type', sa.String(length=128), nullable=True))
        batch.create_index('ix_async_tasks_org_id', ['org_id'])
        batch.create_foreign_key('fk_async_tasks_org_id', 'organizations', ['org_id'], ['id'], ondelete='CASCADE')
        batch.create_foreign_key('fk_async_tasks_api_key_id', 'api_keys', ['api_key_id'], ['id'],
                                 ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('async_tasks') as batch:
        batch.drop_constraint('fk_async_tasks_api_key_id', type_='foreignkey')
        batch.drop_constraint('fk_async_tasks_org_id', type_='foreignkey')
        batch.drop_index('ix_async_tasks_org_id')
        for name in ('output_type', 'output', 'upload', 'model', 'request_id', 'api_key_id', 'org_id'):
            batch.drop_column(name)
    with op.batch_alter_table('models') as batch:
        for name in ('second_price', 'char_price', 'image_prices'):
            batch.drop_column(name)
