"""Re-exports every model so Alembic and callers import from one place."""
from .api_key import ApiKey, KeyModelSpend, KeyReveal
from .audit import AuditLog
from .base import (DevPlan, KeyStatus, OrgRole, OrgStatus, ProviderKind, TxStatus, TxType,
                   UserTier, utcnow)
from .billing import DiscountCode, DiscountRedemption, Subscription
from .catalog import (LlmModel, ModelGroup, ModelRoute, Provider, UserAllowedGroup, UserPublicGroup,
                      model_group_members, model_plans)
from .gift import GiftRequest, GiftStatus
from .notify import Event, Notification, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .payments import BonusTier, StripeEvent, Topup
from .org import Membership, Organization, OrgInvite, Plan, Project
from .signin import OrgSso, Passkey, RecoveryCode, UserIdentity
from .rollup import LedgerDaily, OrgListing, PlatformSetting, UsageDaily, UsageDailyOrgModel, UsageHourly
from .response import StoredResponse
from .task import AsyncTask
from .unsettled import UnsettledUsage
from .usage import UsageLog
from .user import TollgateUser
from .wallet import LedgerEntry, Wallet

__all__ = [
    "ApiKey", "KeyModelSpend", "KeyReveal", "AuditLog", "DevPlan", "KeyStatus", "OrgRole", "OrgStatus",
    "ProviderKind", "TxStatus", "TxType", "UserTier", "utcnow", "DiscountCode",
    "DiscountRedemption", "Subscription", "LlmModel", "ModelGroup", "ModelRoute", "Provider",
    "UserAllowedGroup", "UserPublicGroup", "model_group_members", "model_plans", "Event", "Notification", "WebhookAttempt",
    "WebhookDelivery", "WebhookEndpoint", "Membership", "Organization", "OrgInvite", "Plan", "Project",
    "AsyncTask", "StoredResponse", "UnsettledUsage", "UsageLog", "TollgateUser", "LedgerEntry", "Wallet",
    "LedgerDaily", "OrgListing", "OrgSso", "Passkey", "RecoveryCode", "UserIdentity", "PlatformSetting", "UsageDaily", "UsageDailyOrgModel",
    "UsageHourly",
    "BonusTier", "StripeEvent", "Topup",
    "GiftRequest", "GiftStatus",
]
