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
