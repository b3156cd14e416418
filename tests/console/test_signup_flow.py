"""Sign-up -> verify -> create org -> invite -> accept, with every mail read from a real SMTP server."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Membership, OrgRole, TollgateUser, UserTier, Wallet
from tests.console.conftest import PASSWORD, login

NEW_PASSWORD = "another-password-9"


def _signup(client, email, password=PASSWORD):
    return client.post("/console/signup", data={"email": email, "password": password, "confirm": password})


def _user(email) -> TollgateUser:
    db.session.expire_all()
    return db.session.scalar(select(TollgateUser).where(TollgateUser.email == email))


@pytest.mark.embedded
def test_signup_verify_create_org_invite_and_accept(app, inbox):
    owner = app.test_client()
    assert _signup(owner, "Founder@Example.com").status_code == 302
    user = _user("founder@example.com")
    assert user.tier == UserTier.individual and user.email_verified_at is None
    assert db.session.scalar(select(Wallet.balance).where(Wallet.user_id == user.id)) == 0

    # Unverified: no org yet.
    assert owner.post("/console/orgs/new", data={"name": "Founders"}).status_code == 302
    assert db.session.scalar(select(Membership).where(Membership.user_id == user.id)) is None

    page = owner.get(inbox.link("founder@example.com", "/console/verify/"))
    assert page.status_code == 302
    assert _user("founder@example.com").email_verified_at is not None

    assert owner.post("/console/orgs/new", data={"name": "Founders"}).status_code == 302
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.role == OrgRole.owner
    org_id = membership.org_id

    response = owner.post(f"/console/orgs/{org_id}/members/invite", data={"email": "dev@example.com", "role": "admin"})
    assert response.status_code == 302
    invite_path = inbox.link("dev@example.com", "/console/invite/")

    invitee = app.test_client()
    assert "invite-signup-form" in invitee.get(invite_path).get_data(as_text=True)
    response = invitee.post(invite_path, data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == f"/console/orgs/{org_id}/"
    dev = _user("dev@example.com")
    assert dev.email_verified_at is not None  # the mailed invite proved the address
    role = db.session.scalar(select(Membership.role).where(Membership.user_id == dev.id, Membership.org_id == org_id))
    assert role == OrgRole.admin
    assert invitee.get(f"/console/orgs/{org_id}/members").status_code == 200
    used = app.test_client().get(invite_path)
    assert used.status_code == 400 and "already been used" in used.get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"console.signup", "console.email_verified", "console.org_created", "console.member_invited",
            "console.member_joined"} <= actions


def test_an_existing_account_joins_by_signing_in(app, inbox, team):
    owner = login(app, team["users"][OrgRole.owner].username)
    outsider = team["outsider"]
    owner.post(f"/console/orgs/{team['org'].id}/members/invite", data={"email": outsider.email, "role": "viewer"})
    path = inbox.link(outsider.email, "/console/invite/")
    assert "signin-to-join" in app.test_client().get(path).get_data(as_text=True)

    someone_else = login(app, team["users"][OrgRole.member].username)
    assert someone_else.post(path).status_code == 403  # the link is for another address

    client = login(app, outsider.username)
    assert "join-form" in client.get(path).get_data(as_text=True)
    assert client.post(path).status_code == 302
    role = db.session.scalar(select(Membership.role).where(Membership.user_id == outsider.id,
                                                           Membership.org_id == team["org"].id))
    assert role == OrgRole.viewer


def test_a_withdrawn_invite_no_longer_opens(app, inbox, team):
    from app.models import OrgInvite

    owner = login(app, team["users"][OrgRole.owner].username)
    org_id = team["org"].id
    owner.post(f"/console/orgs/{org_id}/members/invite", data={"email": "late@example.com", "role": "member"})
    path = inbox.link("late@example.com", "/console/invite/")
    invite_id = db.session.scalar(select(OrgInvite.id))
    assert "late@example.com" in owner.get(f"/console/orgs/{org_id}/members").get_data(as_text=True)
    assert owner.post(f"/console/orgs/{org_id}/invites/{invite_id}/withdraw").status_code == 302
    response = app.test_client().post(path, data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400 and "withdrawn" in response.get_data(as_text=True)
    assert _user("late@example.com") is None
    # Another org's owner cannot withdraw it: 404.
    other = login(app, team["outsider"].username)
    assert other.post(f"/console/orgs/{team['other'].id}/invites/{invite_id}/withdraw").status_code == 404


def test_a_removed_member_cannot_rejoin_with_the_old_link(app, inbox, team):
    owner = login(app, team["users"][OrgRole.owner].username)
    org_id = team["org"].id
    owner.post(f"/console/orgs/{org_id}/members/invite", data={"email": "temp@example.com", "role": "member"})
    path = inbox.link("temp@example.com", "/console/invite/")
    joiner = app.test_client()
    assert joiner.post(path, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    temp = _user("temp@example.com")
    membership_id = db.session.scalar(select(Membership.id).where(Membership.user_id == temp.id))
    assert owner.post(f"/console/orgs/{org_id}/members/{membership_id}/remove").status_code == 302
    assert joiner.post(path).status_code == 400
    assert db.session.scalar(select(Membership.id).where(Membership.user_id == temp.id)) is None


def test_password_reset_link_works_once(app, inbox, team):
    user = team["users"][OrgRole.member]
    client = app.test_client()
    assert client.post("/console/password/forgot", data={"email": user.email}).status_code == 302
    path = inbox.link(user.email, "/console/password/reset/")
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    login(app, user.username, NEW_PASSWORD)
    again = client.post(path, data={"password": PASSWORD, "confirm": PASSWORD})
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)


def test_forgot_password_answers_the_same_for_unknown_addresses(client, inbox):
    response = client.post("/console/password/forgot", data={"email": "nobody@example.com"})
    assert response.status_code == 302 and inbox.messages == []


@pytest.mark.parametrize("path", ["/console/verify/x.y.z", "/console/password/reset/garbage",
                                  "/console/invite/not-a-token"])
def test_forged_links_are_refused_with_a_page_saying_so(client, db, path):
    response = client.get(path)
    assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)


def test_expired_verification_link_is_refused(app, client, inbox):
    _signup(client, "late@example.com")
    path = inbox.link("late@example.com", "/console/verify/")
    app.config["CONSOLE_VERIFY_LINK_HOURS"] = -1
    try:
        response = client.get(path)
    finally:
        app.config["CONSOLE_VERIFY_LINK_HOURS"] = 48
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert _user("late@example.com").email_verified_at is None


def test_signup_refuses_a_taken_email_and_a_short_password(client, team):
    taken = _signup(client, team["outsider"].email)
    assert taken.status_code == 400 and "already exists" in taken.get_data(as_text=True)
    short = _signup(client, "new@example.com", "short")
    assert short.status_code == 400 and _user("new@example.com") is None


def test_signup_can_be_turned_off(app, client, db):
    app.config["CONSOLE_SIGNUP_ENABLED"] = False
    try:
        assert client.get("/console/signup").status_code == 404
        assert _signup(client, "x@example.com").status_code == 404
    finally:
        app.config["CONSOLE_SIGNUP_ENABLED"] = True
    assert _user("x@example.com") is None


def test_mail_sending_forms_are_rate_limited_per_address(app, client, inbox):
    app.config["CONSOLE_MAIL_RATE_LIMIT"] = "2/hour"
    try:
        assert _signup(client, "one@example.com").status_code == 302
        other = app.test_client()
        assert other.post("/console/password/forgot", data={"email": "one@example.com"}).status_code == 302
        refused = other.post("/console/password/forgot", data={"email": "one@example.com"})
        assert refused.status_code == 429
        assert other.get("/console/password/forgot").status_code == 200  # reading the form is not limited
    finally:
        app.config["CONSOLE_MAIL_RATE_LIMIT"] = "10/hour"
    assert len(inbox.messages) == 2
