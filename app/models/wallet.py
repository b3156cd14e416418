"""Wallets and the ledger: the only place balances live.

``Wallet.balance`` always equals the sum of its completed ledger entries; both are only
written by ``app.billing.money``.
"""
import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, JSON
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import BigId, Credits, Model, TimestampMixin, TxStatus, TxType, str_enum


class Wallet(TimestampMixin, Model):
    __tablename__ = "wallets"
    __table_args__ = (
        CheckConstraint("(org_id IS NULL) <> (user_id IS NULL)", name="ck_wallet_one_owner"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: a wallet and its ledger outlive any attempt to delete their owner's row;
    # users and orgs are soft-deleted instead (app/accounts.py).
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="RESTRICT"), unique=True)
    balance: Mapped[int] = mapped_column(Credits, default=0, nullable=False)
    # Running totals kept by the money module so lists can sort on them without scanning the ledger.
    lifetime_added: Mapped[int] = mapped_column(Credits, default=0, nullable=False)
    lifetime_topup: Mapped[int] = mapped_column(Credits, default=0, nullable=False)
    lifetime_spent: Mapped[int] = mapped_column(Credits, default=0, nullable=False)
    # Set when a low-balance alert goes out; cleared once the balance is back above the threshold,
    # so each drop below it alerts once (app/jobs/alerts.py).
    low_balance_alerted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    org = relationship("Organization", back_populates="wallet")
    user = relationship("TollgateUser", back_populates="wallet")

    def __repr__(self) -> str:
        return f"wallet #{self.id} of {self.org or self.user}"


class LedgerEntry(Model):
    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_wallet_created", "wallet_id", "created_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id", ondelete="RESTRICT"))
    type: Mapped[TxType] = mapped_column(str_enum(TxType), index=True)
    status: Mapped[TxStatus] = mapped_column(str_enum(TxStatus), default=TxStatus.completed, index=True)
    amount: Mapped[int] = mapped_column(Credits, nullable=False)  # signed: credits in > 0, out < 0
    balance_after: Mapped[int | None] = mapped_column(Credits)  # None while pending or failed
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)
    # Idempotency: a Stripe event id, a request id, a batch id... applied at most once.
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    details: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    wallet = relationship("Wallet")
    actor = relationship("TollgateUser")

    # Shown beside the USD figures on the back office's detail page (1 USD = 1,000,000 credits).
    @property
    def exact_amount(self) -> str:
        return f"{self.amount:,}"

    @property
    def exact_balance_after(self) -> str:
        return "—" if self.balance_after is None else f"{self.balance_after:,}"
