"""Retention: usage logs older than their org's ``retention_days`` (individuals: USAGE_RETENTION_DAYS)
are deleted in batches, each its own short transaction. Ledger rows are never touched.

Dashboards read the hourly and daily rollups, which the refresh job builds within minutes of
the usage, so they keep the purged history. Do not rebuild rollups (``rebuild_period``) over
a purged period: the rebuild would recount from the raw logs that are gone.
"""
import datetime as dt

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import Organization, UsageLog, utcnow
from . import app_context

PURGE_EVERY_S = 3600


def purge_usage(now_iso: str | None = None) -> int:
    """Delete expired usage logs of every org and individual; returns how many rows went."""
    with app_context():
        session = db.session
        now = dt.datetime.fromisoformat(now_iso) if now_iso else utcnow()
        orgs = session.execute(select(Organization.id, Organization.retention_days)).all()
        session.rollback()
        purged = sum(purge_scope(session, UsageLog.org_id == org_id, _cutoff(now, days)) for org_id, days in orgs)
        individuals = UsageLog.org_id.is_(None)
        return purged + purge_scope(session, individuals, _cutoff(now, current_app.config["USAGE_RETENTION_DAYS"]))


def _cutoff(now: dt.datetime, days: int) -> dt.datetime:
    return now - dt.timedelta(days=max(days, 1))


def purge_scope(session, scope, before: dt.datetime) -> int:
    batch = current_app.config["RETENTION_BATCH"]
    purged = 0
    while True:
        ids = (select(UsageLog.id).where(scope, UsageLog.created_at < before)
               .order_by(UsageLog.id).limit(batch).scalar_subquery())
        deleted = session.execute(delete(UsageLog).where(UsageLog.id.in_(ids))).rowcount
        session.commit()  # one short transaction per batch: no long lock on usage_logs
        purged += deleted
        if deleted < batch:
            return purged
