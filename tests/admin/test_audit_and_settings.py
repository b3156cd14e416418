"""Login auditing, settings changes, the read-only audit log and its export."""
import csv
import io

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Organization
from tests.factories import make_org, make_user


def _actions():
    return [a.action for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_login_success_and_failures_are_audited_with_ip_and_user_agent(anonymous_client):
    make_user("alice", password="right-password-1")
    anonymous_client.post("/login/", data={"username": "alice", "password": "wrong"}, headers={"User-Agent": "probe/1"})
    anonymous_client.post("/login/", data={"username": "nobody", "password": "x"})
    anonymous_client.post("/login/", data={"username": "alice", "password": "right-password-1"})
    rows = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [r.action for r in rows] == ["auth.login_failure", "auth.login_failure", "auth.login_success"]
    assert rows[0].user_agent == "probe/1" and rows[0].ip == "127.0.0.1" and rows[0].actor_id is None
    assert rows[1].details["reason"] == "unknown user"
    assert rows[2].actor_name == "alice"


def test_platform_default_and_org_thresholds_are_saved_and_audited(admin_client):
    org = make_org("Alerted")
    admin_client.post("/admin/settings/low-balance", data={"threshold_usd": "75", "email": "ops@example.test"})
    admin_client.post("/admin/settings/low-balance", data={"org_id": org.id, "threshold_usd": "20.5", "email": "fin@example.test"})
    db.session.expire_all()
    org = db.session.get(Organization, org.id)
    assert (org.low_balance_threshold, org.low_balance_email) == (20_500_000, "fin@example.test")
    assert "75.00" in admin_client.get("/admin/settings/").get_data(as_text=True)
    assert _actions()[-2:] == ["settings.platform_low_balance", "settings.org_low_balance"]


def test_bad_settings_name_the_field_and_change_nothing(admin_client):
    org = make_org()
    response = admin_client.post("/admin/settings/low-balance", data={"org_id": org.id, "threshold_usd": "-1", "email": "x"},
                                 follow_redirects=True)
    assert "Threshold (USD)" in response.get_data(as_text=True)
    response = admin_client.post("/admin/settings/low-balance", data={"org_id": org.id, "threshold_usd": "1", "email": "not an email"},
                                 follow_redirects=True)
    assert "Recipient email" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organization, org.id).low_balance_threshold is None


def test_audit_log_is_read_only_and_exports_csv(auditor_client):
    assert auditor_client.get("/admin/audit/list/").status_code == 200
    rows = list(csv.DictReader(io.StringIO(auditor_client.get("/admin/audit/export.csv").get_data(as_text=True))))
    assert rows[0]["action"] == "auth.login_success"
    row_id = db.session.scalar(select(AuditLog.id))
    assert auditor_client.post(f"/admin/audit/delete/{row_id}").status_code in (302, 403, 404, 405)
    assert auditor_client.get(f"/admin/audit/edit/{row_id}").status_code in (302, 403)
    assert db.session.get(AuditLog, row_id) is not None
