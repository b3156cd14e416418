"""Every sign-in event lands in the audit log with its method, provider, address, browser and outcome."""
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from tests.factories import make_user
from .conftest import provider_round_trip

UA = {"User-Agent": "audit-probe/2"}


def _rows():
    return db.session.scalars(select(AuditLog).where(AuditLog.action.like("auth.%")).order_by(AuditLog.id)).all()


def test_password_sign_in_events_name_method_outcome_address_and_browser(client):
    user = make_user("carol", password="carol-password-1")
    client.post("/login/", data={"username": "carol", "password": "wrong-one"}, headers=UA)
    client.post("/login/", data={"username": "carol", "password": "carol-password-1"}, headers=UA)
    client.get("/logout/", headers=UA)
    user.active = False
    db.session.commit()
    client.post("/login/", data={"username": "carol", "password": "carol-password-1"}, headers=UA)
    rows = _rows()
    assert [(r.action, (r.details or {}).get("outcome")) for r in rows] == [
        ("auth.login_failure", "bad password"), ("auth.login_success", "success"), ("auth.logout", None),
        ("auth.login_failure", "inactive")]
    assert all(r.details is None or r.details["method"] == "password" for r in rows)
    assert {(r.ip, r.user_agent) for r in rows} == {("127.0.0.1", "audit-probe/2")}
    assert rows[1].actor_id == user.id and rows[0].actor_id is None and rows[0].target_id == str(user.id)


def test_provider_sign_in_events_name_the_provider(client, github):
    github.next_user = {**github.next_user, "verified": False}
    client.get(provider_round_trip(client, "/signin/github"), headers=UA)
    github.next_user = {**github.next_user, "verified": True}
    client.get(provider_round_trip(client, "/signin/github"), headers=UA)
    rows = _rows()
    assert [(r.action, r.details["method"], r.details["provider"], r.details["outcome"]) for r in rows] == [
        ("auth.login_failure", "oauth", "github", "no verified email"),
        ("auth.login_success", "oauth", "github", "success")]
    assert rows[-1].user_agent == "audit-probe/2"
