"""Running customers from the org page: new orgs, members, customer users and keys on their behalf."""
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiKey, AuditLog, KeyStatus, Membership, Organization, OrgInvite, OrgRole, TollgateUser
from tests.console.conftest import inbox  # noqa: F401  (a real local SMTP server)
from tests.factories import make_key, make_org, make_user


def _actions(prefix):
    return [a.action for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id)) if a.action.startswith(prefix)]


def _member(org, user):
    return db.session.scalar(select(Membership).where(Membership.org_id == org.id, Membership.user_id == user.id))


def test_admin_creates_an_org_owned_by_an_existing_user(admin_client):
    owner = make_user("future-owner")
    assert "New organization" in admin_client.get("/admin/orgs/list/").get_data(as_text=True)
    response = admin_client.post("/admin/orgs/new", data={"name": "Fresh Co", "billing_email": "Billing@Fresh.test",
                                                          "plan": "pro", "owner_email": owner.email})
    org = db.session.scalar(select(Organization).where(Organization.name == "Fresh Co"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/orgs/{org.id}/")
    assert (org.plan.code, org.billing_email, org.wallet.balance) == ("pro", "billing@fresh.test", 0)
    assert _member(org, owner).role == OrgRole.owner
    assert _actions("org.create") == ["org.create"]


def test_an_org_for_an_unknown_owner_invites_them_by_email(admin_client, inbox):
    admin_client.post("/admin/orgs/new", data={"name": "Invited Co", "billing_email": "b@invited.test",
                                               "plan": "free", "owner_email": "boss@invited.test"})
    invitation = db.session.scalar(select(OrgInvite))
    assert (invitation.email, invitation.role) == ("boss@invited.test", OrgRole.owner)
    assert inbox.link("boss@invited.test", "/invite")


def test_a_bad_new_org_form_names_the_field_and_creates_nothing(admin_client):
    response = admin_client.post("/admin/orgs/new", data={"name": "X", "billing_email": "nope", "plan": "pro",
                                                          "owner_email": "a@b.test"})
    assert response.status_code == 400 and "Billing email" in response.get_data(as_text=True)
    response = admin_client.post("/admin/orgs/new", data={"name": "X", "billing_email": "a@b.test", "plan": "gold",
                                                          "owner_email": "a@b.test"})
    assert response.status_code == 400 and "Plan: choose one of" in response.get_data(as_text=True)
    # Longer than the columns: named, never the database's error.
    response = admin_client.post("/admin/orgs/new", data={"name": "X" * 129, "billing_email": "a@b.test",
                                                          "plan": "pro", "owner_email": "a@b.test"})
    assert response.status_code == 400 and "Name: at most 128 characters" in response.get_data(as_text=True)
    response = admin_client.post("/admin/orgs/new", data={"name": "X", "billing_email": "a" * 320 + "@b.test",
                                                          "plan": "pro", "owner_email": "a@b.test"})
    assert response.status_code == 400 and "Billing email" in response.get_data(as_text=True)
    assert db.session.scalar(select(Organization).where(Organization.name.startswith("X"))) is None


def test_members_are_added_given_roles_and_removed_with_their_keys_revoked(admin_client):
    org = make_org("Team Co", owner=make_user())
    colleague = make_user("colleague")
    admin_client.post(f"/admin/orgs/{org.id}/members", data={"op": "add", "email": colleague.email, "role": "member"})
    membership = _member(org, colleague)
    assert membership.role == OrgRole.member
    admin_client.post(f"/admin/orgs/{org.id}/members", data={"op": "role", "membership_id": membership.id,
                                                             "role": "admin"})
    db.session.expire_all()
    assert _member(org, colleague).role == OrgRole.admin
    key, _ = make_key(colleague, org=org)
    admin_client.post(f"/admin/orgs/{org.id}/members", data={"op": "remove", "membership_id": membership.id})
    db.session.expire_all()
    assert _member(org, colleague) is None and db.session.get(ApiKey, key.id).status == KeyStatus.revoked
    assert _actions("member.") == ["member.add", "member.role_change", "member.remove"]


def test_the_owner_can_be_neither_demoted_nor_removed(admin_client):
    owner = make_user()
    org = make_org(owner=owner)
    membership = _member(org, owner)
    page = admin_client.post(f"/admin/orgs/{org.id}/members", data={"op": "remove", "membership_id": membership.id},
                             follow_redirects=True).get_data(as_text=True)
    assert "transfer ownership first" in page
    admin_client.post(f"/admin/orgs/{org.id}/members", data={"op": "role", "membership_id": membership.id,
                                                             "role": "viewer"})
    db.session.expire_all()
    assert _member(org, owner).role == OrgRole.owner


def test_admin_creates_a_customer_user_straight_into_the_org(admin_client):
    org = make_org(owner=make_user())
    admin_client.post(f"/admin/orgs/{org.id}/members", data={"op": "create_user", "email": "new.hire@team.test",
                                                             "role": "member"})
    user = db.session.scalar(select(TollgateUser).where(TollgateUser.email == "new.hire@team.test"))
    assert user is not None and _member(org, user).role == OrgRole.member
    assert _actions("user.create_for_customer") == ["user.create_for_customer"]


def test_admin_batch_issues_keys_to_members_and_sees_each_secret_once(admin_client):
    owner, dev = make_user(), make_user()
    org = make_org(owner=owner)
    admin_client.post(f"/admin/orgs/{org.id}/members", data={"op": "add", "email": dev.email, "role": "member"})
    page = admin_client.post(f"/admin/orgs/{org.id}/keys", data={"user_ids": [owner.id, dev.id], "name": "laptop"})
    html = page.get_data(as_text=True)
    secrets = re.findall(r"<code>([^<]+)</code>", html.split('id="issued-keys"')[1])
    keys = db.session.scalars(select(ApiKey).where(ApiKey.org_id == org.id)).all()
    assert len(secrets) == 2 and {k.user_id for k in keys} == {owner.id, dev.id}
    assert all(k.name == "laptop" and k.wallet_id == org.wallet.id for k in keys)
    assert _actions("key.create_for_customer") == ["key.create_for_customer"] * 2


def test_keys_are_refused_for_non_members_and_nothing_is_created(admin_client):
    org = make_org(owner=make_user())
    stranger = make_user()
    page = admin_client.post(f"/admin/orgs/{org.id}/keys", data={"user_ids": [stranger.id], "name": "x"},
                             follow_redirects=True)
    assert "not members of this organization" in page.get_data(as_text=True)
    assert db.session.scalars(select(ApiKey)).all() == []


def test_support_cannot_manage_members_or_keys(support_client):
    org = make_org(owner=make_user())
    html = support_client.get(f"/admin/orgs/{org.id}/").get_data(as_text=True)
    assert 'id="add-member-form"' not in html and 'id="issue-keys"' not in html
    assert support_client.post(f"/admin/orgs/{org.id}/members", data={"op": "add", "email": "a@b.test"}).status_code == 403
    assert support_client.post(f"/admin/orgs/{org.id}/keys", data={"name": "k"}).status_code == 403
    assert support_client.post("/admin/orgs/new", data={"name": "No"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(OrgInvite)) == 0
    assert db.session.scalar(select(func.count()).select_from(Membership).where(Membership.org_id == org.id)) == 1
    assert db.session.scalar(select(Organization).where(Organization.name == "No")) is None
