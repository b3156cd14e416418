"""Events, in-app notifications, webhook endpoints, their deliveries and each delivery attempt."""
import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import BigId, Model, TimestampMixin


class Event(TimestampMixin, Model):
    """Something that happened, written in the transaction of the change that caused it.

    ``dispatched_at`` is set, in one transaction, with the notifications and webhook deliveries
    it fans out to: an event without it was never handed to its consumers (the sweep retries).
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_undispatched", "created_at", postgresql_where="dispatched_at IS NULL"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "evt_" + 32 hex
    type: Mapped[str] = mapped_column(String(64), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict] = mapped_column(JSON)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Notification(TimestampMixin, Model):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(64))  # e.g. "system.balance.notify.dispatched"
    title: Mapped[str] = mapped_column(String(256))
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class WebhookEndpoint(TimestampMixin, Model):
    __tablename__ = "webhook_endpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(1024))
    secret: Mapped[str] = mapped_column(String(128))  # signs each delivery (HMAC-SHA256)
    events: Mapped[list | None] = mapped_column(JSON)  # None = every event
    description: Mapped[str | None] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when deliveries kept failing for the whole retry schedule; cleared on re-enable.
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class WebhookDelivery(TimestampMixin, Model):
    """One event on its way to one endpoint; a replay is a new delivery of the same event."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / delivered / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    endpoint = relationship("WebhookEndpoint")


class WebhookAttempt(Model):
    """One HTTP try of a delivery: what the receiver answered and how long it took."""

    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    response_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)  # the first bytes of the answer
