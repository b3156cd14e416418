"""Subscriptions and discount codes."""
import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Credits, Model, TimestampMixin


class Subscription(TimestampMixin, Model):
    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    cycle: Mapped[str] = mapped_column(String(16), default="monthly")  # monthly / yearly
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)  # active / canceled / ended / past_due
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    current_period_end: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The first failed renewal payment of the current period: the grace period runs from it.
    past_due_since: Mapped[dt.datetime | None] = mapped_column(DateTime)

    org = relationship("Organization")
    plan = relationship("Plan")


class DiscountCode(TimestampMixin, Model):
    """A promotional code applied to a top-up: a percent bonus or a fixed credit amount."""

    __tablename__ = "discount_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="percent")  # percent / fixed
    percent_bps: Mapped[int | None] = mapped_column(Integer)  # 1000 = 10%
    amount: Mapped[int | None] = mapped_column(Credits)
    usage_limit: Mapped[int | None] = mapped_column(Integer)  # None = unlimited
    redemption_count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return self.code


class DiscountRedemption(TimestampMixin, Model):
    __tablename__ = "discount_redemptions"
    __table_args__ = (UniqueConstraint("code_id", "wallet_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id", ondelete="CASCADE"), index=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id", ondelete="RESTRICT"))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="SET NULL"))
    amount: Mapped[int] = mapped_column(Credits, default=0)

    code = relationship("DiscountCode")
