"""Org and user writes through the admin API: what they change, what the audit log says, and how bad input is refused."""
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey, AuditLog, KeyStatus, Organization, OrgStatus, TollgateUser, Wallet
from tests.factories import make_key, make_org, make_user


def _audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def test_creating_an_org_gives_it_a_wallet_and_an_audit_row_naming_the_admin(client, admin_headers):
    response = client.post("/api/v1/admin/orgs/", headers=admin_headers,
                           json={"name": "Acme", "billing_email": "pay@acme.test", "plan": "pro"})

    assert response.status_code == 201
    body = response.get_json()
    assert body["result"] == {"id": body["id"], "name": "Acme", "billing_email": "pay@acme.test", "plan": "pro",
                              "dev_plan": "none", "status": "active"}
    org = db.session.get(Organization, body["id"])
    assert db.session.scalar(select(Wallet.balance).where(Wallet.org_id == org.id)) == 0
    [row] = _audit("org.create")
    assert (row.target_type, row.target_id, row.actor_name) == ("Organization", str(org.id), "admin-api")
    assert row.details["after"] == {"name": "Acme", "billing_email": "pay@acme.test", "dev_plan": "none",
                                    "status": "active", "plan": "pro"}


def test_updating_an_org_records_only_what_changed_before_and_after(client, admin_headers):
    org = make_org(name="Before", plan="free")

    response = client.put(f"/api/v1/admin/orgs/{org.id}", headers=admin_headers, json={"plan": "pro", "name": "After"})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["plan"] == "pro"
    [row] = _audit("org.update")
    assert row.details == {"before": {"name": "Before", "plan": "free"}, "after": {"name": "After", "plan": "pro"}}


def test_status_deleted_is_the_screens_soft_delete_keys_revoked_row_kept(client, admin_headers):
    owner = make_user()
    org = make_org(owner=owner)
    key, _ = make_key(owner, org)

    response = client.put(f"/api/v1/admin/orgs/{org.id}", headers=admin_headers, json={"status": "deleted"})

    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Organization, org.id).deleted_at is not None
    assert db.session.get(ApiKey, key.id).status == KeyStatus.revoked
    assert client.get(f"/api/v1/admin/orgs/{org.id}", headers=admin_headers).status_code == 404  # left the listing
    assert _audit("org.update")[0].details == {"before": {"status": "active"}, "after": {"status": "deleted"}}


def test_org_bad_input_is_400_in_fabs_shape_naming_each_field(client, admin_headers):
    response = client.post("/api/v1/admin/orgs/", headers=admin_headers,
                           json={"name": "", "plan": "platinum", "billing_email": "nope", "status": "gone"})

    assert response.status_code == 400
    message = response.get_json()["message"]
    assert set(message) == {"name", "plan", "billing_email", "status"}
    assert "unknown plan 'platinum'" in message["plan"][0]
    assert not db.session.scalars(select(Organization)).all()
    assert not _audit("org.create")


def test_put_with_a_non_object_body_or_unknown_field_is_400_and_changes_nothing(client, admin_headers):
    org = make_org(name="Same")

    for body in ([1, 2], {"wallet_id": 5}):
        response = client.put(f"/api/v1/admin/orgs/{org.id}", headers=admin_headers, json=body)
        assert response.status_code == 400, response.get_json()
        assert isinstance(response.get_json()["message"], dict)
    assert not _audit("org.update")


def test_creating_a_user_gives_a_wallet_hides_the_password_and_is_audited(client, admin_headers):
    response = client.post("/api/v1/admin/users/", headers=admin_headers,
                           json={"username": "carol", "email": "carol@example.test", "first_name": "Carol",
                                 "password": "a-long-unusual-passphrase"})

    assert response.status_code == 201, response.get_json()
    result = response.get_json()["result"]
    assert "password" not in result
    assert result["username"] == "carol" and result["tier"] == "individual"
    assert [r["name"] for r in result["roles"]] == ["Public"]  # a customer account, no platform role
    user = db.session.get(TollgateUser, response.get_json()["id"])
    assert user.wallet is not None and user.password.startswith(("scrypt", "pbkdf2"))
    [row] = _audit("user.create")
    assert row.details["after"]["email"] == "carol@example.test" and "password" not in row.details["after"]


def test_user_create_refuses_a_taken_email_and_a_common_password_naming_both(client, admin_headers):
    make_user(username="dave")

    response = client.post("/api/v1/admin/users/", headers=admin_headers,
                           json={"username": "DAVE", "email": "dave@example.test", "password": "password"})

    assert response.status_code == 400
    assert set(response.get_json()["message"]) == {"username", "email", "password"}
    assert not _audit("user.create")


def test_user_update_is_audited_and_can_deactivate(client, admin_headers):
    user = make_user(username="erin")

    response = client.put(f"/api/v1/admin/users/{user.id}", headers=admin_headers,
                          json={"active": False, "tier": "enterprise"})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"] == {"email": "erin@example.test", "first_name": "erin", "last_name": "-",
                                             "tier": "enterprise", "active": False}
    [row] = _audit("user.update")
    assert row.details == {"before": {"tier": "individual", "active": True},
                           "after": {"tier": "enterprise", "active": False}}


def test_support_write_is_403_json_and_writes_nothing(client, token_for):
    org = make_org(name="Untouched")

    response = client.put(f"/api/v1/admin/orgs/{org.id}", headers=token_for("Support"), json={"name": "Changed"})

    assert response.status_code == 403 and response.get_json() == {"message": "Forbidden"}
    db.session.expire_all()
    assert db.session.get(Organization, org.id).name == "Untouched"


def test_a_put_to_an_id_that_is_not_a_number_or_not_there_is_404_json(client, admin_headers):
    for url in ("/api/v1/admin/orgs/abc", "/api/v1/admin/orgs/999999", "/api/v1/admin/users/1e3"):
        response = client.put(url, headers=admin_headers, json={"name": "x"})
        assert response.status_code == 404 and response.is_json, url
