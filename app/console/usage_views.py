"""Org usage (owners, admins, viewers): by member, project, model, key or day over a range, chart and CSV."""
import datetime as dt
import functools

from flask import render_template, request
from flask_babel import gettext as _

from ..billing.units import credits_to_usd
from ..inputs import InputError
from . import org_usage
from .access import ORG_READERS, login_required, org_scope
from .blueprint import bp, input_refused
from .key_pages import inert, text_csv

TABLE_ROWS = 500  # the page shows the costliest groups; the CSV has them all
CHART_GROUPS = 10


def _query(view):
    """Run ``view(scope, span, today, rows)`` on the caller's scope (owners, admins, viewers), the range
    asked for and its grouped rows; a range that does not parse answers 400 naming the field."""
    @functools.wraps(view)
    def run(org_id: int):
        scope = org_scope(org_id, *ORG_READERS)
        today = dt.date.today()
        try:
            span = org_usage.UsageRange.parse(request.args, today)
        except InputError as exc:
            return input_refused(_("Usage"), exc)
        return view(scope, span, today, org_usage.grouped(scope.org.id, span, today))
    return run


@bp.get("/orgs/<int:org_id>/usage")
@login_required
@_query
def org_usage_page(scope, span, today, rows):
    totals = {m: sum(r[m] for r in rows) for m in org_usage.METRICS}
    days = org_usage.daily_cost(scope.org.id, span, today) if span.by != "day" else \
        [(r["group"], r["total_cost"]) for r in rows]
    daily = {"labels": [d for d, _c in days], "datasets": [{"label": "USD", "data": [_usd(c) for _d, c in days]}]}
    top = rows[:CHART_GROUPS] if span.by != "day" else []
    groups = {"labels": [r["label"] for r in top], "datasets": [{"label": "USD", "data": [_usd(r["total_cost"]) for r in top]}]}
    return render_template("console/usage.html", scope=scope, span=span, rows=rows[:TABLE_ROWS], more=len(rows) > TABLE_ROWS,
                           totals=totals, daily=daily, groups=groups, group_names=org_usage.GROUPS)


@bp.get("/orgs/<int:org_id>/usage.csv")
@login_required
@_query
def org_usage_csv(scope, span, _today, rows):
    header = [span.by, "label", *org_usage.METRICS[:-1], "total_cost_usd"]
    cells = [[inert(r["group"]), inert(r["label"]), *(r[m] for m in org_usage.METRICS[:-1]),
              format(credits_to_usd(r["total_cost"]), "f")] for r in rows]
    return text_csv(header, cells, f"usage-{scope.org.id}-{span.by}-{span.start}-{span.end}.csv")


def _usd(credits: int) -> float:
    return float(credits_to_usd(credits))
