"""The per-call cost log as a caller sees it: their own calls, or their org's for owners, admins and viewers.

Pages are keyset-paginated on (created_at, id), newest first, so a page costs the same at
row 10 and row 1,000,000 and rows arriving meanwhile neither repeat nor go missing.
"""
import base64
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from .actor import Actor
from .billing.units import usd_json
from .extensions import db
from .inputs import InputError
from .models import UsageLog

FILTERS = ("model", "key", "status", "from", "to", "cursor", "limit")
STATUSES = ("success", "error")
MAX_LIMIT = 200


@dataclass(frozen=True)
class UsageScope:
    """Whose calls count: an org's (all members, or one member's), or a user's personal calls."""
    org_id: int | None
    user_id: int | None

    @classmethod
    def of(cls, actor: Actor) -> "UsageScope":
        """The one visibility rule of the /me API and the console: owners, admins and viewers read
        the org's calls; a member, or an individual, reads their own."""
        return cls(org_id=actor.org_id, user_id=None if actor.reads_org_usage else actor.user_id)

    def criteria(self, table=UsageLog) -> list:
        """WHERE clauses on ``table``: usage_logs, or a rollup with the same owner columns."""
        if self.org_id is None:
            return [table.user_id == self.user_id, table.org_id.is_(None)]
        rows = [table.org_id == self.org_id]
        if self.user_id is not None:
            rows.append(table.user_id == self.user_id)
        return rows


def visible(actor: Actor) -> list:
    return UsageScope.of(actor).criteria()


def parse_filters(args) -> dict:
    """Validated filters from query arguments (strings); a bad one is refused by name."""
    for name in args:
        if name not in FILTERS:
            raise InputError(name, f"unknown filter '{name}'; known filters: {', '.join(FILTERS)}")
    out = {"limit": 50}
    if args.get("model"):
        out["model"] = args["model"][:128]
    if "key" in args:
        out["key"] = _int("key", args["key"])
    if "status" in args:
        if args["status"] not in STATUSES:
            raise InputError("status", f"status must be one of {', '.join(STATUSES)}")
        out["status"] = args["status"]
    for name in ("from", "to"):
        if name in args:
            out[name] = parse_time(name, args[name])
    if "from" in out and "to" in out and out["from"] >= out["to"]:
        raise InputError("from", "from must be before to")
    if "limit" in args:
        out["limit"] = _int("limit", args["limit"])
        if not 1 <= out["limit"] <= MAX_LIMIT:
            raise InputError("limit", f"limit must be between 1 and {MAX_LIMIT}")
    if "cursor" in args:
        out["cursor"] = _decode_cursor(args["cursor"])
    return out


def page(actor: Actor, filters: dict) -> tuple[list[UsageLog], str | None]:
    """One page of rows and the cursor of the next page (None on the last)."""
    rows, more = rows_where(visible(actor), filters)
    return rows, (_encode_cursor(rows[-1]) if more else None)


def rows_where(criteria: list, filters: dict) -> tuple[list[UsageLog], bool]:
    """One page of the calls matching ``criteria`` and ``filters``, and whether more follow.

    The console's Logs page shares it, with its own scope and form."""
    limit = filters["limit"]
    rows = list(db.session.scalars(newest_first(criteria, filters).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def matching(criteria: list, filters: dict):
    """SELECT of the calls matching ``criteria`` and ``filters`` (``cursor`` and ``limit`` aside)."""
    query = select(UsageLog).where(*criteria)
    if "model" in filters:
        query = query.where(UsageLog.model == filters["model"])
    if "key" in filters:
        query = query.where(UsageLog.api_key_id == filters["key"])
    if "status" in filters:
        query = query.where(UsageLog.status == filters["status"])
    if "from" in filters:
        query = query.where(UsageLog.created_at >= filters["from"])
    if "to" in filters:
        query = query.where(UsageLog.created_at < filters["to"])
    return query


def newest_first(criteria: list, filters: dict):
    query = matching(criteria, filters)
    if "cursor" in filters:
        at, row_id = filters["cursor"]
        query = query.where(or_(UsageLog.created_at < at, and_(UsageLog.created_at == at, UsageLog.id < row_id)))
    return query.order_by(UsageLog.created_at.desc(), UsageLog.id.desc())


def describe(row: UsageLog) -> dict:
    return {
        "id": row.id, "request_id": row.request_id, "created_at": row.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "key_id": row.api_key_id, "user_id": row.user_id, "project_id": row.project_id, "model": row.model,
        "endpoint": row.endpoint, "status": row.status, "http_status": row.http_status,
        "error_type": row.error_type, "stream": row.stream,
        "prompt_tokens": row.prompt_tokens, "completion_tokens": row.completion_tokens,
        "cached_tokens": row.cached_tokens,
        "cost_usd": usd_json(row.total_cost), "input_cost_usd": usd_json(row.input_cost),
        "output_cost_usd": usd_json(row.output_cost), "cached_cost_usd": usd_json(row.cached_cost),
        "latency_ms": row.latency_ms, "ttft_ms": row.ttft_ms,
    }


def _int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise InputError(name, f"{name} must be an integer, not {value[:40]!r}") from None
    if number < 0 or number > 2**63 - 1:
        raise InputError(name, f"{name} is out of range")
    return number


def parse_time(name: str, value: str) -> dt.datetime:
    """An ISO 8601 date or date-time, as the naive UTC time the database stores."""
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(name, f"{name} must be an ISO 8601 date or date-time, not {value[:40]!r}") from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when


def _encode_cursor(row: UsageLog) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(value: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        at, row_id = raw.split("|")
        return dt.datetime.fromisoformat(at), int(row_id)
    except (ValueError, UnicodeDecodeError):
        raise InputError("cursor", "cursor is not one this endpoint returned") from None
