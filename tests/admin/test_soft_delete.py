"""Deleting a user or an org keeps every financial record; the database refuses to lose one."""
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.extensions import db
from app.models import (ApiKey, AuditLog, KeyStatus, LedgerEntry, Organization, OrgStatus, TollgateUser,
                        UsageLog, Wallet, utcnow)
from tests.factories import fund, make_key, make_org, make_user


def _usage(key, cost=1_000):
    db.session.add(UsageLog(request_id=f"req_{key.id}_{cost}", created_at=utcnow(), org_id=key.org_id,
                            user_id=key.user_id, api_key_id=key.id, wallet_id=key.wallet_id, endpoint="chat",
                            total_cost=cost))
    db.session.commit()


def _records(wallet_id):
    db.session.expire_all()
    return (db.session.get(Wallet, wallet_id).balance,
            db.session.scalar(select(sa.func.count(LedgerEntry.id)).where(LedgerEntry.wallet_id == wallet_id)),
            db.session.scalar(select(sa.func.count(UsageLog.id)).where(UsageLog.wallet_id == wallet_id)))


def test_deleting_a_user_keeps_their_wallet_ledger_and_usage_and_revokes_their_keys(admin_client):
    user = make_user("leaver")
    wallet_id = db.session.scalar(select(Wallet.id).where(Wallet.user_id == user.id))
    fund(wallet_id, "3")
    key, _ = make_key(user)
    _usage(key)
    response = admin_client.post(f"/admin/users/{user.id}/delete", data={"confirm_email": user.email})
    assert response.status_code == 302
    assert _records(wallet_id) == (3_000_000, 1, 1)
    kept = db.session.get(TollgateUser, user.id)
    assert kept.deleted_at is not None and kept.active is False
    assert db.session.get(ApiKey, key.id).status == KeyStatus.revoked
    assert db.session.scalar(select(UsageLog.user_id)) == user.id
    admin_client.get("/admin/users/list/")  # shows, and so clears, the "deleted" flash message
    assert "leaver@example.test" not in admin_client.get("/admin/users/list/").get_data(as_text=True)


def test_deleting_an_org_keeps_its_wallet_ledger_and_usage_and_revokes_its_keys(admin_client):
    owner = make_user()
    org = make_org("Gone Corp", balance_usd="4", owner=owner)
    key, _ = make_key(owner, org)
    _usage(key)
    assert "Gone Corp" in admin_client.get("/admin/orgs/list/").get_data(as_text=True)
    wrong = admin_client.post(f"/admin/orgs/{org.id}/delete", data={"confirm_name": "Gone"})
    assert wrong.status_code == 400 and "Name" in wrong.get_data(as_text=True)
    response = admin_client.post(f"/admin/orgs/{org.id}/delete", data={"confirm_name": "Gone Corp"})
    assert response.status_code == 302
    assert _records(org.wallet.id) == (4_000_000, 1, 1)
    kept = db.session.get(Organization, org.id)
    assert kept.status == OrgStatus.deleted and kept.deleted_at is not None
    assert db.session.get(ApiKey, key.id).status == KeyStatus.revoked
    admin_client.get("/admin/orgs/list/")  # shows, and so clears, the "deleted" flash message
    assert "Gone Corp" not in admin_client.get("/admin/orgs/list/").get_data(as_text=True)
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "org.delete")).all()
    assert row.details["revoked_key_ids"] == [key.id]


def test_setting_an_org_to_deleted_in_its_edit_form_revokes_its_keys(admin_client):
    owner = make_user()
    org = make_org(owner=owner)
    key, _ = make_key(owner, org)
    admin_client.post(f"/admin/org-records/edit/{org.id}", data={
        "name": org.name, "billing_email": "", "plan": org.plan_id, "dev_plan": "none", "status": "deleted"})
    db.session.expire_all()
    assert db.session.get(Organization, org.id).deleted_at is not None
    assert db.session.get(ApiKey, key.id).status == KeyStatus.revoked


@pytest.mark.parametrize("table", ["wallets", "ab_user", "organizations", "api_keys"])
def test_database_refuses_a_raw_delete_that_would_lose_ledger_or_usage_rows(db, table):
    owner = make_user()
    org = make_org(balance_usd="2", owner=owner)
    key, _ = make_key(owner, org)
    _usage(key)
    target = {"wallets": org.wallet.id, "ab_user": owner.id, "organizations": org.id, "api_keys": key.id}[table]
    with pytest.raises(sa.exc.IntegrityError):
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"DELETE FROM {table} WHERE id = :id"), {"id": target})
    assert _records(org.wallet.id) == (2_000_000, 1, 1)
