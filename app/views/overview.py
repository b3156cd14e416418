"""The Overview dashboard at /admin/ and the index view that sends signed-in staff there."""
import datetime as dt

from flask import redirect, url_for
from flask_appbuilder import BaseView, IndexView, expose, has_access
from flask_login import current_user

from ..billing.units import credits_to_usd
from ..reporting import dashboards, live
from ..roles import OVERVIEW, PLATFORM, PLATFORM_ROLES


class TollgateIndexView(IndexView):
    """FAB's home page, where login lands: the back office for platform staff, the console for
    everyone else, the login page for anonymous callers."""

    @expose("/")
    def index(self):
        if current_user.is_authenticated:
            staff = any(role.name in PLATFORM_ROLES for role in current_user.roles)
            return redirect(url_for("OverviewView.index" if staff else "console.home"))
        return redirect(url_for(self.appbuilder.sm.auth_view.endpoint + ".login"))


class OverviewView(BaseView):
    route_base = "/admin"
    class_permission_name = OVERVIEW
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        today = dt.date.today()
        trend = dashboards.balance_trend(30, today)
        balance_chart = {"labels": [d for d, _ in trend],
                         "datasets": [{"label": "USD", "data": [float(credits_to_usd(b)) for _, b in trend]}]}
        return self.render_template("admin/overview.html", today=today, totals=dashboards.today_totals(today),
                                    tiers=dashboards.tier_breakdown(today), balance_chart=balance_chart,
                                    fresh=live.freshness())


class PlatformMetricsView(BaseView):
    route_base = "/admin/platform"
    class_permission_name = PLATFORM
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        since = dt.date.today() - dt.timedelta(days=89)
        return self.render_template("admin/platform.html", totals=dashboards.platform_totals(),
                                    series=dashboards.daily_series(since))
