"""One label per stored enum value, so statuses, roles, plans and transaction types read in the viewer's language.

Tables, badges and filters show ``label(value)``; the value itself stays in URLs, forms and CSV exports.
Values shared by several enums (``active``, ``pending``, ``failed``) mean the same thing wherever they appear.
"""
from flask_babel import lazy_gettext as _l

LABELS = {
    # organizations, keys, subscriptions
    "active": _l("active"),
    "paused": _l("paused"),
    "deleted": _l("deleted"),
    "revoked": _l("revoked"),
    "expired": _l("expired"),
    "canceled": _l("canceled"),
    "ended": _l("ended"),
    "past_due": _l("past due"),
    # development plans
    "none": _l("none"),
    "lite": _l("Lite"),
    "pro": _l("Pro"),
    "max": _l("Max"),
    # organization roles and user tiers
    "owner": _l("owner"),
    "admin": _l("admin"),
    "member": _l("member"),
    "viewer": _l("viewer"),
    "individual": _l("individual"),
    "enterprise": _l("enterprise"),
    # transaction types
    "credit_topup": _l("top-up"),
    "credit_refund": _l("refund"),
    "credit_gift": _l("gift"),
    "admin_credit": _l("admin credit"),
    "admin_debit": _l("admin debit"),
    "usage": _l("usage"),
    "subscription_start": _l("subscription start"),
    "subscription_renew": _l("subscription renewal"),
    "subscription_cancel": _l("subscription canceled"),
    "subscription_end": _l("subscription end"),
    "dev_plan_start": _l("plan start"),
    "dev_plan_upgrade": _l("plan upgrade"),
    "dev_plan_downgrade": _l("plan downgrade"),
    "dev_plan_cancel": _l("plan canceled"),
    "dev_plan_end": _l("plan end"),
    "dev_plan_renewal": _l("plan renewal"),
    # transactions, gift requests, webhook deliveries, tasks, unsettled calls
    "pending": _l("pending"),
    "completed": _l("completed"),
    "failed": _l("failed"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "delivered": _l("delivered"),
    "queued": _l("queued"),
    "started": _l("started"),
    "finished": _l("finished"),
    "open": _l("open"),
    "replayed": _l("replayed"),
    "written_off": _l("written off"),
    # calls
    "success": _l("success"),
    "error": _l("error"),
    # provider kinds
    "openai-compatible": _l("OpenAI-compatible"),
    "anthropic": _l("Anthropic"),
}


def label(value) -> str:
    """The translated label of an enum member or its stored value; unknown values show as they are."""
    if value is None:
        return ""
    raw = getattr(value, "value", value)
    text = LABELS.get(raw)
    return raw if text is None else str(text)
