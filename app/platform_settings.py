"""Platform-wide settings an admin saves in the back office, read by views, jobs and the API."""
from flask import current_app

from .billing.units import usd_to_credits
from .extensions import db
from .models import PlatformSetting

LOW_BALANCE_KEY = "low_balance_default"


def platform_default() -> dict:
    """{"threshold": credits, "email": str | None}; the config value until an admin saves one."""
    row = db.session.get(PlatformSetting, LOW_BALANCE_KEY)
    if row and row.value:
        return row.value
    return {"threshold": usd_to_credits(current_app.config.get("LOW_BALANCE_DEFAULT_USD", "50")), "email": None}


GIFT_LIMITS_KEY = "gift_limits"
LIMITED_ROLES = ("Support",)  # roles that may gift and have limits; Admin gifts without one


def gift_limits() -> dict[str, dict[str, int | None]]:
    """{role: {"per_action": credits | None, "per_day": credits | None}}; None = no limit."""
    row = db.session.get(PlatformSetting, GIFT_LIMITS_KEY)
    if row and row.value:
        return row.value
    cfg = current_app.config
    return {"Support": {"per_action": usd_to_credits(cfg["GIFT_LIMIT_SUPPORT_PER_ACTION_USD"]),
                        "per_day": usd_to_credits(cfg["GIFT_LIMIT_SUPPORT_PER_DAY_USD"])}}


def save_gift_limits(limits: dict, actor_id: int) -> dict:
    """Store the limits (the caller audits and commits); returns the previous ones."""
    before = gift_limits()
    row = db.session.get(PlatformSetting, GIFT_LIMITS_KEY) or PlatformSetting(key=GIFT_LIMITS_KEY)
    row.value, row.updated_by_id = limits, actor_id
    db.session.add(row)
    return before
