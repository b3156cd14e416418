"""Revoked keys are refused at once, even while each gateway process caches keys."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import LedgerEntry, UsageLog
from tests.admin.conftest import PASSWORD, _login
from tests.factories import make_user
from tests.gateway.helpers import balance, chat


@pytest.fixture
def cached_keys(app, monkeypatch):
    monkeypatch.setitem(app.config, "GATEWAY_KEY_CACHE_SECONDS", 30)


@pytest.fixture
def staff(app, db):
    make_user("gateway-admin", role_name="Admin", password=PASSWORD)
    return _login(app, "gateway-admin")


def test_deleted_users_key_is_refused_within_the_key_cache_window(client, world, cached_keys, staff):
    assert chat(client, world.headers).status_code == 200  # now cached for 30 s
    spent = balance(world.org.wallet.id)
    response = staff.post(f"/admin/users/{world.owner.id}/delete", data={"confirm_email": world.owner.email})
    assert response.status_code == 302
    refused = chat(client, world.headers)
    assert refused.status_code == 401 and refused.json["error"]["code"] == "revoked_api_key"
    assert balance(world.org.wallet.id) == spent
    [served] = db.session.scalars(select(UsageLog).where(UsageLog.status == "success")).all()
    assert served.user_id == world.owner.id  # the deleted user's usage and charges stay
    assert db.session.scalar(select(LedgerEntry).where(LedgerEntry.external_id == f"usage:{served.request_id}"))


def test_deleted_orgs_key_is_refused_within_the_key_cache_window(client, world, cached_keys, staff):
    assert chat(client, world.headers).status_code == 200
    staff.post(f"/admin/orgs/{world.org.id}/delete", data={"confirm_name": world.org.name})
    assert chat(client, world.headers).status_code == 401


def test_revoked_key_is_refused_within_the_key_cache_window(client, world, cached_keys, staff):
    assert chat(client, world.headers).status_code == 200
    staff.post(f"/admin/orgs/{world.org.id}/keys/{world.key.id}/revoke")
    assert chat(client, world.headers).status_code == 401


def test_paused_org_is_refused_within_the_key_cache_window(client, world, cached_keys, staff):
    assert chat(client, world.headers).status_code == 200
    staff.post(f"/admin/org-records/edit/{world.org.id}", data={
        "name": world.org.name, "billing_email": "", "plan": world.org.plan_id, "dev_plan": "none",
        "status": "paused"})
    response = chat(client, world.headers)
    assert response.status_code == 403 and response.json["error"]["code"] == "org_paused"


def test_cached_key_still_answers_without_a_database_read(client, world, cached_keys):
    from app.gateway import keycache

    assert chat(client, world.headers).status_code == 200
    hit = next(iter(keycache._cache.values()))
    assert chat(client, world.headers).status_code == 200
    assert next(iter(keycache._cache.values())) is hit  # served from the cache, not reloaded


def test_member_removed_in_the_console_loses_their_key_within_the_key_cache_window(app, client, world, cached_keys):
    from app.accounts import add_member
    from app.models import Membership, OrgRole
    from tests.console.conftest import login, verified_user
    from tests.factories import make_key

    member = verified_user("leaving-member")
    add_member(world.org, member)
    db.session.commit()
    _, secret = make_key(member, world.org)
    headers = {"Authorization": f"Bearer {secret}"}
    assert chat(client, headers).status_code == 200  # now cached for 30 s
    owner = verified_user("console-owner")
    add_member(world.org, owner, OrgRole.owner)
    db.session.commit()
    membership_id = db.session.scalar(select(Membership.id).where(Membership.user_id == member.id))
    response = login(app, owner.username).post(f"/console/orgs/{world.org.id}/members/{membership_id}/remove")
    assert response.status_code == 302
    refused = chat(client, headers)
    assert refused.status_code == 401 and refused.json["error"]["code"] == "revoked_api_key"
