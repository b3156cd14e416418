"""Shared column types, mixins and enumerations for Tollgate's models."""
import datetime as dt
import enum

from flask_appbuilder import Model
from sqlalchemy import BigInteger, DateTime, Enum, Integer
from sqlalchemy.orm import Mapped, mapped_column

# Credits are integers (1 USD = 1,000,000 credits). BIGINT on PostgreSQL; SQLite needs
# plain INTEGER for autoincrementing keys, hence the variant on ids.
Credits = BigInteger
BigId = BigInteger().with_variant(Integer(), "sqlite")

__all__ = ["Model", "Credits", "BigId", "utcnow", "TimestampMixin", "str_enum"]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)


def str_enum(enum_cls: type[enum.Enum], length: int = 32) -> Enum:
    """A VARCHAR + CHECK enum storing the value, portable across PostgreSQL and SQLite."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        create_constraint=True,
        name=f"ck_{enum_cls.__name__.lower()}",
    )


class OrgStatus(str, enum.Enum):
    active = "active"
    paused = "paused"
    deleted = "deleted"


class DevPlan(str, enum.Enum):
    none = "none"
    lite = "lite"
    pro = "pro"
    max = "max"


class OrgRole(str, enum.Enum):
    owner = "owner"
    admin = "admin"
    member = "member"
    viewer = "viewer"


class UserTier(str, enum.Enum):
    individual = "individual"
    enterprise = "enterprise"


class TxType(str, enum.Enum):
    credit_topup = "credit_topup"
    credit_refund = "credit_refund"
    credit_gift = "credit_gift"
    admin_credit = "admin_credit"
    admin_debit = "admin_debit"
    usage = "usage"
    subscription_start = "subscription_start"
    subscription_renew = "subscription_renew"
    subscription_cancel = "subscription_cancel"
    subscription_end = "subscription_end"
    dev_plan_start = "dev_plan_start"
    dev_plan_upgrade = "dev_plan_upgrade"
    dev_plan_downgrade = "dev_plan_downgrade"
    dev_plan_cancel = "dev_plan_cancel"
    dev_plan_end = "dev_plan_end"
    dev_plan_renewal = "dev_plan_renewal"


class TxStatus(str, enum.Enum):
    pending = "pending"
    completed = "completed"
    failed = "failed"


class ProviderKind(str, enum.Enum):
    openai = "openai-compatible"
    anthropic = "anthropic"


class KeyStatus(str, enum.Enum):
    active = "active"
    revoked = "revoked"
    expired = "expired"
