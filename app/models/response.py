"""Responses the caller asked to keep (``store: true`` on /v1/responses), for retrieval and follow-ups."""
import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model, utcnow


class StoredResponse(Model):
    """Visible to the org that made it (or, for an individual's key, to that user); purged with
    the org's usage-log retention."""
    __tablename__ = "stored_responses"
    __table_args__ = (Index("ix_stored_responses_org_created", "org_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # resp_..., as the caller sees it
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    # The conversation sent (earlier turns included) and the response object returned: together
    # they are what a previous_response_id continues from.
    input_items: Mapped[list] = mapped_column(JSON, nullable=False)
    response: Mapped[dict] = mapped_column(JSON, nullable=False)
