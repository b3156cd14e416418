"""Org settings beyond the low-balance alert: extended log archiving, and default caps for new keys."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs.retention import purge_usage
from app.models import AuditLog, Organization, OrgRole, UsageLog, utcnow
from tests.console.test_pages import _usage
from tests.factories import make_key

O, A, M = OrgRole.owner, OrgRole.admin, OrgRole.member


def _org(team) -> Organization:
    db.session.expire_all()
    return db.session.get(Organization, team["org"].id)


def test_an_admin_extends_log_archiving_and_it_is_audited(role_client, team):
    org_id = team["org"].id
    response = role_client(A).post(f"/console/orgs/{org_id}/settings", data={"retention_days": "365"})
    assert response.status_code == 302
    assert _org(team).retention_days == 365
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "console.org_settings_changed"))
    assert entry.details == {"before": {"retention_days": 30}, "after": {"retention_days": 365}}
    page = role_client(A).get(f"/console/orgs/{org_id}/settings").get_data(as_text=True)
    assert '<option selected value="365">' in page
    # A later save of other settings keeps the chosen retention.
    role_client(O).post(f"/console/orgs/{org_id}/settings", data={"low_balance_usd": "5"})
    assert _org(team).retention_days == 365


@pytest.mark.parametrize("days", ["60", "0", "abc"])
def test_a_retention_outside_the_choices_is_refused_naming_the_field(role_client, team, days):
    response = role_client(O).post(f"/console/orgs/{team['org'].id}/settings", data={"retention_days": days})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Keep usage logs for" in body
    assert "log retention must be 30, 90 or 365 days" in body or "could not coerce" in body
    assert _org(team).retention_days == 30


def test_a_member_cannot_change_the_retention(role_client, team):
    response = role_client(M).post(f"/console/orgs/{team['org'].id}/settings", data={"retention_days": "365"})
    assert response.status_code == 403
    assert _org(team).retention_days == 30


def test_the_retention_job_keeps_calls_within_the_chosen_window(role_client, team):
    org, owner = team["org"], team["users"][O]
    role_client(O).post(f"/console/orgs/{org.id}/settings", data={"retention_days": "90"})
    key, _ = make_key(owner, _org(team))
    now = utcnow()
    for days in (100, 60, 1):
        _usage(org, owner, key, 1_000, when=now - dt.timedelta(days=days))
    db.session.commit()
    assert purge_usage(now.isoformat()) == 1
    kept = db.session.scalars(select(UsageLog.created_at).where(UsageLog.org_id == org.id)).all()
    assert sorted(now - when for when in kept) == [dt.timedelta(days=1), dt.timedelta(days=60)]
