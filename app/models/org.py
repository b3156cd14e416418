"""Organizations, their projects and members, and the plans they subscribe to."""
import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Credits, DevPlan, Model, OrgRole, OrgStatus, TimestampMixin, str_enum


class Plan(Model):
    """A subscription tier, kept as data so admins can edit it."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # free / pro / max / enterprise
    name: Mapped[str] = mapped_column(String(64))
    monthly_price: Mapped[int] = mapped_column(Credits, default=0)  # credits per month
    messages_per_12h: Mapped[int | None] = mapped_column(Integer)  # None = unlimited
    concurrency: Mapped[int] = mapped_column(Integer, default=4)  # requests in flight per org; 0 = no limit
    topup_bonus_bps: Mapped[int] = mapped_column(Integer, default=0)  # basis points: 500 = +5%
    # Credits granted at each paid period of a subscription (app/billing/subscriptions.py).
    bundled_credits: Mapped[int] = mapped_column(Credits, default=0, server_default="0", nullable=False)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    # The recurring Stripe price a subscription to this plan is billed at; None = not for sale.
    stripe_price_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return self.name


class Organization(TimestampMixin, Model):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    billing_email: Mapped[str | None] = mapped_column(String(320), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    dev_plan: Mapped[DevPlan] = mapped_column(str_enum(DevPlan), default=DevPlan.none)
    status: Mapped[OrgStatus] = mapped_column(str_enum(OrgStatus), default=OrgStatus.active, index=True)
    low_balance_threshold: Mapped[int | None] = mapped_column(Credits)
    low_balance_email: Mapped[str | None] = mapped_column(String(320))
    auto_recharge_threshold: Mapped[int | None] = mapped_column(Credits)
    auto_recharge_amount: Mapped[int | None] = mapped_column(Credits)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Days of raw usage logs kept (30, or 90 / 365 with extended archiving); rollups keep the rest.
    retention_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30", nullable=False)
    # Settings a new key of the org gets when its creator leaves them out, as /me/keys takes them
    # (key_fields.DEFAULTABLE), e.g. {"rpm_limit": 60, "cap_1d_usd": "10"}.
    key_defaults: Mapped[dict | None] = mapped_column(JSON)
    # Set with status "deleted": the org leaves the lists, its wallet and ledger stay.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    plan: Mapped["Plan"] = relationship(lazy="joined")
    projects: Mapped[list["Project"]] = relationship(back_populates="org", cascade="all, delete-orphan")
    memberships: Mapped[list["Membership"]] = relationship(back_populates="org", cascade="all, delete-orphan")
    wallet = relationship("Wallet", back_populates="org", uselist=False)

    def __repr__(self) -> str:
        return self.name


class Project(TimestampMixin, Model):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    # An archived project takes no new keys and leaves the pickers; its keys and usage stay.
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    org: Mapped["Organization"] = relationship(back_populates="projects")

    def __repr__(self) -> str:
        return self.name


class Membership(TimestampMixin, Model):
    __tablename__ = "org_memberships"
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[OrgRole] = mapped_column(str_enum(OrgRole), default=OrgRole.member)

    org: Mapped["Organization"] = relationship(back_populates="memberships")
    user = relationship("TollgateUser", back_populates="memberships")

    def __repr__(self) -> str:
        return f"{self.user} in {self.org} ({self.role.value})"




class OrgInvite(TimestampMixin, Model):
    """An invitation mailed to an address: used once, or withdrawn, or expired by its link's age."""

    __tablename__ = "org_invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[OrgRole] = mapped_column(str_enum(OrgRole), default=OrgRole.member)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    org: Mapped["Organization"] = relationship()

    def __repr__(self) -> str:
        return f"invite of {self.email} to {self.org_id} ({self.role.value})"
