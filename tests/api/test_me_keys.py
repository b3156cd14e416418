"""/api/v1/me/keys: create (secret once), read, edit, rotate, revoke and batch, under the org's roles."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiKey, KeyStatus, OrgRole, Project
from tests.factories import make_key, make_org, make_user
from tests.gateway.helpers import chat

from .conftest import headers


def create(client, hdrs, **fields):
    return client.post("/api/v1/me/keys", json={"name": "ci", **fields}, headers=hdrs)


def key_rows() -> list[ApiKey]:
    db.session.expire_all()
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id)))


@pytest.mark.embedded
def test_created_key_returns_its_secret_once_and_calls_the_gateway(client, world):
    project = Project(org_id=world.org.id, name="web")
    db.session.add(project)
    db.session.commit()
    resp = create(client, world.headers, allowed_models=["gpt-test"], per_request_cap_usd="0.5", rpm_limit=60,
                  tpm_limit=10000, quota_usd=0, cap_5h_usd=1, cap_1d_usd="2.5", cap_7d_usd=7,
                  model_caps_usd={"gpt-test": "0.25"}, project_id=project.id, expires_in_days=30)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["secret"].startswith("tg-") and body["prefix"] == body["secret"][:11]
    assert body["allowed_models"] == ["gpt-test"] and body["per_request_cap_usd"] == 0.5
    assert body["quota_usd"] is None  # 0 = unlimited
    assert (body["cap_5h_usd"], body["cap_1d_usd"], body["cap_7d_usd"]) == (1.0, 2.5, 7.0)
    assert body["model_caps_usd"] == {"gpt-test": 0.25} and body["project_id"] == project.id
    row = db.session.get(ApiKey, body["id"])
    assert (row.per_request_cap, row.cap_1d, row.model_caps) == (500_000, 2_500_000, {"gpt-test": 250_000})
    assert row.org_id == world.org.id and row.user_id == world.owner.id
    assert "secret" not in client.get(f"/api/v1/me/keys/{body['id']}", headers=world.headers).json
    listed = client.get("/api/v1/me/keys", headers=world.headers).json["data"]
    assert all("secret" not in k for k in listed)
    assert chat(client, headers(body["secret"])).status_code == 200
    assert chat(client, headers(body["secret"]), model="claude-test").json["error"]["code"] == "model_not_allowed"


def test_expiry_may_be_a_date(client, world):
    day = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    resp = create(client, world.headers, expires_at=day)
    assert resp.status_code == 201 and resp.json["expires_at"] == f"{day}T00:00:00Z"


@pytest.mark.parametrize("fields, field", [
    ({"colour": "red"}, "colour"),
    ({"name": ""}, "name"),
    ({"name": 7}, "name"),
    ({"rpm_limit": "60"}, "rpm_limit"),
    ({"rpm_limit": True}, "rpm_limit"),
    ({"tpm_limit": 0}, "tpm_limit"),
    ({"per_request_cap_usd": -1}, "per_request_cap_usd"),
    ({"cap_5h_usd": "-0.01"}, "cap_5h_usd"),
    ({"quota_usd": "lots"}, "quota_usd"),
    ({"cap_7d_usd": "0.0000001"}, "cap_7d_usd"),
    ({"allowed_models": ["gpt-test", "no-such-model"]}, "allowed_models"),
    ({"allowed_models": "gpt-test"}, "allowed_models"),
    ({"model_caps_usd": {"gpt-test": -5}}, "model_caps_usd.gpt-test"),
    ({"model_caps_usd": {"nope": 5}}, "model_caps_usd"),
    ({"project_id": 999}, "project_id"),
    ({"expires_at": "2001-01-01"}, "expires_at"),
    ({"expires_at": "next week"}, "expires_at"),
    ({"expires_in_days": -3}, "expires_in_days"),
    ({"expires_in_days": 3, "expires_at": "2999-01-01"}, "expires_in_days"),
    ({"user_id": "me"}, "user_id"),
])
def test_bad_fields_are_400_naming_the_field_and_change_nothing(client, world, fields, field):
    before = [(k.id, k.name, k.rpm_limit) for k in key_rows()]
    resp = client.post("/api/v1/me/keys", json={"name": "x", **fields}, headers=world.headers)
    assert resp.status_code == 400
    assert resp.json["error"]["type"] == "invalid_request_error" and resp.json["error"]["param"] == field
    patched = client.patch(f"/api/v1/me/keys/{world.key.id}", json=fields, headers=world.headers)
    assert patched.status_code == 400 and patched.json["error"]["param"] == field
    assert [(k.id, k.name, k.rpm_limit) for k in key_rows()] == before


@pytest.mark.parametrize("payload", [b"[1, 2]", b"not json", b"\"name\""])
def test_a_body_that_is_not_a_json_object_is_400(client, world, payload):
    resp = client.post("/api/v1/me/keys", data=payload, headers={**world.headers, "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json["error"]["param"] == "body"


def test_allowlist_may_not_name_an_exclusive_model_the_user_was_not_granted(client, world):
    from tests.factories import make_group, make_model

    vip = make_group("vip", exclusive=True)
    make_model("vip-model", [world.openai_provider], [vip])
    resp = create(client, world.headers, allowed_models=["vip-model"])
    assert resp.status_code == 400 and "vip-model" in resp.json["error"]["message"]


def test_patch_changes_caps_and_the_gateway_applies_them_at_once(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "GATEWAY_KEY_CACHE_SECONDS", 30)
    assert chat(client, world.headers).status_code == 200  # the key is now cached
    resp = client.patch(f"/api/v1/me/keys/{world.key.id}", json={"quota_usd": "0.000001", "name": "new"},
                        headers=world.headers)
    assert resp.status_code == 200 and resp.json["name"] == "new" and resp.json["quota_usd"] == 0.000001
    refused = chat(client, world.headers)
    assert refused.status_code == 429 and refused.json["error"]["code"] == "quota_exhausted"


def test_a_narrowed_allowlist_applies_at_once_even_while_the_key_is_cached(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "GATEWAY_KEY_CACHE_SECONDS", 30)
    assert chat(client, world.headers).status_code == 200  # the key is now cached
    resp = client.patch(f"/api/v1/me/keys/{world.key.id}", json={"allowed_models": ["claude-test"]},
                        headers=world.headers)
    assert resp.status_code == 200
    refused = chat(client, world.headers)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "model_not_allowed"
    assert chat(client, world.headers, model="claude-test").status_code == 200


def test_patch_narrows_the_allowlist(client, world):
    resp = client.patch(f"/api/v1/me/keys/{world.key.id}", json={"allowed_models": ["claude-test"]},
                        headers=world.headers)
    assert resp.status_code == 200 and resp.json["allowed_models"] == ["claude-test"]
    assert chat(client, world.headers).json["error"]["code"] == "model_not_allowed"
    cleared = client.patch(f"/api/v1/me/keys/{world.key.id}", json={"allowed_models": None}, headers=world.headers)
    assert cleared.json["allowed_models"] == [] and chat(client, world.headers).status_code == 200


def test_revoke_stops_the_key_at_once_even_while_cached(app, client, world, join, monkeypatch):
    monkeypatch.setitem(app.config, "GATEWAY_KEY_CACHE_SECONDS", 30)
    _, member = join(OrgRole.member)
    key, secret = make_key(world.owner, world.org, name="doomed")
    assert chat(client, headers(secret)).status_code == 200
    resp = client.delete(f"/api/v1/me/keys/{key.id}", headers=world.headers)
    assert resp.status_code == 200 and resp.json["status"] == "revoked" and resp.json["revoked_at"]
    assert chat(client, headers(secret)).json["error"]["code"] == "revoked_api_key"
    again = client.patch(f"/api/v1/me/keys/{key.id}", json={"name": "back"}, headers=world.headers)
    assert again.status_code == 400 and again.json["error"]["param"] == "id"


def test_rotate_returns_a_new_secret_with_the_same_settings_and_revokes_the_old(client, world):
    made = create(client, world.headers, rpm_limit=42, allowed_models=["gpt-test"]).json
    resp = client.post(f"/api/v1/me/keys/{made['id']}/rotate", headers=world.headers)
    assert resp.status_code == 201
    new = resp.json
    assert new["secret"] != made["secret"] and new["replaces"] == made["id"] and new["id"] != made["id"]
    assert (new["rpm_limit"], new["allowed_models"], new["name"]) == (42, ["gpt-test"], "ci")
    assert chat(client, headers(made["secret"])).status_code == 401
    assert chat(client, headers(new["secret"])).status_code == 200


def test_members_see_and_manage_only_their_own_keys(client, world, join):
    alice, alice_headers = join(OrgRole.member)
    _, bob_headers = join(OrgRole.member)
    bob_key = client.get("/api/v1/me/keys", headers=bob_headers).json["data"][0]
    mine = client.get("/api/v1/me/keys", headers=alice_headers).json["data"]
    assert [k["user_id"] for k in mine] == [alice.id]
    for method in ("get", "patch", "delete"):
        resp = getattr(client, method)(f"/api/v1/me/keys/{bob_key['id']}", json={"name": "x"}, headers=alice_headers)
        assert resp.status_code == 404 and resp.json["error"]["type"] == "not_found_error"
    assert client.post(f"/api/v1/me/keys/{bob_key['id']}/rotate", headers=alice_headers).status_code == 404
    assert client.get(f"/api/v1/me/keys/{world.key.id}", headers=alice_headers).status_code == 404
    assert db.session.get(ApiKey, bob_key["id"]).status == KeyStatus.active


@pytest.mark.parametrize("role", [OrgRole.owner, OrgRole.admin])
def test_owners_and_admins_manage_every_key_of_their_org(client, world, join, role):
    _, member_headers = join(OrgRole.member)
    member_key = client.get("/api/v1/me/keys", headers=member_headers).json["data"][0]
    _, manager = join(role)
    assert len(client.get("/api/v1/me/keys", headers=manager).json["data"]) == 3
    assert client.delete(f"/api/v1/me/keys/{member_key['id']}", headers=manager).json["status"] == "revoked"


def test_admin_may_create_a_key_for_a_member_but_a_member_may_not(client, world, join):
    alice, alice_headers = join(OrgRole.member)
    bob, _ = join(OrgRole.member)
    _, admin = join(OrgRole.admin)
    made = create(client, admin, user_id=alice.id)
    assert made.status_code == 201 and made.json["user_id"] == alice.id
    refused = create(client, alice_headers, user_id=bob.id)
    assert refused.status_code == 400 and refused.json["error"]["param"] == "user_id"
    outsider = make_user("outsider")
    assert create(client, admin, user_id=outsider.id).json["error"]["param"] == "user_id"


def test_viewers_read_their_keys_but_cannot_change_them(client, world, join):
    _, viewer = join(OrgRole.viewer)
    own = client.get("/api/v1/me/keys", headers=viewer).json["data"]
    assert len(own) == 1
    assert create(client, viewer).status_code == 403
    assert client.delete(f"/api/v1/me/keys/{own[0]['id']}", headers=viewer).status_code == 403


def test_a_key_of_another_org_is_404_even_for_its_owner_calling_with_this_orgs_key(client, world):
    other = make_org("Other", owner=world.owner)
    other_key, _ = make_key(world.owner, other, name="other org")
    assert client.get(f"/api/v1/me/keys/{other_key.id}", headers=world.headers).status_code == 404
    assert client.delete(f"/api/v1/me/keys/{other_key.id}", headers=world.headers).status_code == 404
    assert db.session.get(ApiKey, other_key.id).status == KeyStatus.active


def test_individuals_manage_their_personal_keys_only(client, world):
    solo = make_user("solo")
    _, secret = make_key(solo, name="personal")
    made = create(client, headers(secret))
    assert made.status_code == 201 and made.json["org_id"] is None
    assert client.get(f"/api/v1/me/keys/{world.key.id}", headers=headers(secret)).status_code == 404
    assert create(client, headers(secret), project_id=1).json["error"]["param"] == "project_id"


def test_batch_revokes_all_or_none(client, world, join):
    _, bob = join(OrgRole.member)
    bob_key = client.get("/api/v1/me/keys", headers=bob).json["data"][0]
    ids = [create(client, world.headers).json["id"] for _ in range(3)]
    _, alice = join(OrgRole.member)
    refused = client.post("/api/v1/me/keys/batch", json={"action": "revoke", "ids": [*ids, bob_key["id"]]},
                          headers=alice)
    assert refused.status_code == 404 and str(ids[0]) in refused.json["error"]["message"]
    assert db.session.scalar(select(func.count()).where(ApiKey.status == KeyStatus.revoked)) == 0
    done = client.post("/api/v1/me/keys/batch", json={"action": "revoke", "ids": ids}, headers=world.headers)
    assert done.status_code == 200 and [k["status"] for k in done.json["data"]] == ["revoked"] * 3
    read = client.post("/api/v1/me/keys/batch", json={"action": "get", "ids": [bob_key["id"]]}, headers=world.headers)
    assert read.json["data"][0]["id"] == bob_key["id"] and read.json["data"][0]["status"] == "active"


@pytest.mark.parametrize("payload, field", [
    ({"action": "explode", "ids": [1]}, "action"),
    ({"action": "revoke", "ids": []}, "ids"),
    ({"action": "revoke", "ids": ["1"]}, "ids"),
    ({"action": "revoke", "ids": list(range(1, 102))}, "ids"),
    ({"action": "revoke", "ids": [1], "force": True}, "force"),
])
def test_bad_batch_requests_are_400_naming_the_field(client, world, payload, field):
    resp = client.post("/api/v1/me/keys/batch", json=payload, headers=world.headers)
    assert resp.status_code == 400 and resp.json["error"]["param"] == field
    assert db.session.get(ApiKey, world.key.id).status == KeyStatus.active


def test_list_pages_with_after_and_filters_by_status(client, world):
    ids = [create(client, world.headers, name=f"k{i}").json["id"] for i in range(4)]
    client.delete(f"/api/v1/me/keys/{ids[0]}", headers=world.headers)
    first = client.get("/api/v1/me/keys?limit=2", headers=world.headers).json
    assert [k["id"] for k in first["data"]] == [ids[3], ids[2]] and first["next_after"] == ids[2]
    rest = client.get(f"/api/v1/me/keys?limit=2&after={first['next_after']}", headers=world.headers).json
    assert [k["id"] for k in rest["data"]] == [ids[1], ids[0]]
    revoked = client.get("/api/v1/me/keys?status=revoked", headers=world.headers).json["data"]
    assert [k["id"] for k in revoked] == [ids[0]]
    lapsed = db.session.get(ApiKey, ids[1])
    lapsed.expires_at = dt.datetime.utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    expired = client.get("/api/v1/me/keys?status=expired", headers=world.headers).json["data"]
    assert [(k["id"], k["status"]) for k in expired] == [(ids[1], "expired")]
    active = client.get("/api/v1/me/keys?status=active", headers=world.headers).json["data"]
    assert ids[1] not in [k["id"] for k in active] and ids[2] in [k["id"] for k in active]
    assert client.get("/api/v1/me/keys?status=gone", headers=world.headers).json["error"]["param"] == "status"
    assert client.get("/api/v1/me/keys?limit=0", headers=world.headers).json["error"]["param"] == "limit"


def test_keys_endpoints_need_a_key(client, world):
    resp = client.get("/api/v1/me/keys")
    assert resp.status_code == 401 and resp.json["error"]["type"] == "authentication_error"


def test_a_new_key_takes_the_orgs_default_caps_unless_the_caller_sends_them(client, world):
    world.org.key_defaults = {"per_request_cap_usd": "0.5", "rpm_limit": 60, "tpm_limit": 20000, "cap_1d_usd": "10"}
    db.session.commit()
    plain = create(client, world.headers)
    assert plain.status_code == 201, plain.json
    assert (plain.json["per_request_cap_usd"], plain.json["rpm_limit"], plain.json["tpm_limit"],
            plain.json["cap_1d_usd"]) == (0.5, 60, 20000, 10.0)
    # An explicit value wins, null ("no cap") included.
    own = create(client, world.headers, rpm_limit=5, cap_1d_usd=None).json
    assert (own["per_request_cap_usd"], own["rpm_limit"], own["tpm_limit"], own["cap_1d_usd"]) == (0.5, 5, 20000, None)
