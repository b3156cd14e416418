"""console: user email verification and language, org invites

Revision ID: b1c2d3e40003
Revises: b1c2d3e40001
Create Date: 2026-11-30 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1c2d3e40003'
down_revision = 'b1c2d3e40001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'org_invites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('role', sa.Enum('owner', 'admin', 'member', 'viewer', name='ck_orgrole', native_enum=False,
                                  create_constraint=True, length=32), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('accepted_at', sa.DateTime(), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['invited_by_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_org_invites_org_id', 'org_invites', ['org_id'])
    op.create_index('ix_org_invites_created_at', 'org_invites', ['created_at'])
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade():
    op.drop_index('ix_org_invites_created_at', table_name='org_invites')
    op.drop_index('ix_org_invites_org_id', table_name='org_invites')
    op.drop_table('org_invites')
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('locale')
        batch_op.drop_column('email_verified_at')
