"""One row per gateway request, success or failure, with its exact cost breakdown."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Numeric, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import BigId, Credits, Model


class UsageLog(Model):
    __tablename__ = "usage_logs"
    __table_args__ = (
        Index("ix_usage_org_created", "org_id", "created_at"),
        Index("ix_usage_key_created", "api_key_id", "created_at"),
        Index("ix_usage_user_created", "user_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
    # RESTRICT on who called and what paid: a usage row is never orphaned by a delete.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="RESTRICT"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="RESTRICT"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    wallet_id: Mapped[int | None] = mapped_column(ForeignKey("wallets.id", ondelete="RESTRICT"))
    model: Mapped[str | None] = mapped_column(String(128), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="SET NULL"))
    endpoint: Mapped[str] = mapped_column(String(32))  # chat / messages / embeddings
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)  # part of prompt_tokens
    input_cost: Mapped[int] = mapped_column(Credits, default=0)
    output_cost: Mapped[int] = mapped_column(Credits, default=0)
    cached_cost: Mapped[int] = mapped_column(Credits, default=0)
    cache_write_cost: Mapped[int] = mapped_column(Credits, default=0)
    total_cost: Mapped[int] = mapped_column(Credits, default=0)
    discount_savings: Mapped[int] = mapped_column(Credits, default=0)
    # What the upstream's usage cost beyond the hold, which capped the charge: a loss.
    unbilled_cost: Mapped[int] = mapped_column(Credits, default=0)
    cost_clamped: Mapped[bool] = mapped_column(Boolean, default=False)
    multiplier: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal("1"))
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    ttft_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="success")  # success / error
    http_status: Mapped[int] = mapped_column(SmallInteger, default=200)
    error_type: Mapped[str | None] = mapped_column(String(64))
    stream: Mapped[bool] = mapped_column(Boolean, default=False)
    usage_estimated: Mapped[bool] = mapped_column(Boolean, default=False)  # counted locally

    # Read-only names for the back office's request log; the gateway writes ids only.
    org = relationship("Organization", viewonly=True)
    user = relationship("TollgateUser", viewonly=True)
    api_key = relationship("app.models.api_key.ApiKey", viewonly=True)  # FAB has an ApiKey model too
    provider = relationship("Provider", viewonly=True)
