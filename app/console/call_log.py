"""The Logs page's query: one page of calls, newest first, filtered, with a keyset cursor.

The cursor is the last row's id; the next page continues strictly below its
(created_at, id), so a page costs one index range scan however deep the caller goes.
"""
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import call_log
from ..call_log import UsageScope
from ..extensions import db
from ..models import ApiKey, UsageLog

PAGE_SIZE = 50
STATUSES = ("success", "error")


class BadFilter(ValueError):
    """A filter value is wrong; the message names the parameter."""


@dataclass
class LogFilters:
    key_id: int | None = None
    model: str | None = None
    status: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    before: int | None = None
    echo: dict = field(default_factory=dict)  # the raw values, to refill the form


def parse_filters(args) -> LogFilters:
    f = LogFilters(echo={k: args.get(k, "") for k in ("key", "model", "status", "from", "to")})
    f.key_id = _int(args, "key")
    f.before = _int(args, "before")
    f.model = (args.get("model") or "").strip()[:128] or None
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadFilter(f"status: must be one of {', '.join(STATUSES)}")
    f.status = status
    f.start, f.end = _day(args, "from"), _day(args, "to")
    if f.end is not None:
        f.end += dt.timedelta(days=1)  # "to" includes its whole day
    if f.start and f.end and f.start >= f.end:
        raise BadFilter("from: must be on or before to")
    return f


def _int(args, name: str) -> int | None:
    raw = args.get(name) or None
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise BadFilter(f"{name}: must be a positive whole number")
    return int(raw)


def _day(args, name: str) -> dt.datetime | None:
    raw = args.get(name) or None
    if raw is None:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
    except ValueError:
        raise BadFilter(f"{name}: must be a date as YYYY-MM-DD") from None


def as_query(f: LogFilters) -> dict:
    """The filters in app/call_log's terms (no cursor, no limit): what a page and an export share."""
    filters = {"key": f.key_id, "model": f.model, "status": f.status, "from": f.start, "to": f.end}
    return {name: value for name, value in filters.items() if value is not None}


def visible_keys(scope: UsageScope) -> list[ApiKey]:
    """The keys whose calls the scope sees, for the filter's choices and to validate ``key``."""
    criteria = [ApiKey.org_id == scope.org_id] if scope.org_id is not None else [ApiKey.org_id.is_(None)]
    if scope.user_id is not None:
        criteria.append(ApiKey.user_id == scope.user_id)
    return list(db.session.scalars(select(ApiKey).where(*criteria).order_by(ApiKey.name, ApiKey.id)))


def page(scope: UsageScope, f: LogFilters) -> tuple[list[UsageLog], int | None]:
    """One page of calls and the cursor of the next page (None on the last)."""
    filters = {"limit": PAGE_SIZE, **as_query(f)}
    if f.before is not None:
        last = db.session.scalar(select(UsageLog).where(UsageLog.id == f.before, *scope.criteria()))
        if last is None:
            raise BadFilter("before: not a call of this list")
        filters["cursor"] = (last.created_at, last.id)
    rows, more = call_log.rows_where(scope.criteria(), filters)
    return rows, rows[-1].id if more else None
