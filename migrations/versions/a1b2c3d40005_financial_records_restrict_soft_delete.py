"""financial records survive deletes: RESTRICT foreign keys, soft-deleted users and orgs

Wallets, ledger rows, usage logs and discount redemptions were removed by ON DELETE
CASCADE (or lost their owner by SET NULL) when a user, org, key or wallet row was
deleted. Those references become ON DELETE RESTRICT, so the database refuses such a
delete; users and orgs are soft-deleted instead (``deleted_at``).

Revision ID: a1b2c3d40005
Revises: a1b2c3d40003
Create Date: 2026-11-30 13:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1b2c3d40005'
down_revision = 'a1b2c3d40003'
branch_labels = None
depends_on = None

# PostgreSQL's own names for the initial schema's unnamed foreign keys; SQLite's batch
# copy gives its unnamed ones the same names so one script serves both.
NAMING = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}

# table -> [(column, referred table, ondelete before this revision)]
FOREIGN_KEYS = {
    "wallets": [("org_id", "organizations", "CASCADE"), ("user_id", "ab_user", "CASCADE")],
    "ledger_entries": [("wallet_id", "wallets", "CASCADE")],
    "usage_logs": [("org_id", "organizations", "SET NULL"), ("user_id", "ab_user", "SET NULL"),
                   ("api_key_id", "api_keys", "SET NULL"), ("wallet_id", "wallets", "SET NULL")],
    "api_keys": [("wallet_id", "wallets", "CASCADE")],
    "discount_redemptions": [("wallet_id", "wallets", "CASCADE")],
}


def _set_ondelete(restrict: bool) -> None:
    for table, keys in FOREIGN_KEYS.items():
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            for column, referred, before in keys:
                name = f"{table}_{column}_fkey"
                batch_op.drop_constraint(name, type_="foreignkey")
                batch_op.create_foreign_key(name, referred, [column], ["id"],
                                            ondelete="RESTRICT" if restrict else before)


def upgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))
    _set_ondelete(restrict=True)


def downgrade():
    _set_ondelete(restrict=False)
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
