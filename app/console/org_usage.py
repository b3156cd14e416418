"""An org's usage over a range of days, grouped by member, project, model, key or day.

Past days come from the daily rollup (``usage_daily``, rebuilt by the rollup jobs), so a year
costs one index range scan of ``(org_id, day)`` whatever the number of calls. Today is not
rolled up yet: it is read from ``usage_logs`` through ``(org_id, created_at)``, so a call made
a second ago is counted. The two never overlap: the rollup is read strictly before today.
"""
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..inputs import InputError
from ..models import ApiKey, Project, TollgateUser, UsageDaily, UsageLog

GROUPS = ("member", "project", "model", "key", "day")
METRICS = ("requests", "errors", "prompt_tokens", "completion_tokens", "cached_tokens", "total_cost")
MAX_DAYS = 366
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class UsageRange:
    start: dt.date
    end: dt.date  # inclusive
    by: str

    @classmethod
    def parse(cls, args, today: dt.date) -> "UsageRange":
        by = args.get("by") or "member"
        if by not in GROUPS:
            raise InputError("by", f"by must be one of {', '.join(GROUPS)}")
        start = _day(args, "from", today - dt.timedelta(days=DEFAULT_DAYS - 1))
        end = _day(args, "to", today)
        if start > end:
            raise InputError("from", "from must be on or before to")
        if (end - start).days >= MAX_DAYS:
            raise InputError("from", f"the range may span at most {MAX_DAYS} days")
        return cls(start, end, by)


def _day(args, name: str, default: dt.date) -> dt.date:
    raw = args.get(name) or None
    if raw is None:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InputError(name, f"{name} must be a date as YYYY-MM-DD") from None


def _rollup_dims():
    return {"member": UsageDaily.user_id, "project": UsageDaily.project_id, "model": UsageDaily.model,
            "key": UsageDaily.api_key_id, "day": UsageDaily.day}


def _raw_dims():
    return {"member": UsageLog.user_id, "project": UsageLog.project_id, "model": UsageLog.model,
            "key": UsageLog.api_key_id, "day": func.date(UsageLog.created_at)}


def grouped(org_id: int, span: UsageRange, today: dt.date, by: str | None = None) -> list[dict]:
    """One dict per group ({"group", "label", *METRICS}), the costliest first (by day: oldest first)."""
    by = by or span.by
    merged: dict = {}
    if span.start < today:
        dim = _rollup_dims()[by]
        sums = [func.coalesce(func.sum(getattr(UsageDaily, m)), 0) for m in METRICS]
        last = min(span.end, today - dt.timedelta(days=1))
        _merge(merged, db.session.execute(
            select(dim, *sums).where(UsageDaily.org_id == org_id, UsageDaily.day >= span.start,
                                     UsageDaily.day <= last).group_by(dim)))
    if span.end >= today:
        dim = _raw_dims()[by]
        start = dt.datetime.combine(today, dt.time())
        sums = [func.count(), func.count().filter(UsageLog.status != "success"),
                *(func.coalesce(func.sum(getattr(UsageLog, m)), 0) for m in METRICS[2:])]
        _merge(merged, db.session.execute(
            select(dim, *sums).where(UsageLog.org_id == org_id, UsageLog.created_at >= start,
                                     UsageLog.created_at < start + dt.timedelta(days=1)).group_by(dim)))
    rows = [{"group": group, **values} for group, values in merged.items()]
    if by == "day":
        rows.sort(key=lambda r: str(r["group"]))
    else:
        rows.sort(key=lambda r: (-r["total_cost"], str(r["group"])))
    _label(rows, by)
    return rows


def _merge(merged: dict, result) -> None:
    for group, *values in result:
        if isinstance(group, dt.date):
            group = group.isoformat()
        into = merged.setdefault(group, dict.fromkeys(METRICS, 0))
        for metric, value in zip(METRICS, values):
            into[metric] += int(value)


def _label(rows: list[dict], by: str) -> None:
    ids = {r["group"] for r in rows if r["group"] is not None}
    names = {}
    if ids and by == "member":
        names = dict(db.session.execute(select(TollgateUser.id, TollgateUser.email).where(TollgateUser.id.in_(ids))).all())
    elif ids and by == "project":
        names = dict(db.session.execute(select(Project.id, Project.name).where(Project.id.in_(ids))).all())
    elif ids and by == "key":
        names = {i: f"{n} ({p}…)" for i, n, p in db.session.execute(
            select(ApiKey.id, ApiKey.name, ApiKey.prefix).where(ApiKey.id.in_(ids)))}
    for r in rows:
        if r["group"] is None:
            r["label"] = "—"
        else:
            r["label"] = str(names.get(r["group"], r["group"] if by in ("model", "day") else f"#{r['group']}"))


def daily_cost(org_id: int, span: UsageRange, today: dt.date) -> list[tuple[str, int]]:
    """Cost per day of the range, days without calls included as 0."""
    found = {r["group"]: r["total_cost"] for r in grouped(org_id, span, today, by="day")}
    days = [span.start + dt.timedelta(days=n) for n in range((span.end - span.start).days + 1)]
    return [(d.isoformat(), found.get(d.isoformat(), 0)) for d in days]
