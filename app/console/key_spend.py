"""What a page of keys has spent against each of its caps.

Lifetime spend is on the key row and per-model spend in ``key_model_spend``. The rolling
5h/1d/7d spend the gateway enforces lives in Redis buckets; the page reads the settled calls
of the window from ``usage_logs`` instead (one range scan of ``(api_key_id, created_at)`` per
key, and only for keys with a rolling cap), which is what the caps will count once holds settle.
"""
import datetime as dt

from sqlalchemy import func, select

from ..extensions import db
from ..models import ApiKey, KeyModelSpend, UsageLog, utcnow

WINDOWS = {"cap_5h": dt.timedelta(hours=5), "cap_1d": dt.timedelta(days=1), "cap_7d": dt.timedelta(days=7)}


def spend_of(keys: list[ApiKey]) -> dict[int, dict]:
    """{key id: {"quota": spent, "cap_5h": ..., "models": {model: spent}}} for ``keys``."""
    spend = {k.id: {"quota": k.spent or 0, "models": {}} for k in keys}
    capped = [k.id for k in keys if any(getattr(k, cap) is not None for cap in WINDOWS)]
    if capped:
        now = utcnow()
        sums = [func.coalesce(func.sum(UsageLog.total_cost).filter(UsageLog.created_at >= now - span), 0).label(cap)
                for cap, span in WINDOWS.items()]
        for row in db.session.execute(
                select(UsageLog.api_key_id, *sums)
                .where(UsageLog.api_key_id.in_(capped), UsageLog.created_at >= now - max(WINDOWS.values()))
                .group_by(UsageLog.api_key_id)):
            spend[row.api_key_id].update({cap: int(getattr(row, cap)) for cap in WINDOWS})
    with_model_caps = [k.id for k in keys if k.model_caps]
    if with_model_caps:
        for row in db.session.scalars(select(KeyModelSpend).where(KeyModelSpend.api_key_id.in_(with_model_caps))):
            spend[row.api_key_id]["models"][row.model] = row.spent
    return spend
