"""Usage as dashboards should count it: the hourly rollup plus the live tail of raw logs.

The refresh job rebuilds the current and previous hours every few minutes
(app/jobs/rollups.py), so those two hours are read from usage_logs directly: a request
shows on the dashboards as soon as its log row is written, and at most two hours of raw
rows are ever scanned. Older hours come from usage_hourly.
"""
import datetime as dt

from sqlalchemy import DateTime, case, func, literal, select, union_all

from ..models import UsageHourly, UsageLog, utcnow
from .rollups import hour_start

DIMS = ("org_id", "project_id", "user_id", "api_key_id", "model")
COSTS = ("input_cost", "output_cost", "cached_cost", "cache_write_cost", "total_cost", "discount_savings",
         "unbilled_cost")
TOKENS = ("prompt_tokens", "completion_tokens", "cached_tokens", "cache_write_tokens")
SUMS = ("requests", "errors", *TOKENS, *COSTS)
TAIL_HOURS = 2


def tail_start(now: dt.datetime | None = None) -> dt.datetime:
    return hour_start(now or utcnow()) - dt.timedelta(hours=TAIL_HOURS - 1)


def usage_source(start: dt.datetime, now: dt.datetime | None = None):
    """A subquery of (hour, dims..., sums...) rows covering ``start`` until now, to aggregate further."""
    cut = max(tail_start(now), hour_start(start))
    rolled = select(UsageHourly.hour.label("hour"), *(getattr(UsageHourly, d).label(d) for d in DIMS),
                    *(getattr(UsageHourly, s).label(s) for s in SUMS)
                    ).where(UsageHourly.hour >= hour_start(start), UsageHourly.hour < cut)
    # The tail's rows carry the cut as their hour: callers sum over hours, never group by them.
    raw = select(literal(cut, DateTime).label("hour"), *(getattr(UsageLog, d).label(d) for d in DIMS),
                 func.count().label("requests"),
                 func.coalesce(func.sum(case((UsageLog.status != "success", 1), else_=0)), 0).label("errors"),
                 *(func.coalesce(func.sum(getattr(UsageLog, c)), 0).label(c) for c in (*TOKENS, *COSTS))
                 ).where(UsageLog.created_at >= max(cut, start)).group_by(*(getattr(UsageLog, d) for d in DIMS))
    return union_all(rolled, raw).subquery("usage_live")


def freshness() -> dict:
    """What the pages print under their figures."""
    now = utcnow()
    return {"as_of": now.replace(microsecond=0), "live_since": tail_start(now)}
