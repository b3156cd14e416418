"""Usage: the daily rollup grouped by one or two dimensions over a date range; table, chart, CSV."""
from flask import flash, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from ..billing.units import credits_to_usd, usd_plain
from ..reporting import usage
from ..roles import USAGE
from ..csv_stream import csv_response

DIMENSION_LABELS = {"day": _l("Day"), "model": _l("Model"), "api_key": _l("API key"), "user": _l("User"),
                    "org": _l("Organization")}


class UsageView(BaseView):
    route_base = "/admin/usage"
    class_permission_name = USAGE
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        try:
            query = usage.parse_query(request.args)
        except ValueError as exc:
            flash(str(exc), "danger")
            query = usage.parse_query({})
        rows = usage.rows(query)
        chart = _chart(rows, query["group_by"])
        return self.render_template("admin/usage.html", query=query, rows=rows, chart=chart,
                                    dimensions=DIMENSION_LABELS, max_rows=usage.MAX_ROWS)

    @expose("/export.csv")
    @has_access
    def export(self):
        try:
            query = usage.parse_query(request.args)
        except ValueError as exc:
            return str(exc), 400
        dims = query["group_by"]
        keys = [*dims, *(f"{d}_label" for d in dims if d in ("api_key", "user", "org"))]
        counts = [m for m in usage.METRICS if not m.endswith("_cost") and m != "discount_savings"]
        costs = [m for m in usage.METRICS if m not in counts]
        # Costs: USD with 6 decimals (exact), then the same in credits.
        header = [*keys, *counts, *(f"{m}_usd" for m in costs), *(f"{m}_credits" for m in costs)]

        def make_rows(conn):
            for r in usage.stream_rows(query, conn):
                yield [*(r.get(k) for k in keys), *(r[m] for m in counts),
                       *(usd_plain(r[m] or 0) for m in costs), *(r[m] for m in costs)]

        return csv_response(f"usage-{query['start']}-{query['end']}.csv", header, make_rows)


def _key(row, dim):
    return str(row.get(f"{dim}_label", row[dim]))


def _chart(rows, group_by) -> dict:
    """Chart.js data: one series per second dimension value (top 8), else one series of cost."""
    first = group_by[0]
    labels = list(dict.fromkeys(_key(r, first) for r in rows))[:60]
    if len(group_by) == 1:
        values = {_key(r, first): float(credits_to_usd(r["total_cost"] or 0)) for r in rows}
        return {"labels": labels, "datasets": [{"label": "USD", "data": [values.get(l, 0) for l in labels]}]}
    second = group_by[1]
    series = list(dict.fromkeys(_key(r, second) for r in rows))[:8]
    data = {(_key(r, first), _key(r, second)): float(credits_to_usd(r["total_cost"] or 0)) for r in rows}
    return {"labels": labels,
            "datasets": [{"label": s, "data": [data.get((l, s), 0) for l in labels]} for s in series]}
