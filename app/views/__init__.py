"""The back office (/admin): every Flask-AppBuilder view and menu entry is registered here."""
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import roles


# Literal labels so Babel extracts them; the untranslated names are the permission names.
CATEGORY_LABELS = {"Dashboards": _l("Dashboards"), "Customers": _l("Customers"), "Catalog": _l("Catalog"),
                   "Billing": _l("Billing"), "Platform": _l("Platform")}
MENU_LABELS = {"Overview": _l("Overview"), "Platform metrics": _l("Platform metrics"), "Usage": _l("Usage"),
               "Organizations": _l("Organizations"), "Users": _l("Users"), "Model groups": _l("Model groups"),
               "Available models": _l("Available models"), "Providers": _l("Providers"),
               "Discounts": _l("Discounts"), "Bonus ladder": _l("Bonus ladder"), "Plans": _l("Plans"),
               "Stripe events": _l("Stripe events"), "Transactions": _l("Transactions"), "Settings": _l("Settings"),
               "Audit log": _l("Audit log"),
               "Unsettled usage": _l("Unsettled usage"), "Background jobs": _l("Background jobs")}


def register_admin_views(appbuilder) -> None:
    from .audit_log import AuditLogView
    from .base import usd
    from .bonus_tiers import BonusTierView
    from .discounts import DiscountView
    from .groups import ModelGroupView
    from .llm_models import LlmModelView
    from .orgs import OrgRecordView, OrgView
    from .overview import OverviewView, PlatformMetricsView
    from .plans import PlanView
    from .providers import ProviderView
    from .settings import SettingsView
    from .stripe_events import StripeEventView
    from .transactions import TransactionView
    from .unsettled import UnsettledUsageView
    from .usage import UsageView
    from .users import UserView

    current_app.jinja_env.filters["usd"] = usd
    menu = roles.MENU
    # (view, category, icon); the menu name doubles as the menu_access permission name.
    entries = [
        (OverviewView, "Dashboards", "fa-dashboard"), (PlatformMetricsView, "Dashboards", "fa-line-chart"),
        (UsageView, "Dashboards", "fa-bar-chart"),
        (OrgView, "Customers", "fa-building"), (UserView, "Customers", "fa-users"),
        (ModelGroupView, "Catalog", "fa-object-group"), (LlmModelView, "Catalog", "fa-cubes"),
        (ProviderView, "Catalog", "fa-plug"),
        (TransactionView, "Billing", "fa-exchange"), (DiscountView, "Billing", "fa-tags"),
        (BonusTierView, "Billing", "fa-gift"), (PlanView, "Billing", "fa-list"),
        (StripeEventView, "Billing", "fa-cc-stripe"),
        (UnsettledUsageView, "Billing", "fa-exclamation-triangle"),
        (SettingsView, "Platform", "fa-cog"), (AuditLogView, "Platform", "fa-history"),
    ]
    for view, category, icon in entries:
        name = menu[view.class_permission_name]
        appbuilder.add_view(view, name, label=MENU_LABELS[name], icon=icon, category=category,
                            category_label=CATEGORY_LABELS[category])
    appbuilder.add_view_no_menu(OrgRecordView)
    if current_app.config.get("REDIS_URL"):
        # rq-dashboard (app/rq_admin.py): queues and failed jobs; it lets in the Admin role only.
        appbuilder.add_link("Background jobs", href="/admin/rq/", icon="fa-tasks", label=MENU_LABELS["Background jobs"],
                            category="Platform", category_label=CATEGORY_LABELS["Platform"])
