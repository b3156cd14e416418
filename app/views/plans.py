"""Plans: what each tier costs and bundles, and the Stripe price a subscription to it is billed at."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from ..models import Plan
from ..roles import PLANS
from .base import AuditedModelView, usd


class PlanView(AuditedModelView):
    datamodel = SQLAInterface(Plan)
    route_base = "/admin/plans"
    class_permission_name = PLANS
    audit_type = "plan"
    base_permissions = ["can_list", "can_show", "can_edit"]  # plans are seeded data: no add, no delete

    list_title = _l("Plans")
    list_columns = show_columns = ["code", "name", "stripe_price_id", "bundled_credits", "messages_per_12h",
                                   "concurrency", "priority"]
    edit_columns = ["name", "stripe_price_id"]
    base_order = ("sort_order", "asc")
    label_columns = {"code": _l("Code"), "name": _l("Name"), "stripe_price_id": _l("Stripe price id"),
                     "bundled_credits": _l("Bundled credits per period"), "messages_per_12h": _l("Messages per 12h"),
                     "concurrency": _l("Concurrency"), "priority": _l("Priority")}
    description_columns = {"stripe_price_id": _l("The recurring price (price_...) in Stripe; empty: the plan "
                                                 "cannot be subscribed to")}
    formatters_columns = {"bundled_credits": usd}

    def pre_update(self, item):
        item.stripe_price_id = (item.stripe_price_id or "").strip() or None
        if item.stripe_price_id and not item.stripe_price_id.startswith("price_"):
            raise ValueError("Stripe price id: a Stripe price id starts with price_")
        super().pre_update(item)
