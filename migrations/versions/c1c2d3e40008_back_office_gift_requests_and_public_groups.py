"""back office: gift requests awaiting approval, per-user public group restrictions

Revision ID: c1c2d3e40008
Revises: c1c2d3e40003
Create Date: 2026-11-30 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1c2d3e40008'
down_revision = 'c1c2d3e40003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'gift_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='ck_giftstatus', native_enum=False,
                                    create_constraint=True, length=32), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_comment', sa.Text(), nullable=True),
        sa.Column('form_token', sa.String(length=64), nullable=True),
        sa.Column('ledger_entry_id', sa.BigInteger(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entries.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('form_token'),
    )
    op.create_index('ix_gift_requests_org_id', 'gift_requests', ['org_id'])
    op.create_index('ix_gift_requests_status', 'gift_requests', ['status'])
    op.create_index('ix_gift_requests_created_at', 'gift_requests', ['created_at'])
    op.create_table(
        'user_public_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['group_id'], ['model_groups.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['set_by_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'group_id'),
    )
    op.create_index('ix_user_public_groups_user_id', 'user_public_groups', ['user_id'])
    op.create_index('ix_user_public_groups_group_id', 'user_public_groups', ['group_id'])
    op.create_index('ix_user_public_groups_created_at', 'user_public_groups', ['created_at'])


def downgrade():
    op.drop_table('user_public_groups')
    op.drop_table('gift_requests')
