"""payments: top-ups, the bonus ladder and received Stripe events

Revision ID: c1c2d3e40003
Revises: c1c2d3e40007
Create Date: 2026-11-30 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'c1c2d3e40003'
down_revision = 'c1c2d3e40007'
branch_labels = None
depends_on = None

# The default ladder: face value in credits (1 USD = 1,000,000) -> bonus in basis points.
DEFAULT_LADDER = [(99_990_000, 300), (499_990_000, 500), (999_990_000, 800), (1_250_000_000, 1120)]


def upgrade():
    tiers = op.create_table(
        'bonus_tiers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('min_amount', sa.BigInteger(), nullable=False),
        sa.Column('bonus_bps', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('min_amount'),
    )
    op.bulk_insert(tiers, [{'min_amount': amount, 'bonus_bps': bps} for amount, bps in DEFAULT_LADDER])
    op.create_table(
        'topups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('wallet_id', sa.Integer(), nullable=False),
        sa.Column('ledger_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('face_amount', sa.BigInteger(), nullable=False),
        sa.Column('price', sa.BigInteger(), nullable=False),
        sa.Column('bonus', sa.BigInteger(), nullable=False),
        sa.Column('ladder_bps', sa.Integer(), nullable=False),
        sa.Column('plan_bps', sa.Integer(), nullable=False),
        sa.Column('discount_code_id', sa.Integer(), nullable=True),
        sa.Column('stripe_session_id', sa.String(length=255), nullable=True),
        sa.Column('stripe_payment_intent_id', sa.String(length=255), nullable=True),
        sa.Column('stripe_charge_id', sa.String(length=255), nullable=True),
        sa.Column('receipt_url', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['wallet_id'], ['wallets.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entries.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['discount_code_id'], ['discount_codes.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ledger_entry_id'),
        sa.UniqueConstraint('stripe_session_id'),
        sa.UniqueConstraint('stripe_payment_intent_id'),
    )
    op.create_index('ix_topups_wallet_id', 'topups', ['wallet_id'])
    op.create_index('ix_topups_stripe_charge_id', 'topups', ['stripe_charge_id'])
    op.create_index('ix_topups_created_at', 'topups', ['created_at'])
    op.create_table(
        'stripe_events',
        sa.Column('id', sa.String(length=255), nullable=False),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('processed_at', sa.DateTime(), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_stripe_events_type', 'stripe_events', ['type'])
    op.create_index('ix_stripe_events_processed_at', 'stripe_events', ['processed_at'])


def downgrade():
    op.drop_table('stripe_events')
    op.drop_table('topups')
    op.drop_table('bonus_tiers')
