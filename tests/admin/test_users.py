"""Users: bulk model-group assignment and the typed-email delete confirmation."""
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Membership, TollgateUser, UserAllowedGroup
from tests.factories import make_group, make_org, make_user


def _grants():
    return set(db.session.execute(select(UserAllowedGroup.user_id, UserAllowedGroup.group_id)).all())


def test_bulk_action_opens_dialog_listing_every_group_with_public_ones_ticked(admin_client):
    users = [make_user(), make_user()]
    public, exclusive = make_group("everyone"), make_group("frontier", exclusive=True)
    response = admin_client.post("/admin/users/action_post",
                                 data={"action": "assign_groups", "rowid": [str(u.id) for u in users]})
    assert response.status_code == 302
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'value="{public.id}" id="group-{public.id}"\n          checked' in html
    assert f'value="{exclusive.id}" id="group-{exclusive.id}"\n          >' in html


def test_assigning_writes_grants_only_for_exclusive_groups_and_audits_each(admin_client, admin_user):
    users = [make_user(), make_user()]
    public, exclusive, other = make_group(), make_group(exclusive=True), make_group(exclusive=True)
    ids = ",".join(str(u.id) for u in users)
    admin_client.post("/admin/users/groups", data={"ids": ids, "group_ids": [public.id, exclusive.id]})
    assert _grants() == {(users[0].id, exclusive.id), (users[1].id, exclusive.id)}
    grants = db.session.scalars(select(AuditLog).where(AuditLog.action == "group.grant")).all()
    assert {g.target_id for g in grants} == {str(u.id) for u in users}
    assert all(g.actor_id == admin_user.id for g in grants)

    # Unticking an exclusive group revokes it; ticking another grants it.
    admin_client.post("/admin/users/groups", data={"ids": str(users[0].id), "group_ids": [public.id, other.id]})
    assert _grants() == {(users[0].id, other.id), (users[1].id, exclusive.id)}
    assert db.session.scalar(select(AuditLog.details).where(AuditLog.action == "group.revoke"))["group_id"] == exclusive.id


def test_single_user_grant_through_the_same_dialog(admin_client):
    user, exclusive = make_user(), make_group(exclusive=True)
    response = admin_client.get(f"/admin/users/action/assign_groups/{user.id}")
    assert response.status_code == 302
    admin_client.post("/admin/users/groups", data={"ids": str(user.id), "group_ids": [exclusive.id]})
    assert _grants() == {(user.id, exclusive.id)}


def test_delete_with_the_wrong_email_keeps_the_user(admin_client):
    user = make_user()
    response = admin_client.post(f"/admin/users/{user.id}/delete", data={"confirm_email": "someone@else.test"})
    assert response.status_code == 400 and "Email" in response.get_data(as_text=True)
    assert db.session.get(TollgateUser, user.id) is not None
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "user.delete")).all() == []


def test_delete_after_typing_the_email_soft_deletes_the_user_and_removes_memberships(admin_client):
    user = make_user()
    org = make_org(owner=user)
    response = admin_client.post(f"/admin/users/{user.id}/delete", data={"confirm_email": user.email.upper()})
    assert response.status_code == 302
    db.session.expire_all()
    kept = db.session.get(TollgateUser, user.id)
    assert kept is not None and kept.deleted_at is not None and kept.active is False
    assert db.session.scalars(select(Membership).where(Membership.org_id == org.id)).all() == []
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "user.delete")).all()
    assert row.details["before"]["email"] == user.email


def test_users_list_searches_by_email(admin_client):
    make_user("findme")
    make_user("other")
    html = admin_client.get("/admin/users/list/?_flt_0_email=findme").get_data(as_text=True)
    assert "findme@example.test" in html and "other@example.test" not in html


def test_user_page_links_to_the_delete_confirmation(admin_client):
    user = make_user()
    html = admin_client.get(f"/admin/users/show/{user.id}").get_data(as_text=True)
    assert f"/admin/users/{user.id}/delete" in html
