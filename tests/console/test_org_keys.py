"""Org keys: batch issue with shared caps, secrets delivered once (CSV or a one-time reveal), every key listed."""
import csv
import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.keys import hash_key
from app.models import ApiKey, KeyReveal, KeyStatus, OrgRole
from tests.console.test_tokens import _keys, _secret
from tests.factories import make_key

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer


def _issue(client, team, roles, **form):
    data = {"name": "laptop", "members": [str(team["users"][r].id) for r in roles], "delivery": "reveal", **form}
    return client.post(f"/console/orgs/{team['org'].id}/keys/issue", data=data)


def test_issued_keys_share_the_caps_and_each_member_reads_their_secret_once(role_client, team):
    response = _issue(role_client(O), team, [M, A], cap_1d_usd="3", rpm_limit="30")
    assert response.status_code == 302
    keys = {k.user_id: k for k in _keys()}
    member_key = keys[team["users"][M].id]
    assert {(k.name, k.cap_1d, k.rpm_limit, k.org_id) for k in keys.values()} == {("laptop", 3_000_000, 30, team["org"].id)}
    stored = db.session.scalars(select(KeyReveal.secret_encrypted)).all()
    assert len(stored) == 2 and not any(s.startswith("tg-") for s in stored)

    member, url = role_client(M), f"/console/orgs/{team['org'].id}/tokens"
    page = member.get(url).get_data(as_text=True)
    assert 'id="waiting-keys"' in page and member_key.prefix in page
    admin_key = keys[team["users"][A].id]
    assert member.post(f"{url}/{admin_key.id}/reveal").status_code == 404  # another member's secret
    assert role_client(O).post(f"{url}/{member_key.id}/reveal").status_code == 404  # not even the issuer's
    shown = member.post(f"{url}/{member_key.id}/reveal")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert hash_key(_secret(shown.get_data(as_text=True))) == member_key.key_hash
    assert member.post(f"{url}/{member_key.id}/reveal").status_code == 404
    assert 'id="waiting-keys"' not in member.get(url).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(KeyReveal)) == 1  # the admin's still waits


def test_a_revoked_key_never_reveals_its_secret(role_client, team):
    _issue(role_client(O), team, [M])
    [key] = _keys()
    url = f"/console/orgs/{team['org'].id}/tokens"
    role_client(O).post(f"{url}/{key.id}/revoke")
    member = role_client(M)
    assert 'id="waiting-keys"' not in member.get(url).get_data(as_text=True)
    assert member.post(f"{url}/{key.id}/reveal").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(KeyReveal)) == 0


def test_csv_delivery_hands_every_secret_over_in_the_response_and_keeps_none(role_client, team):
    response = _issue(role_client(A), team, [M, O], delivery="csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    keys = {k.id: k for k in _keys()}
    assert len(rows) == 2 and {r["member"] for r in rows} == {team["users"][M].email, team["users"][O].email}
    assert all(hash_key(r["secret"]) == keys[int(r["key_id"])].key_hash for r in rows)
    assert db.session.scalar(select(func.count()).select_from(KeyReveal)) == 0


@pytest.mark.parametrize("roles,form,field", [
    ([M], {"cap_7d_usd": "-1"}, "cap_7d_usd"),
    ([M, V], {}, "user_id"),  # viewers hold no keys
    ([], {}, "members"),
    ([M], {"delivery": "pigeon"}, "delivery"),
    ([M], {"name": ""}, "name"),
])
def test_a_refused_batch_issues_no_key_at_all(role_client, team, roles, form, field):
    response = _issue(role_client(O), team, roles, **form)
    assert response.status_code == 400 and f"<strong>{field}</strong>" in response.get_data(as_text=True)
    assert _keys() == [] and db.session.scalar(select(func.count()).select_from(KeyReveal)) == 0


def test_an_outsider_cannot_be_issued_a_key(role_client, team):
    response = role_client(O).post(f"/console/orgs/{team['org'].id}/keys/issue", data={
        "name": "x", "members": [str(team["outsider"].id)], "delivery": "csv"})
    assert response.status_code == 400 and _keys() == []


def test_managers_see_and_revoke_every_key_of_the_org(role_client, team):
    org = team["org"]
    member_key, _ = make_key(team["users"][M], org, name="member-key")
    admin_key, _ = make_key(team["users"][A], org, name="admin-key")
    foreign, _ = make_key(team["outsider"], team["other"], name="foreign-key")
    client, url = role_client(A), f"/console/orgs/{org.id}/keys"
    body = client.get(url).get_data(as_text=True)
    assert member_key.prefix in body and admin_key.prefix in body and foreign.prefix not in body
    assert team["users"][M].email in body
    only = client.get(url, query_string={"user": team["users"][M].id}).get_data(as_text=True)
    assert member_key.prefix in only and admin_key.prefix not in only
    response = client.post(f"/console/orgs/{org.id}/tokens/batch",
                           data={"action": "revoke", "ids": [str(member_key.id)], "next": url})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert db.session.get(ApiKey, member_key.id).status == KeyStatus.revoked
    foreign_batch = client.post(f"/console/orgs/{org.id}/tokens/batch", data={"action": "revoke", "ids": [str(foreign.id)]})
    assert foreign_batch.status_code == 404
    edit = f"/console/orgs/{org.id}/tokens/{admin_key.id}/edit"
    assert f'{edit}?next=' in body
    form = client.get(edit, query_string={"next": url}).get_data(as_text=True)
    assert f'name="next" value="{url}"' in form
    saved = client.post(edit, data={"name": "admin-key", "cap_1d_usd": "4", "next": url})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(url)
    assert db.session.get(ApiKey, admin_key.id).cap_1d == 4_000_000
    csv_body = client.get(f"{url}/export.csv").get_data(as_text=True)
    assert "member-key" in csv_body and "admin-key" in csv_body and "foreign-key" not in csv_body


def test_an_unsafe_next_is_ignored(role_client, team):
    key, _ = make_key(team["users"][M], team["org"])
    response = role_client(O).post(f"/console/orgs/{team['org'].id}/tokens/{key.id}/revoke",
                                   data={"next": "https://evil.example/"})
    assert response.headers["Location"].endswith(f"/console/orgs/{team['org'].id}/tokens")


def test_members_and_viewers_may_not_issue(role_client, team):
    for role in (M, V):
        assert _issue(role_client(role), team, [M]).status_code == 403
    assert _keys() == []


def test_secrets_nobody_can_read_any_more_are_deleted_by_the_hourly_job(role_client, team):
    from app.jobs.expiry import drop_unread_secrets
    from app.jobs.periodic import PERIODIC

    assert _issue(role_client(O), team, [M, A, O]).status_code == 302
    keys = {k.user_id: k for k in _keys()}
    db.session.get(ApiKey, keys[team["users"][A].id].id).status = KeyStatus.revoked
    owner_reveal = db.session.scalar(select(KeyReveal).where(KeyReveal.user_id == team["users"][O].id))
    owner_reveal.created_at -= __import__("datetime").timedelta(days=8)  # past CONSOLE_KEY_REVEAL_DAYS (7)
    db.session.commit()
    assert drop_unread_secrets() == 2
    left = db.session.scalars(select(KeyReveal.user_id)).all()
    assert left == [team["users"][M].id]  # the member's, still waiting, is kept
    assert drop_unread_secrets() == 0
    assert any(func is drop_unread_secrets and every == 3600 for func, _, every in PERIODIC)
