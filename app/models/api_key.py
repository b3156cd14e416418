"""API keys. Only the SHA-256 of the secret is stored; the secret is shown once."""
import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Credits, KeyStatus, Model, TimestampMixin, str_enum, utcnow


class ApiKey(TimestampMixin, Model):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16), index=True)  # "tg-AbCdEfGh", shown in lists
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    # The wallet this key spends from: the org's, or the user's own for individuals.
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id", ondelete="RESTRICT"), index=True)
    allowed_models: Mapped[list | None] = mapped_column(JSON)  # None or [] = every model the user may call
    per_request_cap: Mapped[int | None] = mapped_column(Credits)
    rpm_limit: Mapped[int | None] = mapped_column(Integer)
    tpm_limit: Mapped[int | None] = mapped_column(Integer)
    quota: Mapped[int | None] = mapped_column(Credits)  # lifetime cap; None = unlimited
    cap_5h: Mapped[int | None] = mapped_column(Credits)
    cap_1d: Mapped[int | None] = mapped_column(Credits)
    cap_7d: Mapped[int | None] = mapped_column(Credits)
    model_caps: Mapped[dict | None] = mapped_column(JSON)  # {"gpt-5-4": 50000000}
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[KeyStatus] = mapped_column(str_enum(KeyStatus), default=KeyStatus.active, index=True)
    spent: Mapped[int] = mapped_column(Credits, default=0, nullable=False)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user = relationship("TollgateUser")
    org = relationship("Organization")
    project = relationship("Project")
    wallet = relationship("Wallet")
    model_spends = relationship("KeyModelSpend", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class KeyModelSpend(Model):
    """Lifetime spend of one key on one model, for per-model quota caps."""

    __tablename__ = "key_model_spend"
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    spent: Mapped[int] = mapped_column(Credits, default=0, nullable=False)


class KeyReveal(Model):
    """A secret an owner or admin issued to a member, kept encrypted until the member reads it once.

    Reading it deletes the row, so the secret exists in clear in exactly one response.
    """

    __tablename__ = "key_reveals"
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    key = relationship(ApiKey)
