"""Providers, the model catalog, model groups and exclusive-group grants."""
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Column, ForeignKey, Integer, Numeric, String, Table,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Credits, Model, ProviderKind, TimestampMixin, str_enum

model_group_members = Table(
    "model_group_members",
    Model.metadata,
    Column("group_id", ForeignKey("model_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("model_id", ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
)

model_plans = Table(
    "model_plans",
    Model.metadata,
    Column("model_id", ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
    Column("plan_id", ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True),
)


class Provider(TimestampMixin, Model):
    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[ProviderKind] = mapped_column(str_enum(ProviderKind), default=ProviderKind.openai)
    base_url: Mapped[str] = mapped_column(String(512))
    # Fernet token; read and written through app.security_crypto, never shown back.
    api_key_encrypted: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # lower is tried first
    weight: Mapped[int] = mapped_column(Integer, default=1)  # share among equal priorities
    rpm_limit: Mapped[int | None] = mapped_column(Integer)
    timeout_s: Mapped[int] = mapped_column(Integer, default=60)
    # Empty: HTTPS_PROXY/NO_PROXY decide; "direct": never a proxy; else http://[user:pass@]host:port.
    proxy_url: Mapped[str | None] = mapped_column(String(512))
    # PEM text or a file path; when set, the only CAs this provider's certificate may chain to.
    ca_bundle: Mapped[str | None] = mapped_column(Text)
    # Anthropic providers only: the models answer Anthropic's structured-output parameter
    # (output_config.format); off, response_format is asked for as a forced tool call.
    structured_outputs: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")

    routes: Mapped[list["ModelRoute"]] = relationship(back_populates="provider", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.name


class ModelGroup(TimestampMixin, Model):
    __tablename__ = "model_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    # Exact decimal: 0.8 stays 0.8, never 0.8000000000000000444.
    multiplier: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal("1"))
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    models: Mapped[list["LlmModel"]] = relationship(secondary=model_group_members, back_populates="groups")

    def __repr__(self) -> str:
        return self.name


class LlmModel(TimestampMixin, Model):
    """A model callers can name, e.g. ``claude-sonnet-4-6``; prices in credits per 1M tokens."""

    __tablename__ = "models"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(128))
    upstream_name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16), default="chat")  # chat / embedding / image / speech / transcription
    context_length: Mapped[int] = mapped_column(Integer, default=128000)
    max_output_tokens: Mapped[int] = mapped_column(Integer, default=4096)
    input_price: Mapped[int] = mapped_column(Credits, default=0)
    output_price: Mapped[int] = mapped_column(Credits, default=0)
    cached_input_price: Mapped[int] = mapped_column(Credits, default=0)
    # Prompt-cache writes (Anthropic's cache_creation_input_tokens); None = the input price.
    cache_write_price: Mapped[int | None] = mapped_column(Credits)
    # Media models: credits per image by size and quality ({"1024x1024": {"standard": 40000}}),
    # per 1M characters of speech input, per second of transcribed audio.
    image_prices: Mapped[dict | None] = mapped_column(JSON)
    char_price: Mapped[int] = mapped_column(Credits, default=0, server_default="0")
    second_price: Mapped[int] = mapped_column(Credits, default=0, server_default="0")
    capabilities: Mapped[list | None] = mapped_column(JSON)  # ["vision", "tools", "streaming"]
    features: Mapped[dict | None] = mapped_column(JSON)  # feature flags
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    groups: Mapped[list["ModelGroup"]] = relationship(secondary=model_group_members, back_populates="models")
    # Empty = available on every plan.
    plans = relationship("Plan", secondary=model_plans)
    routes: Mapped[list["ModelRoute"]] = relationship(back_populates="model", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.public_id


class ModelRoute(Model):
    """One provider serving one model; the gateway tries routes by priority, then weight."""

    __tablename__ = "model_routes"
    __table_args__ = (UniqueConstraint("model_id", "provider_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    upstream_name: Mapped[str | None] = mapped_column(String(128))  # overrides the model's
    priority: Mapped[int | None] = mapped_column(Integer)  # overrides the provider's
    weight: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    model: Mapped["LlmModel"] = relationship(back_populates="routes")
    provider: Mapped["Provider"] = relationship(back_populates="routes")


class UserAllowedGroup(TimestampMixin, Model):
    """A grant of an exclusive model group to a user; public groups need none."""

    __tablename__ = "user_allowed_groups"
    __table_args__ = (UniqueConstraint("user_id", "group_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("model_groups.id", ondelete="CASCADE"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))

    user = relationship("TollgateUser", foreign_keys=[user_id])
    group = relationship("ModelGroup")


class UserPublicGroup(TimestampMixin, Model):
    """A public group a restricted user keeps. A user with no rows may call every public group;
    one with rows only those (app/group_access.py)."""

    __tablename__ = "user_public_groups"
    __table_args__ = (UniqueConstraint("user_id", "group_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("model_groups.id", ondelete="CASCADE"), index=True)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))

    group = relationship("ModelGroup")
    set_by = relationship("TollgateUser", foreign_keys=[set_by_id])
