"""Build hourly and daily rollups of usage and the ledger.

Each rebuild replaces one period's rows (DELETE then INSERT ... SELECT in the caller's
transaction), so running it twice, or after late usage arrives, gives the same rows as
running it once. Callers commit.
"""
import datetime as dt

from sqlalchemy import Date, DateTime, bindparam, text
from sqlalchemy.orm import Session

_DIMS = "org_id, project_id, user_id, api_key_id, model"
_SUMS = ("requests, errors, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, input_cost, "
         "output_cost, cached_cost, cache_write_cost, total_cost, discount_savings, unbilled_cost")
_RAW_SUMS = """count(*), count(*) FILTER (WHERE status <> 'success'),
    coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), coalesce(sum(cached_tokens), 0),
    coalesce(sum(cache_write_tokens), 0),
    coalesce(sum(input_cost), 0), coalesce(sum(output_cost), 0), coalesce(sum(cached_cost), 0),
    coalesce(sum(cache_write_cost), 0), coalesce(sum(total_cost), 0), coalesce(sum(discount_savings), 0),
    coalesce(sum(unbilled_cost), 0)"""
_ROLLUP_SUMS = ", ".join(f"sum({c.strip()})" for c in _SUMS.split(","))
# Typed parameters are written the way the ORM writes these columns: on SQLite, where
# timestamps are text, an untyped hour would lack the ".000000" the ORM's reads compare with.
_PERIOD = (bindparam("start", type_=DateTime), bindparam("end", type_=DateTime), bindparam("day", type_=Date))


def _sql(statement: str):
    clause = text(statement)
    return clause.bindparams(*(p for p in _PERIOD if f":{p.key}" in statement))


def hour_start(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def rebuild_hour(session: Session, hour: dt.datetime) -> int:
    """Replace the usage_hourly rows of the hour starting at ``hour`` (UTC, naive)."""
    start = hour_start(hour)
    params = {"start": start, "end": start + dt.timedelta(hours=1)}
    session.execute(_sql("DELETE FROM usage_hourly WHERE hour = :start"), params)
    result = session.execute(_sql(f"""
        INSERT INTO usage_hourly (hour, {_DIMS}, {_SUMS})
        SELECT :start, {_DIMS}, {_RAW_SUMS}
        FROM usage_logs WHERE created_at >= :start AND created_at < :end
        GROUP BY {_DIMS}"""), params)
    return result.rowcount


def rebuild_day(session: Session, day: dt.date) -> int:
    """Replace the usage_daily, usage_daily_org_model and ledger_daily rows of ``day``."""
    start = dt.datetime.combine(day, dt.time())
    params = {"day": day, "start": start, "end": start + dt.timedelta(days=1)}
    session.execute(_sql("DELETE FROM usage_daily WHERE day = :day"), params)
    result = session.execute(_sql(f"""
        INSERT INTO usage_daily (day, {_DIMS}, {_SUMS})
        SELECT :day, {_DIMS}, {_ROLLUP_SUMS}
        FROM usage_hourly WHERE hour >= :start AND hour < :end
        GROUP BY {_DIMS}"""), params)
    session.execute(_sql("DELETE FROM usage_daily_org_model WHERE day = :day"), params)
    session.execute(_sql(f"""
        INSERT INTO usage_daily_org_model (day, org_id, model, {_SUMS})
        SELECT :day, org_id, model, {_ROLLUP_SUMS}
        FROM usage_daily WHERE day = :day
        GROUP BY org_id, model"""), params)
    session.execute(_sql("DELETE FROM ledger_daily WHERE day = :day"), params)
    session.execute(_sql("""
        INSERT INTO ledger_daily (day, type, entries, amount)
        SELECT :day, type, count(*), sum(amount) FROM ledger_entries
        WHERE status = 'completed' AND created_at >= :start AND created_at < :end
        GROUP BY type"""), params)
    return result.rowcount


def rebuild_range(session: Session, start: dt.datetime, end: dt.datetime) -> None:
    """Rebuild every hour in [start, end), then every day those hours touch."""
    hour = hour_start(start)
    while hour < end:
        rebuild_hour(session, hour)
        hour += dt.timedelta(hours=1)
    day = start.date()
    while day <= (end - dt.timedelta(microseconds=1)).date():
        rebuild_day(session, day)
        day += dt.timedelta(days=1)


def rebuild_recent(session: Session, now: dt.datetime, hours: int = 2) -> None:
    """The periodic refresh: the current and previous hours, and the days they fall in."""
    rebuild_range(session, hour_start(now) - dt.timedelta(hours=hours - 1), hour_start(now) + dt.timedelta(hours=1))
