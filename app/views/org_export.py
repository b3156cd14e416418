"""The organizations CSV: the list's columns, money to the cent in USD and exact in credits."""
from flask import request
from flask_appbuilder import expose, has_access
from sqlalchemy import select

from ..billing.units import usd_plain
from ..models import OrgListing, OrgStatus
from .csv_export import csv_response

_MONEY = ["credits", "all_time_credits", "total_spent"]
_CSV = ["id", "name", "billing_email", "plan", "dev_plan", "status", "created_at",
        *(f"{m}_usd" for m in _MONEY), *(f"{m}_credits" for m in _MONEY)]


class OrgExportMixin:
    @expose("/export.csv")
    @has_access
    def export(self):
        """?plan=&status=&q= (name contains); deleted organizations only when status=deleted."""
        table = OrgListing.__table__
        stmt = select(table).order_by(table.c.id)
        status = request.args.get("status")
        if status:
            if status not in {s.value for s in OrgStatus}:
                return f"Filter: status must be one of {', '.join(s.value for s in OrgStatus)}", 400
            stmt = stmt.where(table.c.status == status)
        else:
            stmt = stmt.where(table.c.status != OrgStatus.deleted.value)
        if request.args.get("plan"):
            stmt = stmt.where(table.c.plan == request.args["plan"])
        if request.args.get("q"):
            stmt = stmt.where(table.c.name.ilike(f"%{request.args['q']}%"))

        def make_rows(conn):
            for r in conn.execution_options(stream_results=True).execute(stmt):
                yield [r.id, r.name, r.billing_email, r.plan, getattr(r.dev_plan, "value", r.dev_plan),
                       getattr(r.status, "value", r.status), r.created_at.isoformat(timespec="seconds"),
                       *(usd_plain(getattr(r, m) or 0, 2) for m in _MONEY), *(getattr(r, m) for m in _MONEY)]

        return csv_response("organizations.csv", _CSV, make_rows)
