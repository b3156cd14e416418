"""Platform (back office) roles as data: which view may do what.

Admin is not declared here: it is FAB's AUTH_ROLE_ADMIN and receives every permission
when `flask tollgate init` syncs them. The other roles are FAB "builtin" roles, checked
in memory against these pairs. Every pattern is anchored to one of our own view or menu
names, so no role can reach FAB's security views (/users/, /roles/) by accident.
"""
import re

# View names (FAB permission view menus), one per back-office view class.
OVERVIEW = "OverviewView"
PLATFORM = "PlatformMetricsView"
USAGE = "UsageView"
ORGS = "OrgView"
ORG_RECORDS = "OrgRecordView"
USERS = "UserView"
GROUPS = "ModelGroupView"
MODELS = "LlmModelView"
PROVIDERS = "ProviderView"
DISCOUNTS = "DiscountView"
BONUS_LADDER = "BonusTierView"
PLANS = "PlanView"
STRIPE_EVENTS = "StripeEventView"
TRANSACTIONS = "TransactionView"
SETTINGS = "SettingsView"
AUDIT = "AuditLogView"
UNSETTLED = "UnsettledUsageView"

# Menu entries (FAB checks "menu_access" on the entry's name).
MENU = {
    OVERVIEW: "Overview", PLATFORM: "Platform metrics", USAGE: "Usage", ORGS: "Organizations",
    USERS: "Users", GROUPS: "Model groups", MODELS: "Available models", PROVIDERS: "Providers",
    DISCOUNTS: "Discounts", BONUS_LADDER: "Bonus ladder", PLANS: "Plans", STRIPE_EVENTS: "Stripe events",
    TRANSACTIONS: "Transactions", SETTINGS: "Settings", AUDIT: "Audit log",
    UNSETTLED: "Unsettled usage",
}
CATEGORY_MENUS = ["Dashboards", "Customers", "Catalog", "Billing", "Platform"]

READ = ("can_list", "can_show")

_SUPPORT = {
    OVERVIEW: ("can_index",), USAGE: ("can_index",),
    ORGS: READ + ("can_detail", "can_gift"), USERS: READ,
    GROUPS: READ, MODELS: READ,
}
_FINANCE = {
    OVERVIEW: ("can_index",), PLATFORM: ("can_index",), USAGE: ("can_index", "can_export"),
    ORGS: READ + ("can_detail", "can_adjust"), TRANSACTIONS: READ + ("can_export", "can_refund"),
    DISCOUNTS: READ, BONUS_LADDER: READ, PLANS: READ, STRIPE_EVENTS: READ, UNSETTLED: ("can_index",),
}
_AUDITOR = {
    OVERVIEW: ("can_index",), PLATFORM: ("can_index",), USAGE: ("can_index", "can_export"),
    ORGS: READ + ("can_detail",), USERS: READ, GROUPS: READ, MODELS: READ, PROVIDERS: READ,
    DISCOUNTS: READ, BONUS_LADDER: READ, PLANS: READ, STRIPE_EVENTS: READ, TRANSACTIONS: READ + ("can_export",),
    SETTINGS: ("can_index",),
    AUDIT: READ + ("can_export",), UNSETTLED: ("can_index",),
}
ROLE_GRANTS = {"Support": _SUPPORT, "Finance": _FINANCE, "Auditor": _AUDITOR}
PLATFORM_ROLES = ("Admin", *ROLE_GRANTS)


def _anchored(name: str) -> str:
    return f"^{re.escape(name)}$"


def fab_roles() -> dict[str, list[list[str]]]:
    """FAB_ROLES: explicit (view, permission) pairs per role, plus the menus they open."""
    roles = {}
    for role, grants in ROLE_GRANTS.items():
        pairs = [[_anchored(view), _anchored(perm)] for view, perms in grants.items() for perm in perms]
        pairs += [[_anchored(MENU[view]), "^menu_access$"] for view in grants]
        pairs += [[_anchored(category), "^menu_access$"] for category in CATEGORY_MENUS]
        roles[role] = pairs
    return roles


FAB_ROLES = fab_roles()
