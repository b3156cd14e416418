"""stored responses of /v1/responses (store: true); providers' structured-output switch

Revision ID: c1c2d3e40005
Revises: c1c2d3e40001
Create Date: 2026-11-30 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c1c2d3e40005'
down_revision = 'c1c2d3e40001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_responses',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('input_items', sa.JSON(), nullable=False),
        sa.Column('response', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('stored_responses', schema=None) as batch_op:
        batch_op.create_index('ix_stored_responses_org_created', ['org_id', 'created_at'], unique=False)
        batch_op.create_index('ix_stored_responses_user_id', ['user_id'], unique=False)
        batch_op.create_index('ix_stored_responses_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('structured_outputs', sa.Boolean(), server_default='false', nullable=False))


def downgrade():
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_column('structured_outputs')
    with op.batch_alter_table('stored_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_stored_responses_created_at')
        batch_op.drop_index('ix_stored_responses_user_id')
        batch_op.drop_index('ix_stored_responses_org_created')
    op.drop_table('stored_responses')
