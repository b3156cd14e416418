"""The Usage screen: daily rollup grouped by one or two of day, model, API key, user, org."""
import datetime as dt

from sqlalchemy import func, select

from ..extensions import db
from ..models import ApiKey, Organization, TollgateUser, UsageDaily, UsageDailyOrgModel

DIMENSIONS = {"day": "day", "model": "model", "api_key": "api_key_id", "user": "user_id", "org": "org_id"}
# Groupings within day/model/org read the per-org-and-model rollup, many times smaller than usage_daily.
_COARSE = {"day", "model", "org"}
_LABELS = {"api_key": (ApiKey, ApiKey.prefix), "user": (TollgateUser, TollgateUser.username),
           "org": (Organization, Organization.name)}
METRICS = ["requests", "errors", "prompt_tokens", "completion_tokens", "cached_tokens", "cache_write_tokens",
           "input_cost", "output_cost", "cached_cost", "cache_write_cost", "total_cost", "discount_savings",
           "unbilled_cost"]
MAX_ROWS = 1000  # the table and chart show the top groups; the CSV export has them all


def parse_query(args) -> dict:
    """Validated group-by and date range from request args; raises ValueError naming the field."""
    group_by = [g for g in (args.get("group_by", "day"), args.get("then_by", "")) if g]
    for g in group_by:
        if g not in DIMENSIONS:
            raise ValueError(f"Group by: unknown dimension {g!r}")
    if len(set(group_by)) != len(group_by):
        group_by = group_by[:1]
    today = dt.date.today()
    try:
        start = dt.date.fromisoformat(args.get("start") or (today - dt.timedelta(days=29)).isoformat())
        end = dt.date.fromisoformat(args.get("end") or today.isoformat())
    except ValueError:
        raise ValueError("Date range: dates are YYYY-MM-DD") from None
    if end < start:
        raise ValueError("Date range: the end is before the start")
    return {"group_by": group_by, "start": start, "end": end}


def statement(query: dict):
    table = UsageDailyOrgModel if _COARSE.issuperset(query["group_by"]) else UsageDaily
    dims = [getattr(table, DIMENSIONS[g]).label(g) for g in query["group_by"]]
    sums = [func.sum(getattr(table, m)).label(m) for m in METRICS]
    stmt = (select(*dims, *sums).where(table.day >= query["start"], table.day <= query["end"])
            .group_by(*dims))
    if query["group_by"][0] == "day":
        return stmt.order_by(*dims)
    return stmt.order_by(func.sum(table.total_cost).desc())


def rows(query: dict, limit: int | None = MAX_ROWS) -> list[dict]:
    stmt = statement(query)
    result = [dict(r._mapping) for r in db.session.execute(stmt.limit(limit) if limit else stmt)]
    _label(result, query["group_by"])
    return result


def stream_rows(query: dict, conn, batch: int = 5000):
    """Every row from a server-side cursor on ``conn``, labelled batch by batch.

    Streamed responses outlive the request's session, so the caller passes its own connection.
    """
    result = conn.execution_options(stream_results=True).execute(statement(query))
    while part := result.fetchmany(batch):
        chunk = [dict(r._mapping) for r in part]
        _label(chunk, query["group_by"], conn)
        yield from chunk


def _label(result: list[dict], group_by: list[str], conn=None) -> None:
    conn = conn if conn is not None else db.session
    for dim in group_by:
        if dim not in _LABELS:
            continue
        model, column = _LABELS[dim]
        ids = {r[dim] for r in result if r[dim] is not None}
        names = dict(conn.execute(select(model.id, column).where(model.id.in_(ids))).all()) if ids else {}
        for r in result:
            r[f"{dim}_label"] = names.get(r[dim], "—" if r[dim] is None else f"#{r[dim]}")
