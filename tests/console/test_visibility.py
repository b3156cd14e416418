"""One visibility rule for calls: the console's Logs page and /api/v1/me/usage show each org role the same rows."""
import datetime as dt
import re

import pytest

from app.console import figures
from app.call_log import UsageScope
from app.extensions import db
from app.models import OrgRole, UsageLog, utcnow
from app.reporting import rollups
from tests.factories import make_key

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer


def _call(key, model, cost=1_000_000, when=None):
    db.session.add(UsageLog(request_id=f"vis-{model}-{key.id}-{(when or utcnow()).isoformat()}",
                            created_at=when or utcnow(), org_id=key.org_id, user_id=key.user_id, api_key_id=key.id,
                            wallet_id=key.wallet_id, model=model, endpoint="chat", prompt_tokens=10,
                            completion_tokens=5, total_cost=cost))


@pytest.fixture
def keys(team):
    """Each role's key in the team's org, and one call made with each (model named after the role)."""
    out = {}
    for role, user in team["users"].items():
        out[role] = make_key(user, team["org"], name=f"{role.value} key")
        _call(out[role][0], f"model-of-{role.value}")
    db.session.commit()
    return out


@pytest.mark.parametrize("role, expected", [
    (O, {"owner", "admin", "member", "viewer"}), (A, {"owner", "admin", "member", "viewer"}),
    (V, {"owner", "admin", "member", "viewer"}), (M, {"member"})])
def test_console_logs_and_the_usage_api_show_each_role_the_same_calls(app, team, role_client, keys, role, expected):
    api = app.test_client().get("/api/v1/me/usage", headers={"Authorization": f"Bearer {keys[role][1]}"})
    assert api.status_code == 200, api.get_data(as_text=True)
    via_api = {r["model"].removeprefix("model-of-") for r in api.json["data"]}
    page = role_client(role).get(f"/console/orgs/{team['org'].id}/logs").get_data(as_text=True)
    via_console = set(re.findall(r"<td>model-of-(\w+)</td>", page))
    assert via_api == via_console == expected


def test_month_totals_read_the_rollup_for_past_days_and_raw_calls_for_today(team, keys):
    key = keys[O][0]
    today = dt.date(2026, 5, 20)
    earlier = dt.datetime(2026, 5, 3, 10, 0)
    _call(key, "earlier", cost=4_000_000, when=earlier)
    _call(key, "today", cost=2_000_000, when=dt.datetime(2026, 5, 20, 9, 0))
    _call(key, "last-month", cost=8_000_000, when=dt.datetime(2026, 4, 30, 23, 0))
    db.session.commit()
    scope = UsageScope(org_id=team["org"].id, user_id=None)
    # Past days count once their rollup exists, as on the back office's Usage screen.
    assert figures.month_totals(scope, today)["cost"] == 2_000_000
    rollups.rebuild_range(db.session, dt.datetime(2026, 4, 30), dt.datetime(2026, 5, 21))
    db.session.commit()
    assert figures.month_totals(scope, today) == {"requests": 2, "tokens": 30, "cost": 6_000_000}
    # The retention purge removes raw rows; the month's figures stay.
    db.session.query(UsageLog).filter(UsageLog.created_at == earlier).delete()
    db.session.commit()
    assert figures.month_totals(scope, today)["cost"] == 6_000_000
    days = dict(figures.daily_costs(scope, today))
    assert days["2026-05-03"] == 4_000_000 and days["2026-05-20"] == 2_000_000 and len(days) == 20
