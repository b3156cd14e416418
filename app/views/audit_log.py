"""The audit log: read-only, filterable, exportable."""
from flask import request
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..models import AuditLog
from ..roles import AUDIT
from .base import when
from .details import details_table
from .csv_export import ExportButtonMixin, csv_response, within_dates

_CSV = ["id", "created_at", "actor_id", "actor_name", "action", "target_type", "target_id", "ip", "user_agent", "details"]


class AuditLogView(ExportButtonMixin, ModelView):
    datamodel = SQLAInterface(AuditLog)
    route_base = "/admin/audit"
    class_permission_name = AUDIT
    base_permissions = ["can_list", "can_show", "can_export"]

    list_title = _l("Audit log")
    list_columns = ["created_at", "actor_name", "action", "target_type", "target_id", "ip"]
    search_columns = ["action", "actor_name", "target_type", "target_id", "ip", "created_at", "user_agent"]
    order_columns = ["created_at", "actor_name", "action", "target_type", "ip"]
    show_columns = ["created_at", "actor_name", "action", "target_type", "target_id", "ip", "user_agent", "details"]
    base_order = ("id", "desc")
    list_template = "admin/list_with_export.html"
    export_params = {"action": "action", "actor_name": "actor", "target_type": "target_type"}
    formatters_columns = {"created_at": when, "details": details_table,
                          "actor_name": lambda name: name or _l("system")}
    label_columns = {"created_at": _l("When"), "actor_name": _l("Who"), "action": _l("Action"),
                     "target_type": _l("Target type"), "target_id": _l("Target id"), "ip": _l("IP"),
                     "user_agent": _l("User agent"), "details": _l("Details")}

    @expose("/export.csv")
    @has_access
    def export(self):
        """CSV of the log, filtered by ?action=&actor=&target_type=&start=&end=."""
        table = AuditLog.__table__
        stmt = select(table).order_by(table.c.id)
        for arg, column in (("action", table.c.action), ("actor", table.c.actor_name),
                            ("target_type", table.c.target_type)):
            if request.args.get(arg):
                stmt = stmt.where(column == request.args[arg])
        try:
            stmt = within_dates(stmt, table.c.created_at)
        except ValueError:
            return "Date range: dates are YYYY-MM-DD", 400

        def make_rows(conn):
            for r in conn.execution_options(stream_results=True).execute(stmt):
                yield [r.id, r.created_at.isoformat(), r.actor_id, r.actor_name, r.action, r.target_type,
                       r.target_id, r.ip, r.user_agent, r.details]

        return csv_response("audit-log.csv", _CSV, make_rows)

