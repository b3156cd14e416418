"""Org usage: past days from the daily rollup, today from the calls, grouped five ways, chart and CSV."""
import csv
import datetime as dt
import io
import itertools

import pytest

from app.extensions import db
from app.models import OrgRole, Project, UsageDaily, UsageLog
from tests.factories import make_key

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer
_ids = itertools.count(1)


def _call(org, user, key, cost, model, when=None, project=None):
    db.session.add(UsageLog(request_id=f"usage-page-{next(_ids)}", created_at=when or dt.datetime.utcnow(),
                            org_id=org.id, user_id=user.id, api_key_id=key.id, wallet_id=key.wallet_id,
                            project_id=project.id if project else None, model=model, endpoint="chat",
                            prompt_tokens=10, completion_tokens=5, total_cost=cost))


@pytest.fixture
def usage(team):
    """Two days ago (rolled up): the member $2 on alpha; today (raw): the owner $1 on beta, the member $0.5 on alpha."""
    org, owner, member = team["org"], team["users"][O], team["users"][M]
    project = Project(org_id=org.id, name="<script>web</script>")
    db.session.add(project)
    db.session.commit()
    member_key, _ = make_key(member, org, name="member-key", project_id=project.id)
    owner_key, _ = make_key(owner, org, name="owner-key")
    earlier = dt.date.today() - dt.timedelta(days=2)
    db.session.add(UsageDaily(day=earlier, org_id=org.id, project_id=project.id, user_id=member.id,
                              api_key_id=member_key.id, model="alpha", requests=4, errors=1, prompt_tokens=40,
                              completion_tokens=20, total_cost=2_000_000))
    # The raw calls behind that rollup row are still kept: they must not be counted twice.
    _call(org, member, member_key, 2_000_000, "alpha", when=dt.datetime.combine(earlier, dt.time(12)), project=project)
    _call(org, owner, owner_key, 1_000_000, "beta")
    _call(org, member, member_key, 500_000, "alpha", project=project)
    outsider_key, _ = make_key(team["outsider"], team["other"])
    _call(team["other"], team["outsider"], outsider_key, 9_000_000, "gamma")
    db.session.commit()
    return {"project": project, "member_key": member_key, "owner_key": owner_key, "earlier": earlier}


def _rows(client, org, **params):
    response = client.get(f"/console/orgs/{org.id}/usage.csv", query_string=params)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return {r["label"]: r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}


def test_groups_combine_the_rollup_with_todays_calls_and_count_each_once(role_client, team, usage):
    client, org = role_client(V), team["org"]
    members = _rows(client, org, by="member")
    assert members[team["users"][M].email]["total_cost_usd"] == "2.500000"
    assert members[team["users"][M].email]["requests"] == "5" and members[team["users"][M].email]["errors"] == "1"
    assert members[team["users"][O].email]["total_cost_usd"] == "1.000000"
    assert set(_rows(client, org, by="model")) == {"alpha", "beta"}
    assert _rows(client, org, by="project")["<script>web</script>"]["total_cost_usd"] == "2.500000"
    assert _rows(client, org, by="project")["—"]["total_cost_usd"] == "1.000000"
    keys = _rows(client, org, by="key")
    assert f"member-key ({usage['member_key'].prefix}…)" in keys
    days = _rows(client, org, by="day")
    assert days[usage["earlier"].isoformat()]["total_cost_usd"] == "2.000000"
    assert days[dt.date.today().isoformat()]["total_cost_usd"] == "1.500000"


def test_a_range_before_today_reads_only_the_rollup(role_client, team, usage):
    day = usage["earlier"].isoformat()
    models = _rows(role_client(O), team["org"], by="model", **{"from": day, "to": day})
    assert set(models) == {"alpha"} and models["alpha"]["total_cost_usd"] == "2.000000"


def test_the_page_shows_totals_charts_and_inert_labels(role_client, team, usage):
    body = role_client(A).get(f"/console/orgs/{team['org'].id}/usage", query_string={"by": "project"}).get_data(as_text=True)
    assert 'id="usage-daily-chart"' in body and 'id="usage-group-chart"' in body and "chart.umd.min.js" in body
    assert "$3.50" in body and "gamma" not in body
    assert "<script>web</script>" not in body and "&lt;script&gt;web&lt;/script&gt;" in body


@pytest.mark.parametrize("params,named", [({"by": "colour"}, "by:"), ({"from": "tomorrow"}, "from:"),
                                          ({"to": "2026-02-30"}, "to:"),
                                          ({"from": "2026-03-02", "to": "2026-03-01"}, "from:"),
                                          ({"from": "2024-01-01", "to": "2026-01-01"}, "from:")])
def test_bad_parameters_get_400_naming_them(role_client, team, params, named):
    for path in ("usage", "usage.csv"):
        response = role_client(O).get(f"/console/orgs/{team['org'].id}/{path}", query_string=params)
        assert response.status_code == 400 and named in response.get_data(as_text=True)
