"""Queries behind the org detail page: the hourly rollup plus the live tail (reporting/live.py)."""
import datetime as dt

from sqlalchemy import func, select

from ..extensions import db
from ..models import utcnow
from .live import SUMS, usage_source

# Windows offered on the org detail page; "1d" is the default.
WINDOWS = {"1h": 1, "4h": 4, "12h": 12, "1d": 24, "7d": 24 * 7, "30d": 24 * 30, "90d": 24 * 90, "365d": 24 * 365}
DEFAULT_WINDOW = "1d"

def window_start(window: str, now: dt.datetime | None = None) -> dt.datetime:
    """Start of the window, on an hour boundary: the current (partial) hour counts as one."""
    hours = WINDOWS.get(window, WINDOWS[DEFAULT_WINDOW])
    now = now or utcnow()
    return now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=hours - 1)


def _sums(src):
    return [func.coalesce(func.sum(src.c[name]), 0).label(name) for name in SUMS]


def _with_derived(row) -> dict:
    data = {k: (int(v) if k in SUMS else v) for k, v in row._mapping.items()}
    data["tokens"] = data["prompt_tokens"] + data["completion_tokens"]
    data["error_rate"] = (data["errors"] / data["requests"]) if data["requests"] else 0.0
    return data


def org_totals(org_id: int, window: str) -> dict:
    return totals(window, org_id)


def org_top_models(org_id: int, window: str, limit: int = 5) -> list[dict]:
    src = usage_source(window_start(window))
    rows = db.session.execute(
        select(src.c.model, *_sums(src)).where(src.c.org_id == org_id)
        .group_by(src.c.model).order_by(func.sum(src.c.total_cost).desc()).limit(limit)
    ).all()
    return [_with_derived(r) for r in rows]


def org_projects(org_id: int, window: str) -> dict[int | None, dict]:
    """Per-project totals, keyed by project id (None = keys outside any project)."""
    src = usage_source(window_start(window))
    rows = db.session.execute(
        select(src.c.project_id, *_sums(src)).where(src.c.org_id == org_id).group_by(src.c.project_id)
    ).all()
    return {r.project_id: _with_derived(r) for r in rows}


def totals(window: str, org_id: int | None = None) -> dict:
    """Requests, tokens, cost and error rate over the window: one org's, or the platform's."""
    src = usage_source(window_start(window))
    query = select(*_sums(src))
    if org_id is not None:
        query = query.where(src.c.org_id == org_id)
    return _with_derived(db.session.execute(query).one())
