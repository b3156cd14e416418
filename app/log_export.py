"""The call log as CSV: the columns of /api/v1/me/usage, costs as exact USD decimals.

Small ranges are streamed to the browser at once; larger ones are written to a file by a
background job (app/jobs/exports.py) that the Tasks page offers for download. Both read the
rows with the query of app/call_log.py, so an export holds exactly what the Logs page lists.
"""
import datetime as dt
import os

from flask import current_app
from sqlalchemy import func, select

from . import call_log
from .billing.units import credits_to_usd
from .call_log import UsageScope

COSTS = ("cost_usd", "input_cost_usd", "output_cost_usd", "cached_cost_usd")
COST_COLUMNS = {"cost_usd": "total_cost", "input_cost_usd": "input_cost", "output_cost_usd": "output_cost",
                "cached_cost_usd": "cached_cost"}
HEADER = ["id", "request_id", "created_at", "key_id", "user_id", "project_id", "model", "endpoint", "status",
          "http_status", "error_type", "stream", "prompt_tokens", "completion_tokens", "cached_tokens",
          *COSTS, "latency_ms", "ttft_ms"]


def count_upto(session, scope: UsageScope, filters: dict, limit: int) -> int:
    """How many calls match, counted no further than ``limit`` (a bounded scan to pick the way)."""
    matching = call_log.matching(scope.criteria(), filters).with_only_columns(call_log.UsageLog.id).limit(limit)
    return session.scalar(select(func.count()).select_from(matching.subquery()))


def rows(conn, scope: UsageScope, filters: dict, batch: int = 2000):
    """Every matching call, newest first, as CSV cells, from a server-side cursor on ``conn``."""
    query = call_log.newest_first(scope.criteria(), filters)
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(
        query.with_only_columns(*call_log.UsageLog.__table__.columns))
    for row in result:
        described = call_log.describe(row)
        for name, column in COST_COLUMNS.items():
            described[name] = format(credits_to_usd(getattr(row, column) or 0), "f")
        yield [described[h] for h in HEADER]


def filename(scope: UsageScope, filters: dict, when: dt.datetime) -> str:
    owner = f"org{scope.org_id}" if scope.org_id is not None else "personal"
    return f"calls-{owner}-{when:%Y%m%d-%H%M%S}.csv"


def filters_to_job(filters: dict) -> dict:
    """Filters as plain values for a job's arguments (dates as ISO text)."""
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in filters.items()}


def filters_from_job(values: dict) -> dict:
    return {k: dt.datetime.fromisoformat(v) if k in ("from", "to") else v for k, v in values.items()}


def export_dir() -> str:
    path = current_app.config["EXPORT_DIR"] or os.path.join(current_app.instance_path, "exports")
    os.makedirs(path, exist_ok=True)
    return path
