"""Back-office read models: usage and ledger rollups, platform settings, the org listing.

Dashboards read these instead of scanning ``usage_logs`` per page view. Rollup rows are
rebuilt per period by ``app.reporting.rollups`` (delete + insert in one transaction), so
re-running a period always yields the same rows.
"""
import datetime as dt

from flask_appbuilder.models.decorators import renders
from markupsafe import Markup
from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from .base import BigId, Credits, Model, utcnow
from .org import Organization, Plan
from .wallet import Wallet


class _Sums:
    requests: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cached_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    input_cost: Mapped[int] = mapped_column(Credits, default=0)
    output_cost: Mapped[int] = mapped_column(Credits, default=0)
    cached_cost: Mapped[int] = mapped_column(Credits, default=0)
    cache_write_cost: Mapped[int] = mapped_column(Credits, default=0)
    total_cost: Mapped[int] = mapped_column(Credits, default=0)
    discount_savings: Mapped[int] = mapped_column(Credits, default=0)
    unbilled_cost: Mapped[int] = mapped_column(Credits, default=0)


class _UsageTotals(_Sums):
    # Plain ids, no foreign keys: a rollup outlives the keys and users it counts.
    org_id: Mapped[int | None] = mapped_column(Integer)
    project_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(Integer)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    model: Mapped[str | None] = mapped_column(String(128))


class UsageHourly(_UsageTotals, Model):
    __tablename__ = "usage_hourly"
    __table_args__ = (Index("ix_usage_hourly_org_hour", "org_id", "hour"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hour: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class UsageDaily(_UsageTotals, Model):
    __tablename__ = "usage_daily"
    __table_args__ = (Index("ix_usage_daily_org_day", "org_id", "day"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)


class UsageDailyOrgModel(_Sums, Model):
    """usage_daily summed per day, org and model: many times fewer rows, so the Usage screen's
    org/model/day groupings and the platform page read it instead of scanning usage_daily."""

    __tablename__ = "usage_daily_org_model"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    org_id: Mapped[int | None] = mapped_column(Integer)
    model: Mapped[str | None] = mapped_column(String(128))


class LedgerDaily(Model):
    """Completed ledger movements per day and type: revenue and the balance trend."""

    __tablename__ = "ledger_daily"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[int] = mapped_column(Credits, default=0)


class PlatformSetting(Model):
    """Platform-wide settings edited in the back office, e.g. the default low-balance alert."""

    __tablename__ = "platform_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id", ondelete="SET NULL"))


# The organizations list sorts and filters on wallet and plan columns; mapping one row per
# org over the join lets Flask-AppBuilder page, sort and filter all of them in SQL.
_org_listing = (
    select(
        Organization.id, Organization.name, Organization.billing_email, Plan.code.label("plan"),
        Organization.dev_plan, Organization.status, Organization.created_at,
        Wallet.id.label("wallet_id"), Wallet.balance.label("credits"),
        Wallet.lifetime_added.label("all_time_credits"), Wallet.lifetime_spent.label("total_spent"),
    )
    .select_from(Organization)
    .join(Plan, Plan.id == Organization.plan_id)
    .outerjoin(Wallet, Wallet.org_id == Organization.id)
    .subquery("org_listing")
)


class OrgListing(Model):
    __table__ = _org_listing
    __mapper_args__ = {"primary_key": [_org_listing.c.id]}

    def __repr__(self) -> str:
        return self.name

    @renders("name")  # sorting this column sorts by name, in SQL
    def name_and_id(self) -> Markup:
        return Markup('<a href="/admin/orgs/{0}/">{1}</a><br><small class="text-muted">#{0}</small>').format(self.id, self.name)
