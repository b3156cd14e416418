"""Lists, filters, order and metrics through the admin API, and FAB's description of it."""
import datetime as dt

import prison

from app.extensions import db
from app.models import Project, UsageHourly, utcnow
from tests.factories import fund, make_org, make_user


def _list(client, headers, url, **query):
    response = client.get(url, headers=headers, query_string={"q": prison.dumps(query)} if query else None)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_org_list_has_the_screen_columns_filters_and_orders_by_balance(client, token_for):
    rich, poor = make_org(name="Rich", plan="pro"), make_org(name="Poor", plan="free")
    fund(rich.wallet.id, "12.5")
    fund(poor.wallet.id, "1")

    body = _list(client, token_for("Support"), "/api/v1/admin/orgs/", order_column="credits", order_direction="desc")
    assert [o["name"] for o in body["result"]] == ["Rich", "Poor"]
    assert body["count"] == 2
    assert set(body["result"][0]) == {"id", "name", "billing_email", "plan", "dev_plan", "status", "created_at",
                                      "credits", "all_time_credits", "total_spent"}
    assert body["result"][0]["credits"] == 12_500_000 and body["result"][0]["plan"] == "pro"

    body = _list(client, token_for("Auditor"), "/api/v1/admin/orgs/",
                 filters=[{"col": "plan", "opr": "eq", "value": "free"}])
    assert [o["name"] for o in body["result"]] == ["Poor"]


def test_projects_filter_by_org(client, token_for):
    first, second = make_org(), make_org()
    db.session.add_all([Project(org_id=first.id, name="web"), Project(org_id=second.id, name="batch")])
    db.session.commit()

    body = _list(client, token_for("Finance"), "/api/v1/admin/projects/",
                 filters=[{"col": "org_id", "opr": "eq", "value": second.id}])

    assert [(p["org_id"], p["name"]) for p in body["result"]] == [(second.id, "batch")]


def test_user_list_leaves_out_soft_deleted_users(client, token_for):
    from app import accounts

    kept, gone = make_user(username="kept"), make_user(username="gone")
    accounts.soft_delete_user(gone)
    db.session.commit()

    names = [u["username"] for u in _list(client, token_for("Auditor"), "/api/v1/admin/users/")["result"]]

    assert "kept" in names and "gone" not in names


def _usage(org_id, hours_ago, requests, errors, prompt, completion, cost, model="m-1"):
    hour = utcnow().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=hours_ago)
    db.session.add(UsageHourly(hour=hour, org_id=org_id, model=model, requests=requests, errors=errors,
                               prompt_tokens=prompt, completion_tokens=completion, total_cost=cost))


def test_org_metrics_sum_the_rollup_inside_the_window_only(client, token_for):
    org, other = make_org(), make_org()
    # Hours 0 and 1 are read from the raw request log (the live tail), so rollup rows start at 2.
    _usage(org.id, 2, 10, 1, 100, 50, 3_000)
    _usage(org.id, 5, 30, 3, 300, 150, 9_000, model="m-2")
    _usage(org.id, 24 * 10, 1000, 0, 1, 1, 1)  # outside 7d
    _usage(other.id, 2, 7, 7, 7, 7, 7)
    db.session.commit()

    response = client.get(f"/api/v1/admin/metrics/orgs/{org.id}?window=7d", headers=token_for("Support"))

    body = response.get_json()
    assert response.status_code == 200
    assert {k: body["totals"][k] for k in ("requests", "errors", "tokens", "total_cost", "error_rate")} == {
        "requests": 40, "errors": 4, "tokens": 600, "total_cost": 12_000, "error_rate": 0.1}
    assert [m["model"] for m in body["top_models"]] == ["m-2", "m-1"]
    assert body["window"] == "7d" and body["projects"][0]["requests"] == 40


def test_platform_metrics_count_every_org(client, token_for):
    first, second = make_org(), make_org()
    _usage(first.id, 2, 10, 0, 10, 10, 100)
    _usage(second.id, 3, 10, 5, 10, 10, 100)
    db.session.commit()

    body = client.get("/api/v1/admin/metrics/platform?window=1d", headers=token_for("Finance")).get_json()

    assert body["totals"]["requests"] == 20 and body["totals"]["error_rate"] == 0.25


def test_metrics_refuse_an_unknown_window_naming_it_and_an_unknown_org(client, token_for):
    headers = token_for("Auditor")

    response = client.get("/api/v1/admin/metrics/platform?window=2d", headers=headers)
    assert response.status_code == 400 and "window" in response.get_json()["message"]
    assert client.get("/api/v1/admin/metrics/orgs/999999", headers=headers).status_code == 404


def test_fab_openapi_spec_describes_every_admin_route_but_not_ours(client, token_for):
    response = client.get("/api/v1/_openapi", headers=token_for("Auditor"))

    spec = response.get_json()
    assert response.status_code == 200 and spec["openapi"].startswith("3.")
    for path in ("admin/orgs/", "admin/orgs/{pk}", "admin/projects/", "admin/users/", "admin/users/{pk}",
                 "admin/metrics/orgs/{pk}", "admin/metrics/platform", "security/login"):
        assert "/api/v1/" + path in spec["paths"], path
    assert set(spec["paths"]["/api/v1/admin/orgs/"]) == {"get", "post"}
    assert not [p for p in spec["paths"] if p.startswith("/api/v1/me/") or p == "/api/v1/openapi.json"]
    assert "totp" in str(spec["paths"]["/api/v1/security/login"])
    # The described list item is what the list returns.
    listed = client.get("/api/v1/admin/orgs/", headers=token_for("Admin")).get_json()["list_columns"]
    assert set(spec["components"]["schemas"]["OrgApi.get_list"]["properties"]) == set(listed)
