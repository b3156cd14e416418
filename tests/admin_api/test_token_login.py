"""/api/v1/security/login: tokens for staff only, second factor owed, sessions ended, every outcome audited."""
import pyotp
from sqlalchemy import select

from app.crypto import encrypt
from app.extensions import db
from app.models import AuditLog, utcnow
from app.signin import flow
from tests.admin_api.conftest import PASSWORD, bearer, login
from tests.factories import make_user


def _outcomes():
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action.like("auth.login%")).order_by(AuditLog.id))
    return [(r.action, r.details.get("reason"), r.details.get("method")) for r in rows]


def test_a_customer_gets_no_token_and_the_refusal_is_audited(client):
    make_user(username="customer", password=PASSWORD)

    response = login(client, "customer")

    assert response.status_code == 401 and "staff" in response.get_json()["message"]
    assert _outcomes() == [("auth.login_failure", "not staff", "api token")]


def test_a_wrong_password_is_401_json(client):
    make_user(username="finance-api", role_name="Finance", password=PASSWORD)

    response = login(client, "finance-api", password="wrong-password-1")

    assert response.status_code == 401 and response.get_json() == {"message": "Not authorized"}


def test_missing_fields_are_400_naming_them(client):
    response = client.post("/api/v1/security/login", json={"username": "x"})

    assert response.status_code == 400 and "password" in response.get_json()["message"]


def test_an_account_with_totp_needs_its_code(client):
    user = make_user(username="support-api", role_name="Support", password=PASSWORD)
    secret = pyotp.random_base32()
    user.totp_secret_encrypted, user.totp_enabled_at = encrypt(secret), utcnow()
    db.session.commit()

    assert login(client, "support-api").status_code == 401
    assert login(client, "support-api", totp="000000").status_code == 401
    response = login(client, "support-api", totp=pyotp.TOTP(secret).now())

    assert response.status_code == 200 and response.get_json()["access_token"]
    assert [o[1] for o in _outcomes()] == ["second factor required", "bad second factor", None]


def test_tokens_stop_working_when_the_users_sessions_are_ended(client):
    user = make_user(username="auditor-api", role_name="Auditor", password=PASSWORD)
    tokens = login(client, "auditor-api", refresh=True).get_json()
    headers, refresh = bearer(tokens["access_token"]), bearer(tokens["refresh_token"])
    assert client.get("/api/v1/admin/orgs/", headers=headers).status_code == 200
    assert client.post("/api/v1/security/refresh", headers=refresh).status_code == 200

    flow.end_other_sessions(user)  # what a password change or a removal does
    db.session.commit()

    response = client.get("/api/v1/admin/orgs/", headers=headers)
    assert response.status_code == 401 and response.is_json
    assert client.post("/api/v1/security/refresh", headers=refresh).status_code == 401


def test_a_garbled_token_is_401_json(client):
    response = client.get("/api/v1/admin/orgs/", headers=bearer("not.a.jwt"))

    assert response.status_code == 401 and "message" in response.get_json()


def test_a_session_cookie_is_not_enough(client):
    make_user(username="admin-cookie", role_name="Admin", password=PASSWORD)
    assert client.post("/login/", data={"username": "admin-cookie", "password": PASSWORD}).status_code == 302

    response = client.get("/api/v1/admin/orgs/")

    assert response.status_code == 401  # bearer tokens only: no cross-site request can ride on the cookie


def test_token_sign_in_spends_the_forms_failure_budget_per_account(client, app):
    make_user(username="admin-api", role_name="Admin", password=PASSWORD)
    allowed = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])

    for _ in range(allowed):
        assert login(client, "admin-api", password="wrong-password-1").status_code == 401
    response = login(client, "Admin-API")  # the right password, too late; names match case-insensitively

    assert response.status_code == 429 and response.is_json
    assert login(client, "someone-else").status_code == 401  # another account's budget is untouched
