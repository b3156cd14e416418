"""Logs page: filters, keyset pages, each role's view, other keys answered 404, hostile filters inert."""
import datetime as dt

import pytest

from app.extensions import db
from app.models import OrgRole, UsageLog, utcnow
from tests.console.test_pages import _usage
from tests.factories import make_key

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer


@pytest.fixture
def calls(team):
    org, owner, member = team["org"], team["users"][O], team["users"][M]
    owner_key, _ = make_key(owner, org, name="owner-key")
    member_key, _ = make_key(member, org, name="member-key")
    _usage(org, owner, owner_key, 1_000, model="alpha")
    _usage(org, member, member_key, 2_000, model="beta")
    db.session.add(UsageLog(request_id="failed-1", created_at=utcnow() - dt.timedelta(days=3), org_id=org.id,
                            user_id=owner.id, api_key_id=owner_key.id, wallet_id=owner_key.wallet_id, model="alpha",
                            endpoint="chat", status="error", error_type="upstream_error", http_status=502))
    db.session.commit()
    return {"owner_key": owner_key, "member_key": member_key}


def _body(client, url, **params):
    response = client.get(url, query_string=params)
    return response.status_code, response.get_data(as_text=True)


def test_readers_see_every_call_of_the_org_and_members_their_own(role_client, team, calls):
    url = f"/console/orgs/{team['org'].id}/logs"
    for role in (O, A, V):
        status, body = _body(role_client(role), url)
        assert status == 200 and "alpha" in body and "beta" in body and "upstream_error" in body
    status, body = _body(role_client(M), url)
    assert status == 200 and "beta" in body and "alpha" not in body


def test_filters_by_model_status_key_and_days(role_client, team, calls):
    client, url = role_client(O), f"/console/orgs/{team['org'].id}/logs"
    assert "beta" not in _body(client, url, model="alpha")[1]
    _, errors = _body(client, url, status="error")
    assert "upstream_error" in errors and "beta" not in errors
    _, by_key = _body(client, url, key=calls["member_key"].id)
    assert "beta" in by_key and "upstream_error" not in by_key
    today = dt.date.today().isoformat()
    _, recent = _body(client, url, **{"from": today, "to": today})
    assert "upstream_error" not in recent and "beta" in recent


def test_a_key_the_caller_may_not_see_answers_404(role_client, team, calls):
    url = f"/console/orgs/{team['org'].id}/logs"
    assert role_client(M).get(url, query_string={"key": calls["owner_key"].id}).status_code == 404
    foreign, _ = make_key(team["outsider"], team["other"])
    assert role_client(O).get(url, query_string={"key": foreign.id}).status_code == 404
    assert role_client(O).get(f"/console/orgs/{team['other'].id}/logs").status_code == 404


@pytest.mark.parametrize("params,named", [({"status": "weird"}, "status:"), ({"from": "yesterday"}, "from:"),
                                          ({"to": "2026-13-01"}, "to:"), ({"key": "-1"}, "key:"),
                                          ({"before": "abc"}, "before:"),
                                          ({"from": "2026-02-02", "to": "2026-02-01"}, "from:")])
def test_bad_filters_get_400_naming_the_parameter(role_client, team, params, named):
    response = role_client(O).get(f"/console/orgs/{team['org'].id}/logs", query_string=params)
    assert response.status_code == 400 and named in response.get_data(as_text=True)


def test_hostile_filter_strings_render_inert(role_client, team, calls):
    hostile = "<img src=x onerror=alert(1)>{{ 7*7 }}' OR 1=1 --"
    status, body = _body(role_client(O), f"/console/orgs/{team['org'].id}/logs", model=hostile)
    assert status == 200 and "<img src=x" not in body and "&lt;img src=x" in body and "No calls match." in body


def test_pages_follow_the_cursor_without_repeats(role_client, team):
    owner = team["users"][O]
    key, _ = make_key(owner)
    start = utcnow() - dt.timedelta(hours=1)
    for n in range(120):
        _usage(None, owner, key, 1, model=f"m{n:03d}", when=start + dt.timedelta(seconds=n // 2))
    db.session.commit()
    client, seen, params = role_client(O), [], {}
    for _ in range(3):
        response = client.get("/console/logs", query_string=params)
        body = response.get_data(as_text=True)
        seen += [f"m{n:03d}" for n in range(120) if f">m{n:03d}<" in body]
        if 'id="older"' not in body:
            break
        params = {"before": body.split("before=")[1].split('"')[0]}
    assert sorted(seen) == [f"m{n:03d}" for n in range(120)] and len(seen) == 120
