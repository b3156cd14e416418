"""Per-organization SSO: owner settings (Enterprise), domain routing, just-in-time members, role claims, "SSO required"."""
import pytest
from sqlalchemy import select

from app.crypto import decrypt
from app.extensions import db
from app.models import AuditLog, Membership, OrgRole, OrgSso, TollgateUser
from tests.factories import make_org
from .conftest import PASSWORD, login, provider_round_trip, verified_user
from .oidc_provider import LocalOidcProvider


@pytest.fixture
def idp():
    provider = LocalOidcProvider(client_id="acme-tollgate", client_secret="acme-secret").start()
    yield provider
    provider.stop()


@pytest.fixture
def acme(app):
    owner = verified_user("boss")
    return make_org("Acme Corp", plan="enterprise", owner=owner), owner


def _settings(idp, **over):
    return {"issuer": idp.issuer, "client_id": idp.client_id, "client_secret": idp.client_secret,
            "domains": "acme.example, ACME.example", "default_role": "member", "role_claim": "groups",
            "role_map": "tollgate-admins=admin", "enabled": "y", **over}


def _configure(app, org, idp, **over):
    client = login(app, "boss")
    response = client.post(f"/console/orgs/{org.id}/sso", data=_settings(idp, **over))
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _sso_sign_in(client, email):
    return client.get(provider_round_trip(client, "/signin/sso", method="post", data={"email": email}))


def _actions():
    return [a.action for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_an_owner_configures_sso_with_the_secret_encrypted_and_audited(app, acme, idp):
    org, _owner = acme
    owner_client = _configure(app, org, idp)
    sso = db.session.get(OrgSso, org.id)
    assert sso.domains == ["acme.example"] and sso.role_map == {"tollgate-admins": "admin"}
    assert sso.client_secret_encrypted != "acme-secret" and decrypt(sso.client_secret_encrypted) == "acme-secret"
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "sso.configured"))
    assert "acme-secret" not in str(row.details) and row.details["secret_changed"] is True
    # Saving again with the secret left blank keeps it.
    owner_client.post(f"/console/orgs/{org.id}/sso", data=_settings(idp, client_secret=""))
    db.session.expire_all()
    assert decrypt(db.session.get(OrgSso, org.id).client_secret_encrypted) == "acme-secret"


def test_bad_settings_name_the_field(app, acme, idp):
    org, _owner = acme
    client = login(app, "boss")
    response = client.post(f"/console/orgs/{org.id}/sso", data=_settings(idp, domains="not a domain", role_map="x=owner"))
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "comma-separated list of domains" in body and "one claim value=role" in body
    assert db.session.get(OrgSso, org.id) is None


def test_sso_is_for_enterprise_owners_only(app, idp):
    verified_user("pro-owner")
    pro = make_org("Pro Org", plan="pro", owner=db.session.scalar(select(TollgateUser).where(TollgateUser.username == "pro-owner")))
    assert login(app, "pro-owner").get(f"/console/orgs/{pro.id}/sso").status_code == 403
    org = make_org("Ent", plan="enterprise", owner=verified_user("ent-owner"))
    admin = verified_user("ent-admin")
    from app.accounts import add_member

    add_member(org, admin, OrgRole.admin)
    db.session.commit()
    assert login(app, "ent-admin").get(f"/console/orgs/{org.id}/sso").status_code == 403


def test_first_sso_sign_in_creates_the_member_with_the_default_role(app, client, acme, idp):
    org, _owner = acme
    _configure(app, org, idp)
    idp.next_user = {"sub": "okta-77", "email": "dana@acme.example", "name": "Dana"}
    response = _sso_sign_in(client, "Dana@Acme.example")
    assert response.status_code == 302 and client.get("/console/").status_code == 200
    user = db.session.scalar(select(TollgateUser).where(TollgateUser.email == "dana@acme.example"))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert (membership.org_id, membership.role) == (org.id, OrgRole.member)
    success = db.session.scalars(select(AuditLog).where(AuditLog.action == "auth.login_success")).all()[-1]
    assert (success.details["method"], success.details["provider"]) == ("sso", f"org:{org.id}")
    assert "sso.member_provisioned" in _actions()
    assert "Acme Corp single sign-on" in client.get("/console/profile").get_data(as_text=True)

    # The second sign-in finds the same account; a group claim now maps to admin.
    client.get("/logout/")
    idp.next_user = {**idp.next_user, "groups": ["everyone", "tollgate-admins"]}
    _sso_sign_in(client, "dana@acme.example")
    db.session.expire_all()
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == user.id)) == OrgRole.admin
    assert db.session.scalar(select(db.func.count()).select_from(TollgateUser)) == 2


def test_an_address_outside_the_orgs_domains_is_refused(app, client, acme, idp):
    org, _owner = acme
    _configure(app, org, idp)
    idp.next_user = {"sub": "x", "email": "intruder@elsewhere.example"}
    _sso_sign_in(client, "someone@acme.example")
    assert client.get("/console/").status_code == 302
    assert db.session.scalar(select(TollgateUser).where(TollgateUser.email == "intruder@elsewhere.example")) is None


def test_an_account_outside_the_org_is_not_taken_over_by_its_idp(app, client, acme, idp):
    org, _owner = acme
    _configure(app, org, idp)
    stranger = verified_user("stranger")
    stranger.email = "stranger@acme.example"
    db.session.commit()
    idp.next_user = {"sub": "s-1", "email": "stranger@acme.example"}
    _sso_sign_in(client, "stranger@acme.example")
    assert client.get("/console/").status_code == 302
    assert db.session.scalar(select(Membership).where(Membership.user_id == stranger.id)) is None


def test_an_unrouted_domain_gets_a_message(client):
    response = client.post("/signin/sso", data={"email": "x@nowhere.example"}, follow_redirects=True)
    assert "No organization signs in with single sign-on" in response.get_data(as_text=True)


def test_sso_required_refuses_member_passwords_and_audits_the_owners_break_glass(app, acme, idp):
    org, owner = acme
    _configure(app, org, idp, sso_required="y")
    member = verified_user("member1")
    from app.accounts import add_member

    add_member(org, member, OrgRole.member)
    db.session.commit()
    refused = app.test_client().post("/login/", data={"username": "member1", "password": PASSWORD},
                                     follow_redirects=True)
    assert "requires its single sign-on" in refused.get_data(as_text=True)
    failure = db.session.scalars(select(AuditLog).where(AuditLog.action == "auth.login_failure")).all()[-1]
    assert (failure.details["reason"], failure.details["org_id"]) == ("sso required", org.id)

    owner_client = login(app, "boss")
    assert owner_client.get("/console/").status_code == 200
    glass = db.session.scalar(select(AuditLog).where(AuditLog.action == "auth.sso_break_glass"))
    assert glass.actor_id == owner.id and glass.target_id == str(org.id)
