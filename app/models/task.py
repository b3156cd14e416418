"""A row per background job a user started, so the console can show its progress.

Gateway calls run as tasks (an image, speech or a transcription asked for with
``tollgate_async``) also keep their input until the job ran and their result for the
log retention period, so the owner can download it.
"""
import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .base import Model, TimestampMixin


class AsyncTask(TimestampMixin, Model):
    __tablename__ = "async_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64), unique=True)  # the RQ job id
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued / started / finished / failed
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Gateway tasks: whose wallet was held, the request they answer, and its input and output.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    request_id: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    upload: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # dropped once the job ran
    output: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    output_type: Mapped[str | None] = mapped_column(String(128))
