"""Org settings beyond the low-balance alert: extended log archiving, and default caps for new keys."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs.retention import purge_usage
from app.console.forms import OrgSettingsForm
from app.models import ApiKey, AuditLog, Organization, OrgRole, UsageLog, utcnow
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


DEFAULTS = {"default_per_request_cap_usd": "0.5", "default_rpm_limit": "60", "default_tpm_limit": "20000",
            "default_cap_1d_usd": "10"}


def _keys_of(user):
    db.session.expire_all()
    return db.session.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id)).all()


def test_new_keys_take_the_org_default_caps_unless_their_creator_sets_one(role_client, team):
    org_id = team["org"].id
    assert role_client(A).post(f"/console/orgs/{org_id}/settings", data=DEFAULTS).status_code == 302
    assert _org(team).key_defaults == {"per_request_cap_usd": "0.5", "rpm_limit": 60, "tpm_limit": 20000,
                                      "cap_1d_usd": "10"}
    page = role_client(A).get(f"/console/orgs/{org_id}/settings").get_data(as_text=True)
    assert 'value="0.5"' in page and 'value="20000"' in page

    member = role_client(M)
    member.post(f"/console/orgs/{org_id}/tokens", data={"name": "plain"})
    member.post(f"/console/orgs/{org_id}/tokens", data={"name": "own caps", "rpm_limit": "5", "cap_1d_usd": "2"})
    role_client(O).post(f"/console/orgs/{org_id}/keys/issue",
                        data={"name": "issued", "members": [str(team["users"][M].id)], "delivery": "reveal"})
    caps = {k.name: (k.per_request_cap, k.rpm_limit, k.tpm_limit, k.cap_1d) for k in _keys_of(team["users"][M])}
    assert caps == {"plain": (500_000, 60, 20000, 10_000_000), "own caps": (500_000, 5, 20000, 2_000_000),
                    "issued": (500_000, 60, 20000, 10_000_000)}


def test_clearing_the_default_boxes_removes_the_defaults(role_client, team):
    org_id = team["org"].id
    role_client(O).post(f"/console/orgs/{org_id}/settings", data=DEFAULTS)
    role_client(O).post(f"/console/orgs/{org_id}/settings", data={"default_rpm_limit": "60"})
    assert _org(team).key_defaults == {"rpm_limit": 60}
    role_client(O).post(f"/console/orgs/{org_id}/settings", data={})
    assert _org(team).key_defaults is None


@pytest.mark.parametrize("field,value", [("default_rpm_limit", "0"), ("default_tpm_limit", "many"),
                                         ("default_cap_1d_usd", "-3"), ("default_per_request_cap_usd", "x")])
def test_a_bad_default_cap_is_refused_naming_it(role_client, team, field, value):
    response = role_client(O).post(f"/console/orgs/{team['org'].id}/settings", data={field: value})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "has-error" in body
    label = str(getattr(OrgSettingsForm, field).args[0])
    assert label in body
    assert _org(team).key_defaults is None


def test_a_member_cannot_set_default_caps(role_client, team):
    response = role_client(M).post(f"/console/orgs/{team['org'].id}/settings", data=DEFAULTS)
    assert response.status_code == 403 and _org(team).key_defaults is None
