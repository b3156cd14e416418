"""A gift above the giver's limit waits here for a second person (Admin or Finance) to decide."""
import datetime as dt
import enum

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Credits, Model, TimestampMixin, str_enum


class GiftStatus(str, enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class GiftRequest(TimestampMixin, Model):
    __tablename__ = "gift_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    amount: Mapped[int] = mapped_column(Credits, nullable=False)  # credits, > 0
    comment: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)  # which limit it went over
    status: Mapped[GiftStatus] = mapped_column(str_enum(GiftStatus), default=GiftStatus.pending, index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    # The confirm page's one-time token: a form submitted twice files one request.
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))

    org = relationship("Organization")
    requested_by = relationship("TollgateUser", foreign_keys=[requested_by_id])
    decided_by = relationship("TollgateUser", foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"Gift request #{self.id}"
