"""Retention purge: old usage logs go in batches, rollups (dashboards) and the ledger stay."""
import datetime as dt

from sqlalchemy import func, select

from app.extensions import db
from app.jobs.retention import purge_usage
from app.models import LedgerEntry, Organization, UsageDaily, UsageHourly, UsageLog, utcnow
from app.reporting import rollups
from tests.admin.test_reporting import _setup, _usage


def _rollup_rows():
    hourly = db.session.execute(select(UsageHourly.hour, UsageHourly.org_id, UsageHourly.requests,
                                       UsageHourly.total_cost).order_by(UsageHourly.hour)).all()
    daily = db.session.execute(select(UsageDaily.day, UsageDaily.org_id, UsageDaily.requests,
                                      UsageDaily.total_cost).order_by(UsageDaily.day)).all()
    return hourly, daily


def test_purge_keeps_rollups_and_recent_logs_and_honours_each_orgs_retention(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_BATCH", 2)
    now = utcnow()
    org, user, key = _setup()
    long_org, long_user, long_key = _setup()
    db.session.get(Organization, long_org.id).retention_days = 90
    for days in (40, 40, 35, 31, 10):
        _usage(org, user, key, when=now - dt.timedelta(days=days))
        _usage(long_org, long_user, long_key, when=now - dt.timedelta(days=days))
    db.session.commit()
    rollups.rebuild_range(db.session, now - dt.timedelta(days=41), now)
    db.session.commit()
    before = _rollup_rows()
    ledger = db.session.scalar(select(func.count()).select_from(LedgerEntry))

    assert purge_usage(now.isoformat()) == 4

    left = db.session.execute(select(UsageLog.org_id, func.count()).group_by(UsageLog.org_id)).all()
    assert dict(left) == {org.id: 1, long_org.id: 5}
    assert _rollup_rows() == before  # the dashboards still show the purged history
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == ledger
    assert purge_usage(now.isoformat()) == 0
