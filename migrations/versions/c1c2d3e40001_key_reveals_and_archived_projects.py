"""console keys: secrets issued to members awaiting their one reveal, archived projects

Revision ID: c1c2d3e40001
Revises: c1c2d3e40004
Create Date: 2026-11-30 16:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1c2d3e40001'
down_revision = 'c1c2d3e40004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'key_reveals',
        sa.Column('api_key_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret_encrypted', sa.Text(), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['issued_by_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('api_key_id'),
    )
    op.create_index('ix_key_reveals_user_id', 'key_reveals', ['user_id'])
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    op.drop_index('ix_key_reveals_user_id', table_name='key_reveals')
    op.drop_table('key_reveals')
