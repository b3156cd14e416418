"""Dashboard, wallet, profile and org settings: what each shows, and what each refuses."""
import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, LedgerEntry, OrgRole, UsageLog, utcnow
from tests.console.conftest import PASSWORD, login
from tests.factories import fund, make_key

O, A, M, V = OrgRole.owner, OrgRole.admin, OrgRole.member, OrgRole.viewer
_ids = itertools.count(1)


def _usage(org, user, key, cost, when=None, model="gpt-x", tokens=(100, 50)):
    db.session.add(UsageLog(
        request_id=f"console-req-{next(_ids)}", created_at=when or utcnow(), org_id=org.id if org else None,
        user_id=user.id, api_key_id=key.id, wallet_id=key.wallet_id, model=model, endpoint="chat",
        prompt_tokens=tokens[0], completion_tokens=tokens[1], total_cost=cost, latency_ms=120))


@pytest.fixture
def usage(team):
    """The owner spent $2 and the member $1 in the org this month; the owner $9 last month."""
    org, owner, member = team["org"], team["users"][O], team["users"][M]
    owner_key, _ = make_key(owner, org)
    member_key, _ = make_key(member, org)
    _usage(org, owner, owner_key, 2_000_000, model="owner-model")
    _usage(org, member, member_key, 1_000_000, model="member-model")
    first = dt.datetime.combine(dt.date.today().replace(day=1), dt.time())
    _usage(org, owner, owner_key, 9_000_000, when=first - dt.timedelta(days=1))
    db.session.commit()


def test_org_dashboard_shows_this_months_org_figures_to_readers(role_client, team, usage):
    for role in (O, A, V):
        body = role_client(role).get(f"/console/orgs/{team['org'].id}/").get_data(as_text=True)
        assert "$3.00" in body and "300" in body  # 2 requests x 150 tokens, $3 this month
        assert "owner-model" in body and "member-model" in body
        assert 'id="cost-chart"' in body and "chart.umd.min.js" in body


def test_members_see_only_their_own_calls_on_the_org_dashboard(role_client, team, usage):
    body = role_client(M).get(f"/console/orgs/{team['org'].id}/").get_data(as_text=True)
    assert "member-model" in body and "owner-model" not in body
    assert "$1.00" in body


def test_dashboard_flags_a_balance_at_the_threshold(role_client, team):
    org = team["org"]
    fund(org.wallet.id, "5")
    org.low_balance_threshold = 6_000_000
    db.session.commit()
    client = role_client(O)
    assert 'id="low-balance"' in client.get(f"/console/orgs/{org.id}/").get_data(as_text=True)
    org.low_balance_threshold = 5_000_000
    db.session.commit()
    assert 'id="low-balance"' in client.get(f"/console/orgs/{org.id}/").get_data(as_text=True)
    org.low_balance_threshold = 4_999_999
    db.session.commit()
    assert 'id="low-balance"' not in client.get(f"/console/orgs/{org.id}/").get_data(as_text=True)


def test_personal_dashboard_counts_only_personal_calls(role_client, team, usage):
    owner = team["users"][O]
    own_key, _ = make_key(owner)
    _usage(None, owner, own_key, 500_000, model="personal-model")
    db.session.commit()
    body = role_client(O).get("/console/").get_data(as_text=True)
    assert "personal-model" in body and "owner-model" not in body and "$0.50" in body


def test_wallet_pages_the_ledger_newest_first(role_client, team):
    org = team["org"]
    for n in range(1, 53):
        fund(org.wallet.id, f"{n}")
    client = role_client(O)
    first = client.get(f"/console/orgs/{org.id}/wallet").get_data(as_text=True)
    assert "$1,378.00" in first  # 1 + 2 + ... + 52
    assert "$52.00" in first and 'id="older"' in first and "$2.00" not in first
    second = client.get(f"/console/orgs/{org.id}/wallet?page=2").get_data(as_text=True)
    assert "$2.00" in second and "$1.00" in second and 'id="older"' not in second


@pytest.mark.parametrize("page", ["0", "-1", "abc", "<b>x</b>", "100001"])
def test_wallet_refuses_a_bad_page_naming_it(role_client, page):
    response = role_client(O).get("/console/wallet", query_string={"page": page})
    assert response.status_code == 400 and "page:" in response.get_data(as_text=True)


def test_personal_wallet_shows_the_users_own_wallet(role_client, team):
    owner = team["users"][O]
    fund(owner.wallet.id, "7")
    body = role_client(O).get("/console/wallet").get_data(as_text=True)
    assert "$7.00" in body and "Personal account" in body


def _change_password(client, current, new):
    return client.post("/console/profile", data={"action": "password", "pw-current": current,
                                                 "pw-password": new, "pw-confirm": new})


def test_profile_changes_the_password_only_with_the_current_one(app, team):
    user = team["users"][M]
    client = login(app, user.username)
    wrong = _change_password(client, "not-my-password", "brand-new-password")
    assert wrong.status_code == 400 and "is not your current password" in wrong.get_data(as_text=True)
    assert _change_password(client, PASSWORD, "brand-new-password").status_code == 302
    login(app, user.username, "brand-new-password")
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "console.password_changed"))


def test_profile_shows_roles_read_only_and_saves_the_language(app, team):
    user = team["users"][V]
    client = login(app, user.username)
    body = client.get("/console/profile").get_data(as_text=True)
    assert "Acme" in body and "viewer" in body and 'name="role"' not in body
    assert client.post("/console/profile", data={"action": "language", "lang-locale": "zh"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(user), user.id).locale == "zh"
    assert client.post("/console/profile", data={"action": "language", "lang-locale": "fr"}).status_code == 400
    # The choice follows the user to their next sign-in.
    with login(app, user.username) as again:
        again.get("/console/profile")
        from flask import session
        assert session["locale"] == "zh"


def test_org_settings_save_the_threshold_and_recipient(role_client, team):
    org = team["org"]
    response = role_client(A).post(f"/console/orgs/{org.id}/settings",
                                   data={"low_balance_usd": "12.5", "low_balance_email": "Billing@Example.com"})
    assert response.status_code == 302
    db.session.expire_all()
    org = db.session.get(type(org), org.id)
    assert org.low_balance_threshold == 12_500_000 and org.low_balance_email == "billing@example.com"
    page = role_client(A).get(f"/console/orgs/{org.id}/settings").get_data(as_text=True)
    assert 'value="12.5"' in page


@pytest.mark.parametrize("amount,message", [("-1", "must not be negative"), ("abc", "is not a USD amount"),
                                            ("0.0000001", "is not a USD amount"), ("1e12", "at most")])
def test_org_settings_refuse_a_bad_threshold_naming_it(role_client, team, amount, message):
    org = team["org"]
    response = role_client(O).post(f"/console/orgs/{org.id}/settings", data={"low_balance_usd": amount})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(org), org.id).low_balance_threshold is None


def test_ledger_rows_never_leak_between_orgs(role_client, team):
    fund(team["other"].wallet.id, "77")
    body = role_client(O).get(f"/console/orgs/{team['org'].id}/wallet").get_data(as_text=True)
    assert "$77.00" not in body
    assert db.session.scalar(select(LedgerEntry.id))  # the other org's entry exists
