"""Members page: invite, change role, remove (keys revoked), transfer ownership; CSRF and hostile strings."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey, AuditLog, KeyStatus, Membership, OrgRole
from tests.factories import make_key

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer


def _membership(org, user) -> Membership | None:
    db.session.expire_all()
    return db.session.scalar(select(Membership).where(Membership.org_id == org.id, Membership.user_id == user.id))


def test_members_page_lists_every_member_with_its_role(role_client, team):
    body = role_client(A).get(f"/console/orgs/{team['org'].id}/members").get_data(as_text=True)
    for role, user in team["users"].items():
        assert user.email in body
    assert team["outsider"].email not in body
    assert "Make owner" not in body  # transfer is the owner's alone


def test_admin_changes_a_members_role(role_client, team):
    org, member = team["org"], team["users"][M]
    target = _membership(org, member)
    response = role_client(A).post(f"/console/orgs/{org.id}/members/{target.id}/role", data={"role": "viewer"})
    assert response.status_code == 302
    assert _membership(org, member).role == V
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "console.member_role_changed"))


@pytest.mark.parametrize("role", ["owner", "superuser", ""])
def test_role_change_to_an_unknown_or_owner_role_is_refused(role_client, team, role):
    org, member = team["org"], team["users"][M]
    target = _membership(org, member)
    response = role_client(O).post(f"/console/orgs/{org.id}/members/{target.id}/role", data={"role": role})
    assert response.status_code == 400 and "role:" in response.get_data(as_text=True)
    assert _membership(org, member).role == M


def test_the_owners_role_cannot_be_changed_nor_the_owner_removed(role_client, team):
    org, owner = team["org"], team["users"][O]
    target = _membership(org, owner)
    client = role_client(A)
    assert client.post(f"/console/orgs/{org.id}/members/{target.id}/role", data={"role": "viewer"}).status_code == 400
    assert client.post(f"/console/orgs/{org.id}/members/{target.id}/remove").status_code == 400
    assert _membership(org, owner).role == O


def test_removing_a_member_revokes_their_keys_in_that_org_only(role_client, team):
    org, member = team["org"], team["users"][M]
    org_key, _ = make_key(member, org)
    personal_key, _ = make_key(member)
    target = _membership(org, member)
    response = role_client(A).post(f"/console/orgs/{org.id}/members/{target.id}/remove")
    assert response.status_code == 302
    assert _membership(org, member) is None
    assert db.session.get(ApiKey, org_key.id).status == KeyStatus.revoked
    assert db.session.get(ApiKey, personal_key.id).status == KeyStatus.active
    # The removed member no longer opens the org.
    assert role_client(M).get(f"/console/orgs/{org.id}/").status_code == 404


def test_only_the_owner_transfers_ownership(role_client, team):
    org, admin, owner = team["org"], team["users"][A], team["users"][O]
    target = _membership(org, admin)
    assert role_client(A).post(f"/console/orgs/{org.id}/members/{target.id}/transfer").status_code == 403
    assert role_client(O).post(f"/console/orgs/{org.id}/members/{target.id}/transfer").status_code == 302
    assert _membership(org, admin).role == O and _membership(org, owner).role == A


def test_invite_with_a_bad_email_names_the_field_and_sends_nothing(role_client, team, inbox):
    response = role_client(A).post(f"/console/orgs/{team['org'].id}/members/invite",
                                   data={"email": "not-an-email", "role": "member"})
    assert response.status_code == 400 and "email:" in response.get_data(as_text=True)
    assert inbox.messages == []


def test_members_and_viewers_cannot_invite(role_client, team, inbox):
    for role in (M, V):
        response = role_client(role).post(f"/console/orgs/{team['org'].id}/members/invite",
                                          data={"email": "x@example.com", "role": "admin"})
        assert response.status_code == 403
    assert inbox.messages == []


def test_posts_without_a_csrf_token_are_refused_and_change_nothing(app, role_client, team, csrf_on):
    org, member = team["org"], team["users"][M]
    target = _membership(org, member)
    client = role_client(O)
    for url, data in ((f"/console/orgs/{org.id}/members/{target.id}/role", {"role": "viewer"}),
                      (f"/console/orgs/{org.id}/members/{target.id}/remove", {}),
                      (f"/console/orgs/{org.id}/settings", {"low_balance_usd": "5"}),
                      ("/console/orgs/new", {"name": "Sneaky"})):
        assert client.post(url, data=data).status_code == 400, url
    assert _membership(org, member).role == M
    db.session.expire_all()
    assert db.session.get(type(org), org.id).low_balance_threshold is None


def test_a_form_with_its_csrf_token_goes_through(app, role_client, team, csrf_on):
    import re

    client = role_client(O)
    page = client.get(f"/console/orgs/{team['org'].id}/settings").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/console/orgs/{team['org'].id}/settings",
                           data={"csrf_token": token, "low_balance_usd": "5", "low_balance_email": ""})
    assert response.status_code == 302


HOSTILE = "<script>alert(1)</script>{{ 7*7 }}' OR 1=1 --"


def test_hostile_org_names_render_inert(role_client, team):
    client = role_client(O)
    assert client.post("/console/orgs/new", data={"name": HOSTILE}).status_code == 302
    org_id = db.session.scalar(select(Membership.org_id).join(Membership.org)
                               .where(Membership.org.has(name=HOSTILE)))
    for url in (f"/console/orgs/{org_id}/", f"/console/orgs/{org_id}/members", "/console/profile"):
        body = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "{{ 7*7 }}" in body and ">49<" not in body
