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
GIFT_REQUESTS = "GiftRequestView"
REQUEST_LOGS = "RequestLogView"

# Admin REST API resources (app/admin_api/): FAB permission view names of the API classes.
ORGS_API = "OrgApi"
ORG_RECORDS_API = "OrgRecordApi"
PROJECTS_API = "ProjectApi"
USERS_API = "UserApi"
METRICS_API = "MetricsApi"
OPENAPI = "OpenApi"  # FAB's own view serving /api/v1/_openapi

# Menu entries (FAB checks "menu_access" on the entry's name).
MENU = {
    OVERVIEW: "Overview", PLATFORM: "Platform metrics", USAGE: "Usage", ORGS: "Organizations",
    USERS: "Users", GROUPS: "Model groups", MODELS: "Available models", PROVIDERS: "Providers",
    DISCOUNTS: "Discounts", BONUS_LADDER: "Bonus ladder", PLANS: "Plans", STRIPE_EVENTS: "Stripe events",
    TRANSACTIONS: "Transactions", SETTINGS: "Settings", AUDIT: "Audit log",
    UNSETTLED: "Unsettled usage", GIFT_REQUESTS: "Gift requests", REQUEST_LOGS: "Request logs",
}
# The menu category each view sits in: a role sees a category only when it opens one of its views.
CATEGORY = {
    OVERVIEW: "Dashboards", PLATFORM: "Dashboards", USAGE: "Dashboards", REQUEST_LOGS: "Dashboards", ORGS: "Customers", USERS: "Customers",
    GROUPS: "Catalog", MODELS: "Catalog", PROVIDERS: "Catalog", TRANSACTIONS: "Billing", GIFT_REQUESTS: "Billing",
    DISCOUNTS: "Billing", BONUS_LADDER: "Billing", PLANS: "Billing", STRIPE_EVENTS: "Billing", UNSETTLED: "Billing", SETTINGS: "Platform", AUDIT: "Platform",
}

READ = ("can_list", "can_show")

_SUPPORT = {
    OVERVIEW: ("can_index",), USAGE: ("can_index",),
    ORGS: READ + ("can_detail", "can_gift"), USERS: READ,
    GROUPS: READ, MODELS: READ, GIFT_REQUESTS: READ, REQUEST_LOGS: READ,
}
_FINANCE = {
    OVERVIEW: ("can_index",), PLATFORM: ("can_index",), USAGE: ("can_index", "can_export"),
    ORGS: READ + ("can_detail", "can_adjust", "can_export"), TRANSACTIONS: READ + ("can_export", "can_refund"),
    DISCOUNTS: READ, BONUS_LADDER: READ, PLANS: READ, STRIPE_EVENTS: READ, UNSETTLED: ("can_index",),
    GIFT_REQUESTS: READ + ("can_approve", "can_reject"),
}
_AUDITOR = {
    OVERVIEW: ("can_index",), PLATFORM: ("can_index",), USAGE: ("can_index", "can_export"),
    ORGS: READ + ("can_detail", "can_export"), USERS: READ, GROUPS: READ, MODELS: READ, PROVIDERS: READ,
    DISCOUNTS: READ, BONUS_LADDER: READ, PLANS: READ, STRIPE_EVENTS: READ, TRANSACTIONS: READ + ("can_export",),
    SETTINGS: ("can_index",),
    AUDIT: READ + ("can_export",), UNSETTLED: ("can_index",), GIFT_REQUESTS: READ,
    REQUEST_LOGS: READ + ("can_export",),
}

# Each API permission follows one screen permission: a role that may open the screen may call
# the API, so the two can never disagree. Writes (OrgRecordApi, UserApi can_post/can_put) follow
# no screen grant any role holds: they stay Admin's, as the screens' edits do.
API_FOLLOWS = {
    (ORGS_API, "can_get"): (ORGS, "can_list"),
    (PROJECTS_API, "can_get"): (ORGS, "can_detail"),
    (USERS_API, "can_get"): (USERS, "can_list"),
    (METRICS_API, "can_org"): (ORGS, "can_detail"),
    (METRICS_API, "can_platform"): (PLATFORM, "can_index"),
}


def _with_api(grants: dict) -> dict:
    api = {}
    for (view, perm), (screen, screen_perm) in API_FOLLOWS.items():
        if screen_perm in grants.get(screen, ()):
            api.setdefault(view, ())
            api[view] += (perm,)
    if api:
        api[OPENAPI] = ("can_get",)  # the API's description, for any role that may call some of it
    return {**grants, **api}


ROLE_GRANTS = {"Support": _with_api(_SUPPORT), "Finance": _with_api(_FINANCE), "Auditor": _with_api(_AUDITOR)}
PLATFORM_ROLES = ("Admin", *ROLE_GRANTS)


def _anchored(name: str) -> str:
    return f"^{re.escape(name)}$"


def fab_roles() -> dict[str, list[list[str]]]:
    """FAB_ROLES: explicit (view, permission) pairs per role, plus the menus they open."""
    roles = {}
    for role, grants in ROLE_GRANTS.items():
        pairs = [[_anchored(view), _anchored(perm)] for view, perms in grants.items() for perm in perms]
        pairs += [[_anchored(MENU[view]), "^menu_access$"] for view in grants if view in MENU]
        categories = sorted({CATEGORY[view] for view in grants if view in CATEGORY})
        pairs += [[_anchored(category), "^menu_access$"] for category in categories]
        roles[role] = pairs
    return roles


FAB_ROLES = fab_roles()
