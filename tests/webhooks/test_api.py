"""/api/v1/me/webhooks: who may manage which endpoints, validation, the secret shown once."""
from app.models import OrgRole
from tests.factories import make_key, make_user
from app.accounts import add_member
from app.extensions import db
from tests.webhooks.helpers import create_endpoint, org_owner


def test_secret_is_shown_at_creation_and_rotation_only(client):
    _, auth = org_owner()
    created = create_endpoint(client, auth, "https://hooks.example.com/tollgate", description="ops")
    assert created["secret"].startswith("whsec_") and created["events"] == "*"
    shown = client.get(f"/api/v1/me/webhooks/{created['id']}", headers=auth).get_json()
    assert "secret" not in shown and shown["description"] == "ops"
    rotated = client.post(f"/api/v1/me/webhooks/{created['id']}/rotate-secret", headers=auth).get_json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]


def test_update_and_delete(client):
    _, auth = org_owner()
    created = create_endpoint(client, auth, "https://hooks.example.com/a")
    resp = client.patch(f"/api/v1/me/webhooks/{created['id']}", headers=auth,
                        json={"events": ["key.created", "key.revoked"], "active": False})
    assert resp.status_code == 200
    assert resp.get_json()["events"] == ["key.created", "key.revoked"] and resp.get_json()["active"] is False
    assert client.delete(f"/api/v1/me/webhooks/{created['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/me/webhooks/{created['id']}", headers=auth).status_code == 404


def test_bad_fields_are_named_in_a_400(client):
    _, auth = org_owner()
    cases = [({"url": "ftp://x.example/"}, "url"), ({"url": "https://x.example/", "events": ["nope"]}, "events"),
             ({"url": "https://x.example/", "colour": "red"}, "colour"), ({}, "url"),
             ({"url": "https://x.example/", "active": "yes"}, "active")]
    for body, field in cases:
        resp = client.post("/api/v1/me/webhooks", json=body, headers=auth)
        assert resp.status_code == 400, body
        assert resp.get_json()["error"]["param"] == field


def test_members_cannot_manage_org_webhooks_and_orgs_do_not_see_each_others(client):
    org, auth = org_owner()
    created = create_endpoint(client, auth, "https://hooks.example.com/a")
    member = make_user()
    add_member(org, member, OrgRole.member)
    db.session.commit()
    _, member_secret = make_key(member, org)
    resp = client.get("/api/v1/me/webhooks", headers={"Authorization": f"Bearer {member_secret}"})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "insufficient_role"
    _, other_auth = org_owner()
    assert client.get(f"/api/v1/me/webhooks/{created['id']}", headers=other_auth).status_code == 404


def test_individuals_manage_their_own_and_a_missing_key_is_401(client):
    user = make_user()
    _, secret = make_key(user)
    auth = {"Authorization": f"Bearer {secret}"}
    create_endpoint(client, auth, "https://hooks.example.com/me")
    assert len(client.get("/api/v1/me/webhooks", headers=auth).get_json()["data"]) == 1
    assert client.get("/api/v1/me/webhooks").status_code == 401


def test_calls_are_rate_limited_per_key(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ME_API_RATE_LIMIT", "2/minute")
    _, auth = org_owner()
    statuses = [client.get("/api/v1/me/webhooks", headers=auth).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
