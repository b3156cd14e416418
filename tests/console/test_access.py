"""Who lands where after login, and each org role's reach: a table of role x URL x status."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, OrgRole
from tests.console.conftest import PASSWORD, login
from tests.factories import make_user

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer

# (url template, {role: status}); {org} is the team's org.
PAGES = [
    ("/console/", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/wallet", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/profile", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/orgs/new", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/logs", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/orgs/{org}/", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/orgs/{org}/logs", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/orgs/{org}/wallet", {O: 200, A: 200, M: 403, V: 200}),
    ("/console/orgs/{org}/members", {O: 200, A: 200, M: 403, V: 403}),
    ("/console/orgs/{org}/settings", {O: 200, A: 200, M: 403, V: 403}),
    ("/console/tokens", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/orgs/{org}/tokens", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/orgs/{org}/keys", {O: 200, A: 200, M: 403, V: 403}),
    ("/console/orgs/{org}/keys/export.csv", {O: 200, A: 200, M: 403, V: 403}),
    ("/console/orgs/{org}/projects", {O: 200, A: 200, M: 403, V: 403}),
    ("/console/orgs/{org}/usage", {O: 200, A: 200, M: 403, V: 200}),
    ("/console/orgs/{org}/usage.csv", {O: 200, A: 200, M: 403, V: 200}),
    ("/console/webhooks", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/orgs/{org}/webhooks", {O: 200, A: 200, M: 403, V: 403}),
    ("/console/notifications", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/models", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/orgs/{org}/models", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/tasks", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/logs.csv", {O: 200, A: 200, M: 200, V: 200}),
    ("/console/orgs/{org}/logs.csv", {O: 200, A: 200, M: 200, V: 200}),
]
TABLE = [(url, role, status) for url, expected in PAGES for role, status in expected.items()]


@pytest.mark.parametrize("url,role,status", TABLE, ids=[f"{r.value}:{u}" for u, r, _ in TABLE])
def test_each_org_role_gets_the_status_its_role_allows(team, role_client, url, role, status):
    response = role_client(role).get(url.format(org=team["org"].id))
    assert response.status_code == status, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("path", ["/", "/logs", "/wallet", "/members", "/settings", "/tokens", "/keys", "/projects",
                                  "/usage", "/webhooks", "/models", "/logs.csv"])
def test_returns_404_for_an_org_the_caller_is_not_in(app, team, path):
    client = login(app, team["outsider"].username)
    assert client.get(f"/console/orgs/{team['org'].id}{path}").status_code == 404
    assert client.get(f"/console/orgs/999999{path}").status_code == 404


def test_returns_404_when_an_owner_changes_a_membership_of_another_org(role_client, team):
    foreign = db.session.scalar(select(Membership).where(Membership.org_id == team["other"].id))
    client = role_client(O)
    for action, data in (("role", {"role": "viewer"}), ("remove", {}), ("transfer", {})):
        url = f"/console/orgs/{team['org'].id}/members/{foreign.id}/{action}"
        assert client.post(url, data=data).status_code == 404, action
    db.session.expire_all()
    assert db.session.get(Membership, foreign.id).role == OrgRole.owner


def test_a_role_too_low_gets_a_page_naming_its_role(role_client, team):
    body = role_client(V).get(f"/console/orgs/{team['org'].id}/members").get_data(as_text=True)
    assert "viewer" in body and 'href="/console/"' in body


def test_anonymous_callers_are_sent_to_the_login_form(client, db):
    response = client.get("/console/wallet")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/?next=/console/wallet"


def test_login_lands_customers_in_the_console_and_staff_in_the_back_office(app, db):
    make_user(username="cust", password=PASSWORD)
    make_user(username="boss", password=PASSWORD, role_name="Admin")
    make_user(username="helper", password=PASSWORD, role_name="Support")
    for username, landing in (("cust", "/console/"), ("boss", "/admin/"), ("helper", "/admin/")):
        client = login(app, username)
        location = client.get("/").headers["Location"]
        assert location.endswith(landing), (username, location)


def test_a_customer_opening_the_back_office_gets_a_page_pointing_to_the_console(app, db):
    make_user(username="cust", password=PASSWORD)
    client = login(app, "cust")
    for url in ("/admin/", "/admin/orgs/list/", "/admin/users/list/", "/users/list/", "/roles/list/"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 403
        assert 'id="to-console"' in body and 'href="/console/"' in body
        assert "Forbidden" not in body


def test_login_attempts_of_console_users_are_audited(app, db):
    from app.models import AuditLog

    make_user(username="cust", password=PASSWORD)
    app.test_client().post("/login/", data={"username": "cust", "password": "wrong-password"})
    login(app, "cust")
    actions = [a for (a,) in db.session.execute(select(AuditLog.action).order_by(AuditLog.id))]
    assert actions == ["auth.login_failure", "auth.login_success"]
