"""Retention: usage logs, stored /v1/responses and tasks' results older than their org's ``retention_days``
(individuals: USAGE_RETENTION_DAYS) are deleted in batches, each its own short transaction.
Ledger rows are never touched.

Dashboards read the hourly and daily rollups, which the refresh job builds within minutes of
the usage, so they keep the purged history. Do not rebuild rollups (``rebuild_period``) over
a purged period: the rebuild would recount from the raw logs that are gone.
"""
import datetime as dt

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import AsyncTask, Organization, StoredResponse, UsageLog, utcnow
from . import app_context

PURGE_EVERY_S = 3600


def purge_usage(now_iso: str | None = None) -> int:
    """Delete expired usage logs and stored responses of every org and individual; returns how many rows went."""
    with app_context():
        session = db.session
        now = dt.datetime.fromisoformat(now_iso) if now_iso else utcnow()
        orgs = session.execute(select(Organization.id, Organization.retention_days)).all()
        session.rollback()
        individual_cutoff = _cutoff(now, current_app.config["USAGE_RETENTION_DAYS"])
        purged = 0
        for table in (UsageLog, StoredResponse, AsyncTask):
            purged += sum(purge_scope(session, table.org_id == org_id, _cutoff(now, days), table)
                          for org_id, days in orgs)
            purged += purge_scope(session, table.org_id.is_(None), individual_cutoff, table)
        return purged


def _cutoff(now: dt.datetime, days: int) -> dt.datetime:
    return now - dt.timedelta(days=max(days, 1))


def purge_scope(session, scope, before: dt.datetime, table=UsageLog) -> int:
    batch = current_app.config["RETENTION_BATCH"]
    purged = 0
    while True:
        ids = (select(table.id).where(scope, table.created_at < before)
               .order_by(table.id).limit(batch).scalar_subquery())
        deleted = session.execute(delete(table).where(table.id.in_(ids))).rowcount
        session.commit()  # one short transaction per batch: no long lock on the table
        purged += deleted
        if deleted < batch:
            return purged
