"""TOTP second factor: turned on from the Profile page, asked after the password, recovery codes, staff rule."""
import re
import time

import pyotp
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, RecoveryCode
from tests.factories import make_user
from .conftest import PASSWORD, login, verified_user


def _post_login(client, username, password=PASSWORD):
    return client.post("/login/", data={"username": username, "password": password})


def _turn_on(client, at: float | None = None) -> tuple[str, list[str]]:
    """Turns TOTP on with the code of time ``at`` (now by default)."""
    page = client.get("/console/profile/second-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post("/console/profile/second-factor", data={"code": pyotp.TOTP(secret).at(at or time.time()), "action": "enable"})
    assert response.headers["Location"].endswith("/console/profile/second-factor/codes")
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", client.get(response.headers["Location"]).get_data(as_text=True))
    return secret, codes


def _actions():
    return [a.action for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]


def _signed_in(client) -> bool:
    return client.get("/console/profile").status_code == 200


@pytest.mark.embedded
def test_a_customer_turns_totp_on_and_then_needs_a_code_after_the_password(app):
    user = verified_user("tina")
    secret, codes = _turn_on(login(app, "tina"))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert db.session.scalar(select(db.func.count()).select_from(RecoveryCode)) == 10
    db.session.refresh(user)
    assert user.totp_enabled_at is not None and secret not in (user.totp_secret_encrypted or "")

    client = app.test_client()
    response = _post_login(client, "tina")
    assert response.headers["Location"].endswith("/signin/second-factor")
    assert not _signed_in(client)  # the password alone opens nothing
    assert client.post("/signin/second-factor", data={"code": "000000"}).status_code == 400
    # The code that turned TOTP on is spent; the next step's code is valid too (clock drift).
    response = client.post("/signin/second-factor", data={"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert response.status_code == 302 and _signed_in(client)
    success = db.session.scalars(select(AuditLog).where(AuditLog.action == "auth.login_success")).all()[-1]
    assert success.details["second_factor"] == "totp"
    assert "auth.totp_enabled" in _actions()


def test_a_totp_code_is_accepted_once(app):
    verified_user("once")
    enabled_at = time.time()
    secret, _codes = _turn_on(login(app, "once"), at=enabled_at)
    first, second = app.test_client(), app.test_client()
    _post_login(first, "once"), _post_login(second, "once")
    # The code that turned TOTP on is spent already (that very code: the clock may have moved on).
    assert first.post("/signin/second-factor", data={"code": pyotp.TOTP(secret).at(enabled_at)}).status_code == 400
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert first.post("/signin/second-factor", data={"code": code}).status_code == 302 and _signed_in(first)
    assert second.post("/signin/second-factor", data={"code": code}).status_code == 400
    assert not _signed_in(second)


def test_a_recovery_code_works_once(app):
    verified_user("rita")
    _secret, codes = _turn_on(login(app, "rita"))
    client = app.test_client()
    _post_login(client, "rita")
    assert client.post("/signin/second-factor", data={"code": codes[0]}).status_code == 302 and _signed_in(client)
    again = app.test_client()
    _post_login(again, "rita")
    assert again.post("/signin/second-factor", data={"code": codes[0]}).status_code == 400
    assert db.session.scalar(select(db.func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_(None))) == 9


def test_five_wrong_codes_end_the_attempt(app):
    verified_user("wrong")
    _turn_on(login(app, "wrong"))
    client = app.test_client()
    _post_login(client, "wrong")
    for _ in range(5):
        response = client.post("/signin/second-factor", data={"code": "123456"})
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert client.get("/signin/second-factor").headers["Location"].endswith("/login/")
    failures = db.session.scalars(select(AuditLog).where(AuditLog.action == "auth.login_failure")).all()
    assert [f.details["reason"] for f in failures] == ["bad second factor"] * 5


@pytest.fixture
def staff_must_use_totp(app):
    app.config["TOTP_REQUIRED_FOR_STAFF"] = True
    yield
    app.config["TOTP_REQUIRED_FOR_STAFF"] = False


def test_staff_enrol_at_sign_in_when_the_setting_requires_it_and_cannot_turn_it_off(app, staff_must_use_totp):
    make_user("support1", role_name="Support", password=PASSWORD)
    client = app.test_client()
    assert _post_login(client, "support1").headers["Location"].endswith("/signin/second-factor")
    page = client.get("/signin/second-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post("/signin/second-factor", data={"code": pyotp.TOTP(secret).now()})
    assert "/console/profile/second-factor/codes" in response.headers["Location"]
    assert len(re.findall(r"<code>", client.get(response.headers["Location"]).get_data(as_text=True))) == 10
    assert client.get("/admin/").status_code == 200

    # A customer is not asked.
    verified_user("customer")
    assert _post_login(app.test_client(), "customer").headers["Location"].endswith("/")


def test_audit_snapshots_never_copy_the_totp_secret(app):
    from app import audit

    user = verified_user("snap")
    _turn_on(login(app, "snap"))
    db.session.refresh(user)
    assert user.totp_secret_encrypted and "totp_secret_encrypted" not in audit.snapshot(user)


def test_an_admin_turns_off_a_lost_second_factor_and_support_cannot(app):
    from tests.admin.conftest import PASSWORD as STAFF_PASSWORD

    user = verified_user("lost")
    _turn_on(login(app, "lost"))
    make_user("support2", role_name="Support", password=STAFF_PASSWORD)
    support = login(app, "support2", STAFF_PASSWORD)
    support.post(f"/admin/users/{user.id}/second-factor/reset")
    db.session.refresh(user)
    assert user.totp_enabled_at is not None

    make_user("root2", role_name="Admin", password=STAFF_PASSWORD)
    admin = login(app, "root2", STAFF_PASSWORD)
    assert "reset-second-factor" in admin.get(f"/admin/users/show/{user.id}").get_data(as_text=True)
    assert admin.post(f"/admin/users/{user.id}/second-factor/reset").status_code == 302
    db.session.refresh(user)
    assert user.totp_enabled_at is None and user.totp_secret_encrypted is None
    assert db.session.scalar(select(db.func.count()).select_from(RecoveryCode)) == 0
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "auth.totp_reset"))
    assert row.target_id == str(user.id) and row.actor_name == "root2"
    client = app.test_client()
    assert _post_login(client, "lost").headers["Location"].endswith("/")  # the password alone again
