"""Money in from Stripe: the top-up bonus ladder, top-ups and the Stripe events received.

A top-up's ``credit_topup`` ledger entry carries its status (pending, completed, failed);
the ``Topup`` row beside it holds what the ledger does not: the price charged, the
discount, the bonus and Stripe's ids.
"""
import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, JSON
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import BigId, Credits, Model, utcnow


class BonusTier(Model):
    """A step of the top-up bonus ladder: top-ups of at least ``min_amount`` get ``bonus_bps`` more credits."""

    __tablename__ = "bonus_tiers"
    id: Mapped[int] = mapped_column(primary_key=True)
    min_amount: Mapped[int] = mapped_column(Credits, unique=True)  # face value in credits
    bonus_bps: Mapped[int] = mapped_column(Integer)  # basis points: 300 = +3%

    def __repr__(self) -> str:
        return f"{self.min_amount / 1_000_000:,.2f} USD: +{self.bonus_bps / 100:g}%"


class Topup(Model):
    __tablename__ = "topups"
    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id", ondelete="RESTRICT"), index=True)
    ledger_entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_entries.id", ondelete="RESTRICT"),
                                                 unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    face_amount: Mapped[int] = mapped_column(Credits)  # credits bought at face value
    price: Mapped[int] = mapped_column(Credits)  # charged, after the discount (in credits: 1 USD = 1,000,000)
    bonus: Mapped[int] = mapped_column(Credits, default=0)  # ladder + plan bonus credits
    ladder_bps: Mapped[int] = mapped_column(Integer, default=0)
    plan_bps: Mapped[int] = mapped_column(Integer, default=0)
    discount_code_id: Mapped[int | None] = mapped_column(ForeignKey("discount_codes.id", ondelete="SET NULL"))
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    receipt_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)

    ledger_entry = relationship("LedgerEntry")
    wallet = relationship("Wallet")
    discount_code = relationship("DiscountCode")

    @property
    def credits(self) -> int:
        return self.face_amount + self.bonus

    @property
    def price_cents(self) -> int:
        return self.price // 10_000


class StripeEvent(Model):
    """Every verified webhook, stored before it is processed: its id makes a redelivery a no-op."""

    __tablename__ = "stripe_events"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # Stripe's evt_...
    type: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    # applied / ignored / rejected, with why in ``detail``
    outcome: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
