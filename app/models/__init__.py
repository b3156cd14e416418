"""Re-exports every model so Alembic and callers import from one place."""
from .api_key import ApiKey, KeyModelSpend
from .audit import AuditLog
from .base import (DevPlan, KeyStatus, OrgRole, OrgStatus, ProviderKind, TxStatus, TxType,
                   UserTier, utcnow)
from .billing import DiscountCode, DiscountRedemption, Subscription
from .catalog import (LlmModel, ModelGroup, ModelRoute, Provider, UserAllowedGroup,
                      model_group_members, model_plans)
from .notify import Event, Notification, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .payments import BonusTier, StripeEvent, Topup
from .org import Membership, Organization, OrgInvite, Plan, Project
from .rollup import LedgerDaily, OrgListing, PlatformSetting, UsageDaily, UsageHourly
from .task import AsyncTask
from .unsettled import UnsettledUsage
from .usage import UsageLog
from .user import TollgateUser
from .wallet import LedgerEntry, Wallet

__all__ = [
    "ApiKey", "KeyModelSpend", "AuditLog", "DevPlan", "KeyStatus", "OrgRole", "OrgStatus",
    "ProviderKind", "TxStatus", "TxType", "UserTier", "utcnow", "DiscountCode",
    "DiscountRedemption", "Subscription", "LlmModel", "ModelGroup", "ModelRoute", "Provider",
    "UserAllowedGroup", "model_group_members", "model_plans", "Event", "Notification", "WebhookAttempt",
    "WebhookDelivery", "WebhookEndpoint", "Membership", "Organization", "OrgInvite", "Plan", "Project",
    "AsyncTask", "UnsettledUsage", "UsageLog", "TollgateUser", "LedgerEntry", "Wallet",
    "BonusTier", "StripeEvent", "Topup",
    "LedgerDaily", "OrgListing", "PlatformSetting", "UsageDaily", "UsageHourly",
]
