"""Queries behind the org detail page, read from the hourly rollup."""
import datetime as dt

from sqlalchemy import func, select

from ..extensions import db
from ..models import UsageHourly, utcnow

# Windows offered on the org detail page; "1d" is the default.
WINDOWS = {"1h": 1, "4h": 4, "12h": 12, "1d": 24, "7d": 24 * 7, "30d": 24 * 30, "90d": 24 * 90, "365d": 24 * 365}
DEFAULT_WINDOW = "1d"

_TOTALS = {
    "requests": UsageHourly.requests, "errors": UsageHourly.errors,
    "prompt_tokens": UsageHourly.prompt_tokens, "completion_tokens": UsageHourly.completion_tokens,
    "cached_tokens": UsageHourly.cached_tokens, "cache_write_tokens": UsageHourly.cache_write_tokens,
    "input_cost": UsageHourly.input_cost, "output_cost": UsageHourly.output_cost,
    "cached_cost": UsageHourly.cached_cost, "cache_write_cost": UsageHourly.cache_write_cost,
    "total_cost": UsageHourly.total_cost, "discount_savings": UsageHourly.discount_savings,
    "unbilled_cost": UsageHourly.unbilled_cost,
}


def window_start(window: str, now: dt.datetime | None = None) -> dt.datetime:
    """Start of the window, on an hour boundary: the current (partial) hour counts as one."""
    hours = WINDOWS.get(window, WINDOWS[DEFAULT_WINDOW])
    now = now or utcnow()
    return now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=hours - 1)


def _sums():
    return [func.coalesce(func.sum(col), 0).label(name) for name, col in _TOTALS.items()]


def _with_derived(row) -> dict:
    data = dict(row._mapping)
    data["tokens"] = data["prompt_tokens"] + data["completion_tokens"]
    data["error_rate"] = (data["errors"] / data["requests"]) if data["requests"] else 0.0
    return data


def org_totals(org_id: int, window: str) -> dict:
    return totals(window, org_id)


def org_top_models(org_id: int, window: str, limit: int = 5) -> list[dict]:
    start = window_start(window)
    rows = db.session.execute(
        select(UsageHourly.model, *_sums())
        .where(UsageHourly.org_id == org_id, UsageHourly.hour >= start)
        .group_by(UsageHourly.model).order_by(func.sum(UsageHourly.total_cost).desc()).limit(limit)
    ).all()
    return [_with_derived(r) for r in rows]


def org_projects(org_id: int, window: str) -> dict[int | None, dict]:
    """Per-project totals, keyed by project id (None = keys outside any project)."""
    start = window_start(window)
    rows = db.session.execute(
        select(UsageHourly.project_id, *_sums())
        .where(UsageHourly.org_id == org_id, UsageHourly.hour >= start)
        .group_by(UsageHourly.project_id)
    ).all()
    return {r.project_id: _with_derived(r) for r in rows}


def totals(window: str, org_id: int | None = None) -> dict:
    """Requests, tokens, cost and error rate over the window: one org's, or the platform's."""
    query = select(*_sums()).where(UsageHourly.hour >= window_start(window))
    if org_id is not None:
        query = query.where(UsageHourly.org_id == org_id)
    return _with_derived(db.session.execute(query).one())
