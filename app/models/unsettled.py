"""Usage the settlement flusher could not book: kept in PostgreSQL until it is replayed or written off.

``kind`` says how it got here: ``parked`` (the flusher could not write the record; its
cost is still counted as unflushed spend by the Redis meter) or ``unsettled`` (Redis was
unreachable when the request ended, so nothing was counted anywhere). ``envelope`` is
the queued record as JSON with every non-ASCII character escaped, so a NUL from a
request survives here as the six characters ``\\u0000``.
"""
import datetime as dt

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import BigId, Credits, Model, utcnow

OPEN, REPLAYED, WRITTEN_OFF = "open", "replayed", "written_off"
PARKED, UNSETTLED = "parked", "unsettled"


class UnsettledUsage(Model):
    __tablename__ = "unsettled_usage"
    __table_args__ = (Index("ix_unsettled_usage_status_kind", "status", "kind"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # parked / unsettled
    status: Mapped[str] = mapped_column(String(16), default=OPEN)  # open / replayed / written_off
    # No foreign keys: a record parked because its wallet or key is gone must still be kept.
    wallet_id: Mapped[int | None] = mapped_column(BigInteger)
    api_key_id: Mapped[int | None] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(Credits, default=0)
    reason: Mapped[str] = mapped_column(Text)  # why it could not be booked (the last attempt's error)
    envelope: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # replays tried
    note: Mapped[str | None] = mapped_column(Text)  # who wrote it off and why
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
