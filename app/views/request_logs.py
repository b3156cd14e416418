"""The platform-wide request log: every gateway request, filterable, with a detail page and CSV.

Opening it filtered to one organization, key or user is a data access and is audited.
"""
from flask import request
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from .. import audit
from ..billing.units import usd_plain
from ..extensions import db
from ..models import UsageLog
from ..roles import REQUEST_LOGS
from .base import cost_cell, when, yes_no
from .csv_export import ExportButtonMixin, csv_response, within_dates

_COSTS = ["input_cost", "output_cost", "cached_cost", "cache_write_cost", "total_cost", "discount_savings",
          "unbilled_cost"]
_CSV = ["id", "created_at", "request_id", "org_id", "user_id", "api_key_id", "project_id", "model", "provider_id",
        "endpoint", "status", "http_status", "error_type", "prompt_tokens", "completion_tokens", "cached_tokens",
        "cache_write_tokens", *(f"{c}_usd" for c in _COSTS), *(f"{c}_credits" for c in _COSTS), "multiplier",
        "latency_ms", "ttft_ms", "stream"]
_FILTERS = {"org_id": UsageLog.org_id, "api_key_id": UsageLog.api_key_id, "user_id": UsageLog.user_id,
            "model": UsageLog.model, "status": UsageLog.status}


def _org_link(org) -> Markup:
    if org is None:
        return Markup("—")
    return Markup('<a href="/admin/orgs/{}/">{}</a>').format(org.id, org.name)


class RequestLogView(ExportButtonMixin, ModelView):
    datamodel = SQLAInterface(UsageLog)
    route_base = "/admin/requests"
    class_permission_name = REQUEST_LOGS
    base_permissions = ["can_list", "can_show", "can_export"]

    list_title = _l("Request logs")
    show_title = _l("Request")
    list_columns = ["created_at", "request_id", "org", "user", "api_key", "model", "provider", "status",
                    "http_status", "total_cost", "latency_ms"]
    search_columns = ["created_at", "org_id", "api_key_id", "user_id", "model", "status", "http_status",
                      "request_id", "error_type"]
    order_columns = ["created_at", "model", "status", "http_status", "total_cost", "latency_ms"]
    show_columns = ["created_at", "request_id", "org", "user", "api_key", "project_id", "model", "provider",
                    "endpoint", "stream", "status", "http_status", "error_type", "prompt_tokens",
                    "completion_tokens", "cached_tokens", "cache_write_tokens", *_COSTS, "cost_clamped",
                    "multiplier", "latency_ms", "ttft_ms", "usage_estimated"]
    base_order = ("created_at", "desc")
    list_template = "admin/list_with_export.html"
    export_params = {"org_id": "org_id", "api_key_id": "api_key_id", "user_id": "user_id", "model": "model",
                     "status": "status"}
    label_columns = {"created_at": _l("Time"), "request_id": _l("Request id"), "org": _l("Organization"),
                     "org_id": _l("Organization id"), "user": _l("User"), "user_id": _l("User id"),
                     "api_key": _l("API key"), "api_key_id": _l("API key id"), "model": _l("Model"),
                     "provider": _l("Provider"), "status": _l("Status"), "http_status": _l("HTTP status"),
                     "total_cost": _l("Cost"), "latency_ms": _l("Latency (ms)"), "error_type": _l("Error")}
    formatters_columns = {
        "created_at": when, "org": _org_link, "user": lambda u: u.username if u else "—",
        "api_key": lambda k: Markup("<code>{}…</code>").format(k.prefix) if k else "—",
        "provider": lambda p: p.name if p else "—", "error_type": lambda e: e or "—",
        "stream": yes_no, "cost_clamped": yes_no, "usage_estimated": yes_no,
        "latency_ms": lambda v: "—" if v is None else f"{v:,}", "ttft_ms": lambda v: "—" if v is None else f"{v:,}",
        "project_id": lambda v: v or "—", **{c: cost_cell for c in _COSTS},
    }

    def render_template(self, template, **kwargs):
        scoped = {k: v for k, v in request.args.items() if k.startswith("_flt_") and k.split("_", 3)[-1] in
                  ("org_id", "api_key_id", "user_id")}
        if template == self.list_template and scoped:
            audit.record("data.view", None, {"screen": "request_logs", "filters": scoped})
            db.session.commit()
        if template == self.show_template:
            log = db.session.get(UsageLog, (request.view_args or {}).get("pk"))
            if log is not None:
                audit.record("data.view", ("UsageLog", log.id), {"screen": "request", "org_id": log.org_id})
                db.session.commit()
        return super().render_template(template, **kwargs)

    @expose("/export.csv")
    @has_access
    def export(self):
        """CSV of requests: ?org_id=&api_key_id=&user_id=&model=&status=&start=&end= (dates YYYY-MM-DD).
        Costs: USD with 6 decimals (exact) and credits."""
        stmt = select(UsageLog.__table__).order_by(UsageLog.id)
        try:
            for name, column in _FILTERS.items():
                if request.args.get(name):
                    value = request.args[name]
                    stmt = stmt.where(column == (int(value) if name.endswith("_id") else value))
            stmt = within_dates(stmt, UsageLog.created_at)
        except ValueError as exc:
            return f"Filter: {exc}", 400
        audit.record("data.export", None, {"screen": "request_logs", "filters": dict(request.args)})
        db.session.commit()

        def make_rows(conn):
            for r in conn.execution_options(stream_results=True).execute(stmt):
                yield [r.id, r.created_at.isoformat(timespec="seconds"), r.request_id, r.org_id, r.user_id,
                       r.api_key_id, r.project_id, r.model, r.provider_id, r.endpoint, r.status, r.http_status,
                       r.error_type, r.prompt_tokens, r.completion_tokens, r.cached_tokens, r.cache_write_tokens,
                       *(usd_plain(getattr(r, c) or 0) for c in _COSTS), *(getattr(r, c) for c in _COSTS),
                       r.multiplier, r.latency_ms, r.ttft_ms, r.stream]

        return csv_response("request-logs.csv", _CSV, make_rows)
