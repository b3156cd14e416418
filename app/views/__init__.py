"""The back office (/admin): every Flask-AppBuilder view and menu entry is registered here."""
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import roles
from ..labels import label
from ..moments import when


# Literal labels so Babel extracts them; the untranslated names are the permission names.
CATEGORY_LABELS = {"Dashboards": _l("Dashboards"), "Customers": _l("Customers"), "Catalog": _l("Catalog"),
                   "Billing": _l("Billing"), "Platform": _l("Platform")}
MENU_LABELS = {"Overview": _l("Overview"), "Platform metrics": _l("Platform metrics"), "Usage": _l("Usage"),
               "Organizations": _l("Organizations"), "Users": _l("Users"), "Model groups": _l("Model groups"),
               "Available models": _l("Available models"), "Providers": _l("Providers"),
               "Discounts": _l("Discounts"), "Bonus ladder": _l("Bonus ladder"), "Plans": _l("Plans"),
               "Stripe events": _l("Stripe events"), "Transactions": _l("Transactions"), "Settings": _l("Settings"),
               "Audit log": _l("Audit log"),
               "Unsettled usage": _l("Unsettled usage"), "Gift requests": _l("Gift requests"),
               "Request logs": _l("Request logs"), "Background jobs": _l("Background jobs")}


def register_admin_views(appbuilder) -> None:
    from .audit_log import AuditLogView
    from .base import cost_cell, money_cell, usd, yes_no
    from .bonus_tiers import BonusTierView
    from .discounts import DiscountView
    from .errors import forbidden
    from .gift_requests import GiftRequestView
    from .groups import ModelGroupView
    from .llm_models import LlmModelView
    from .orgs import OrgRecordView, OrgView
    from .overview import OverviewView, PlatformMetricsView
    from .plans import PlanView
    from .providers import ProviderView
    from .request_logs import RequestLogView
    from .settings import SettingsView
    from .stripe_events import StripeEventView
    from .transactions import TransactionView
    from .unsettled import UnsettledUsageView
    from .usage import UsageView
    from .users import UserView

    current_app.jinja_env.filters.update(usd=usd, money=money_cell, cost=cost_cell, when=when, yes_no=yes_no,
                                   label=label)
    current_app.register_error_handler(403, forbidden)
    current_app.add_url_rule("/favicon.ico", "favicon", lambda: current_app.send_static_file("favicon.ico"))
    _one_users_screen(appbuilder)
    menu = roles.MENU
    # (view, icon); the menu name doubles as the menu_access permission name, the category
    # comes from roles.CATEGORY so menus and role grants agree.
    entries = [
        (OverviewView, "fa-dashboard"), (PlatformMetricsView, "fa-line-chart"), (UsageView, "fa-bar-chart"),
        (RequestLogView, "fa-list"),
        (OrgView, "fa-building"), (UserView, "fa-users"),
        (ModelGroupView, "fa-object-group"), (LlmModelView, "fa-cubes"), (ProviderView, "fa-plug"),
        (TransactionView, "fa-exchange"), (GiftRequestView, "fa-gift"), (DiscountView, "fa-tags"),
        (BonusTierView, "fa-gift"), (PlanView, "fa-list"), (StripeEventView, "fa-cc-stripe"),
        (UnsettledUsageView, "fa-exclamation-triangle"),
        (SettingsView, "fa-cog"), (AuditLogView, "fa-history"),
    ]
    for view, icon in entries:
        name = menu[view.class_permission_name]
        category = roles.CATEGORY[view.class_permission_name]
        appbuilder.add_view(view, name, label=MENU_LABELS[name], icon=icon, category=category,
                            category_label=CATEGORY_LABELS[category])
    appbuilder.add_view_no_menu(OrgRecordView)
    if current_app.config.get("REDIS_URL"):
        # rq-dashboard (app/rq_admin.py): queues and failed jobs; it lets in the Admin role only.
        appbuilder.add_link("Background jobs", href="/admin/rq/", icon="fa-tasks", label=MENU_LABELS["Background jobs"],
                            category="Platform", category_label=CATEGORY_LABELS["Platform"])


def _one_users_screen(appbuilder) -> None:
    """Customers › Users is the Users screen; FAB's own list stays reachable (roles) but leaves the menu."""
    for item in appbuilder.menu.menu:
        if item.name == "Security":
            item.childs = [child for child in item.childs if child.name != "List Users"]
    # FAB's list stays reachable; its times read like every other screen's, not as Python prints them.
    fab_users = appbuilder.sm.user_view
    fab_users.formatters_columns = {**fab_users.formatters_columns,
                                    "created_on": when, "changed_on": when, "last_login": when}
