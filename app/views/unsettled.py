"""Usage not booked the normal way: parked, unsettled and sweep-settled records, with totals."""
from flask_appbuilder import BaseView, expose, has_access

from ..billing import reconcile
from ..roles import UNSETTLED


class UnsettledUsageView(BaseView):
    route_base = "/admin/unsettled"
    class_permission_name = UNSETTLED
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("admin/unsettled.html", totals=reconcile.summary(),
                                    records=reconcile.open_records(50))
