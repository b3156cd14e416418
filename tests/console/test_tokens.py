"""Tokens page: create (secret once), list with spend against caps, edit, rotate, revoke, batch, CSV, roles."""
import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.gateway import catalog
from app.models import ApiKey, AuditLog, KeyStatus, OrgRole, Project
from app.keys import hash_key
from tests.console.test_pages import _usage
from tests.factories import make_group, make_key, make_model

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer


@pytest.fixture
def models(db):
    public = make_group("public")
    for name in ("alpha", "beta"):
        make_model(name, groups=[public])
    catalog.invalidate()


def _secret(body: str) -> str:
    return re.search(r'id="secret" readonly value="(tg-[^"]+)"', body).group(1)


def _keys() -> list[ApiKey]:
    db.session.expire_all()
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id)))


def test_a_new_token_shows_its_secret_once_with_snippets_and_keeps_only_its_hash(role_client, team, models):
    client, org = role_client(M), team["org"]
    response = client.post(f"/console/orgs/{org.id}/tokens", data={
        "name": "production-web", "allowed_models": ["alpha"], "per_request_cap_usd": "0.5", "rpm_limit": "60",
        "tpm_limit": "10000", "quota_usd": "0", "cap_5h_usd": "1", "cap_1d_usd": "2.5", "cap_7d_usd": "7",
        "model_cap:alpha": "0.25", "expires_in_days": "30"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = _secret(body)
    for snippet in ("snippet-curl", "snippet-openai", "snippet-anthropic", "snippet-env", "OPENAI_API_KEY", "copy"):
        assert snippet in body
    [key] = _keys()
    assert key.key_hash == hash_key(secret) and (key.user_id, key.org_id) == (team["users"][M].id, org.id)
    assert (key.allowed_models, key.per_request_cap, key.rpm_limit, key.tpm_limit, key.quota) == (
        ["alpha"], 500_000, 60, 10_000, None)
    assert (key.cap_5h, key.cap_1d, key.cap_7d, key.model_caps) == (1_000_000, 2_500_000, 7_000_000, {"alpha": 250_000})
    assert dt.timedelta(days=29) < key.expires_at - dt.datetime.utcnow() <= dt.timedelta(days=30)
    listing = client.get(f"/console/orgs/{org.id}/tokens").get_data(as_text=True)
    assert key.prefix in listing and secret not in listing
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.target_id == str(key.id))) == "console.key_created"


def test_an_expiry_date_and_a_project_are_kept(role_client, team, models):
    project = Project(org_id=team["org"].id, name="web")
    db.session.add(project)
    db.session.commit()
    day = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    response = role_client(O).post(f"/console/orgs/{team['org'].id}/tokens",
                                   data={"name": "ci", "expires_at": day, "project_id": str(project.id)})
    assert response.status_code == 200
    [key] = _keys()
    assert key.expires_at == dt.datetime.fromisoformat(day) and key.project_id == project.id


@pytest.mark.parametrize("form,field", [
    ({"name": ""}, "name"),
    ({"cap_1d_usd": "-1"}, "cap_1d_usd"),
    ({"per_request_cap_usd": "abc"}, "per_request_cap_usd"),
    ({"rpm_limit": "sixty"}, "rpm_limit"),
    ({"tpm_limit": "0"}, "tpm_limit"),
    ({"allowed_models": ["no-such-model"]}, "allowed_models"),
    ({"model_cap:no-such-model": "1"}, "model_caps_usd"),
    ({"expires_at": "2001-01-01"}, "expires_at"),
    ({"expires_at": "2099-01-01", "expires_in_days": "3"}, "expires_in_days"),
    ({"project_id": "999999"}, "project_id"),
])
def test_bad_settings_get_400_naming_the_field_and_create_nothing(role_client, team, models, form, field):
    response = role_client(O).post(f"/console/orgs/{team['org'].id}/tokens", data={"name": "k", **form})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and f"<strong>{field}</strong>" in body
    assert 'id="secret"' not in body and _keys() == []


def test_members_and_managers_see_only_their_own_keys_here(role_client, team):
    org = team["org"]
    keys = {role: make_key(team["users"][role], org, name=f"{role.value}-key")[0] for role in (O, A, M)}
    personal, _ = make_key(team["users"][M], name="member-personal")
    for role in (O, A, M):
        body = role_client(role).get(f"/console/orgs/{org.id}/tokens").get_data(as_text=True)
        assert keys[role].prefix in body
        assert all(k.prefix not in body for r, k in keys.items() if r != role) and personal.prefix not in body
    mine = role_client(M).get("/console/tokens").get_data(as_text=True)
    assert personal.prefix in mine and keys[M].prefix not in mine


def test_a_viewer_reads_the_page_but_may_not_create(role_client, team, models):
    client, url = role_client(V), f"/console/orgs/{team['org'].id}/tokens"
    body = client.get(url).get_data(as_text=True)
    assert 'id="new-token-form"' not in body
    assert client.post(url, data={"name": "sneaky"}).status_code == 403 and _keys() == []


def test_edit_changes_caps_and_blank_boxes_remove_them(role_client, team, models):
    key, _ = make_key(team["users"][M], team["org"], name="old", cap_1d=5_000_000, rpm_limit=10)
    url = f"/console/orgs/{team['org'].id}/tokens/{key.id}/edit"
    client = role_client(M)
    form = client.get(url).get_data(as_text=True)
    assert 'value="5"' in form and 'value="10"' in form
    response = client.post(url, data={"name": "renamed", "cap_7d_usd": "20", "cap_1d_usd": "", "rpm_limit": ""})
    assert response.status_code == 302
    [key] = _keys()
    assert (key.name, key.cap_7d, key.cap_1d, key.rpm_limit) == ("renamed", 20_000_000, None, None)
    bad = client.post(url, data={"name": "renamed", "cap_7d_usd": "-3"})
    assert bad.status_code == 400 and "<strong>cap_7d_usd</strong>" in bad.get_data(as_text=True)
    assert _keys()[0].cap_7d == 20_000_000


def test_rotate_issues_a_new_secret_with_the_same_settings_and_revokes_the_old(role_client, team, models):
    old, _ = make_key(team["users"][M], team["org"], name="rotating", cap_1d=5_000_000, allowed_models=["beta"])
    response = role_client(M).post(f"/console/orgs/{team['org'].id}/tokens/{old.id}/rotate")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = _secret(response.get_data(as_text=True))
    before, after = _keys()
    assert before.status == KeyStatus.revoked and after.status == KeyStatus.active
    assert after.key_hash == hash_key(secret)
    assert (after.name, after.cap_1d, after.allowed_models, after.org_id) == ("rotating", 5_000_000, ["beta"],
                                                                               team["org"].id)


def test_revoke_one_and_batch_revoke_many(role_client, team):
    user, org = team["users"][M], team["org"]
    one, two, three = (make_key(user, org, name=f"k{n}")[0] for n in range(3))
    client, base = role_client(M), f"/console/orgs/{org.id}/tokens"
    assert client.post(f"{base}/{one.id}/revoke").status_code == 302
    assert client.post(f"{base}/batch", data={"action": "revoke", "ids": [str(two.id), str(three.id)]}).status_code == 302
    assert [k.status for k in _keys()] == [KeyStatus.revoked] * 3


def test_batch_with_a_key_of_another_member_is_404_and_changes_nothing(role_client, team):
    mine, _ = make_key(team["users"][M], team["org"])
    theirs, _ = make_key(team["users"][A], team["org"])
    foreign, _ = make_key(team["outsider"], team["other"])
    client, base = role_client(M), f"/console/orgs/{team['org'].id}/tokens"
    for other in (theirs, foreign):
        response = client.post(f"{base}/batch", data={"action": "revoke", "ids": [str(mine.id), str(other.id)]})
        assert response.status_code == 404
        for path in ("revoke", "rotate", "edit"):
            assert client.post(f"{base}/{other.id}/{path}", data={"name": "x"}).status_code == 404
    assert all(k.status == KeyStatus.active for k in _keys()) and len(_keys()) == 3
    assert client.post(f"{base}/batch", data={"action": "revoke"}).status_code == 400


def test_selected_and_filtered_keys_export_as_csv(role_client, team):
    user, org = team["users"][M], team["org"]
    keys = [make_key(user, org, name=name, cap_1d=1_000_000)[0] for name in ("=HYPERLINK(1)", "plain")]
    client, base = role_client(M), f"/console/orgs/{org.id}/tokens"
    response = client.post(f"{base}/batch", data={"action": "export", "ids": [str(k.id) for k in keys]})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["name"] for r in rows] == ["'=HYPERLINK(1)", "plain"] and rows[0]["cap_1d_usd"] == "1.0"
    assert "key_hash" not in rows[0] and all(k.key_hash not in response.get_data(as_text=True) for k in keys)
    filtered = client.get(f"{base}/export.csv", query_string={"q": "plain"}).get_data(as_text=True)
    assert "plain" in filtered and "HYPERLINK" not in filtered


def test_list_shows_spend_against_each_cap(role_client, team, models):
    user, org = team["users"][M], team["org"]
    key, _ = make_key(user, org, quota=10_000_000, cap_1d=5_000_000, model_caps={"alpha": 3_000_000})
    key.spent = 1_250_000
    _usage(org, user, key, 1_250_000)
    _usage(org, user, key, 9_000_000, when=dt.datetime.utcnow() - dt.timedelta(days=2))
    db.session.commit()
    body = role_client(M).get(f"/console/orgs/{org.id}/tokens").get_data(as_text=True)
    assert "lifetime: $1.25 / $10.00" in body and "1d: $1.25 / $5.00" in body and "alpha: $0.00 / $3.00" in body


def test_filters_pages_and_hostile_strings(role_client, team):
    user = team["users"][M]
    hostile = "<img src=x onerror=alert(1)>{{ 7*7 }}' OR 1=1 --"
    for n in range(55):
        make_key(user, name=f"key-{n:02d}")
    make_key(user, name=hostile)
    client = role_client(M)
    first = client.get("/console/tokens").get_data(as_text=True)
    assert "&lt;img src=x" in first and "<img src=x" not in first and "key-54" in first and "key-05" not in first
    after = re.search(r'id="older" href="\?([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(f"/console/tokens?{after}").get_data(as_text=True)
    assert "key-05" in second and "key-54" not in second and 'id="older"' not in second
    searched = client.get("/console/tokens", query_string={"q": hostile}).get_data(as_text=True)
    assert "key-05" not in searched and "&lt;img src=x" in searched
    assert client.get("/console/tokens", query_string={"q": "%"}).get_data(as_text=True).count('name="ids"') == 0
    assert client.get("/console/tokens", query_string={"status": "weird"}).status_code == 400


def test_forms_without_a_csrf_token_are_refused(role_client, team, csrf_on):
    key, _ = make_key(team["users"][M], team["org"])
    client, base = role_client(M), f"/console/orgs/{team['org'].id}/tokens"
    assert client.post(base, data={"name": "x"}).status_code == 400
    assert client.post(f"{base}/{key.id}/revoke").status_code == 400
    assert len(_keys()) == 1 and _keys()[0].status == KeyStatus.active
