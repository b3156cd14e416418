"""Numbers an operator can trust: USD filters, exact CSVs, saved-back amounts, live dashboards."""
import csv
import datetime as dt
import io
import itertools

from sqlalchemy import select

from app.billing import money
from app.extensions import db
from app.models import DiscountCode, LedgerEntry, PlatformSetting, TxType, UsageLog, utcnow
from tests.factories import make_key, make_org, make_user

_ids = itertools.count(1)


def _log(org, user, key, cost=1_000, when=None, status="success"):
    db.session.add(UsageLog(
        request_id=f"num-{next(_ids)}", created_at=when or utcnow(), org_id=org.id,
        user_id=user.id if user else None, api_key_id=key.id, wallet_id=org.wallet.id, model="gpt-x",
        endpoint="chat", prompt_tokens=10, completion_tokens=5, total_cost=cost, status=status,
        http_status=200 if status == "success" else 502))


def test_org_list_money_filter_takes_usd_not_raw_credits(admin_client):
    make_org("Small Co", balance_usd="50")
    make_org("Big Co", balance_usd="150")
    html = admin_client.get("/admin/orgs/list/?_flt_0_credits=100").get_data(as_text=True)
    assert "Big Co" in html and "Small Co" not in html
    html = admin_client.get("/admin/orgs/list/?_flt_1_credits=1,000.00").get_data(as_text=True)
    assert "Big Co" in html and "Small Co" in html
    assert "Greater than (USD)" in html


def test_a_money_filter_that_is_not_usd_names_the_column(admin_client):
    make_org("Any Co", balance_usd="5")
    html = admin_client.get("/admin/orgs/list/?_flt_0_credits=lots", follow_redirects=True).get_data(as_text=True)
    assert "Credits: lots is not a USD amount" in html and "Any Co" in html


def test_transaction_amount_filter_is_in_usd_and_cells_carry_exact_credits(finance_client):
    org = make_org()
    for credits in (2_000_000, 900_000_000):
        money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=credits, type=TxType.credit_gift))
    db.session.commit()
    html = finance_client.get("/admin/transactions/list/?_flt_0_amount=100").get_data(as_text=True)
    assert "$900.00" in html and "$2.00" not in html
    assert "900,000,000 credits" in html


def test_balances_show_two_decimals_and_the_exact_credits_on_hover(admin_client):
    org = make_org("Fractional")
    money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=1_234_567, type=TxType.credit_gift))
    db.session.commit()
    html = admin_client.get(f"/admin/orgs/{org.id}/").get_data(as_text=True)
    assert "$1.23" in html and "1,234,567 credits" in html


def test_transactions_csv_has_usd_to_the_cent_and_exact_credits(finance_client):
    org = make_org()
    money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=1_234_567, type=TxType.credit_gift))
    db.session.commit()
    [row] = csv.DictReader(io.StringIO(finance_client.get("/admin/transactions/export.csv").get_data(as_text=True)))
    assert (row["amount_usd"], row["amount_credits"], row["balance_after_usd"]) == ("1.23", "1234567", "1.23")
    assert len(row["created_at"]) == 19  # to the second


def test_usage_csv_costs_are_usd_to_six_decimals_and_credits(admin_client):
    user = make_user()
    org = make_org(owner=user)
    key, _ = make_key(user, org=org)
    _log(org, user, key, cost=1_234)
    db.session.commit()
    from app.jobs import rollups as rollup_jobs
    rollup_jobs.refresh_recent()
    [row] = csv.DictReader(io.StringIO(admin_client.get("/admin/usage/export.csv?group_by=org").get_data(as_text=True)))
    assert (row["total_cost_usd"], row["total_cost_credits"], row["requests"]) == ("0.001234", "1234", "1")


def test_a_threshold_shown_with_thousands_separators_saves_back_unchanged(admin_client):
    admin_client.post("/admin/settings/low-balance", data={"threshold_usd": "1500", "email": ""})
    page = admin_client.get("/admin/settings/").get_data(as_text=True)
    assert 'value="1,500.00"' in page
    response = admin_client.post("/admin/settings/low-balance", data={"threshold_usd": "1,500.00", "email": ""},
                                 follow_redirects=True)
    assert "not a USD amount" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PlatformSetting, "low_balance_default").value["threshold"] == 1_500_000_000


def test_a_discount_code_takes_the_date_pickers_value_and_is_active_by_default(admin_client):
    form = admin_client.get("/admin/discounts/add").get_data(as_text=True)
    import re
    [checkbox] = re.findall(r'<input[^>]*name="active"[^>]*>', form)
    assert "checked" in checkbox
    response = admin_client.post("/admin/discounts/add", data={
        "code": "SPRING", "kind_choice": "percent", "value": "10", "usage_limit": "", "expires_at": "2030-04-30",
        "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    code = db.session.scalar(select(DiscountCode).where(DiscountCode.code == "SPRING"))
    assert code.active and code.expires_at == dt.datetime(2030, 4, 30, 23, 59, 59)


def test_overview_counts_requests_without_a_user_in_their_own_tier_row(admin_client):
    user = make_user()
    org = make_org(owner=user)
    key, _ = make_key(user, org=org)
    _log(org, user, key)
    _log(org, None, key)
    _log(org, None, key)
    db.session.commit()
    html = admin_client.get("/admin/").get_data(as_text=True)
    tiers = html.split("Tier breakdown")[1]
    assert "No user (organization keys)" in tiers
    # The rows add up to the headline figure (3), with no rollup run yet: the live tail counts.
    assert '<p class="lead">3</p>' in html
    assert "<td>1</td>" in tiers and "<td>2</td>" in tiers
    assert 'id="freshness"' in html


def test_org_metrics_include_requests_logged_since_the_last_rollup(admin_client):
    user = make_user()
    org = make_org(owner=user)
    key, _ = make_key(user, org=org)
    old = utcnow() - dt.timedelta(hours=5)
    _log(org, user, key, when=old, cost=7_000)
    db.session.commit()
    from app.jobs import rollups as rollup_jobs
    rollup_jobs.rebuild_period((old - dt.timedelta(hours=1)).isoformat(), (old + dt.timedelta(hours=1)).isoformat())
    _log(org, user, key, cost=3_000, status="error")  # after the rollup ran
    db.session.commit()
    from app.reporting import metrics
    totals = metrics.org_totals(org.id, "1d")
    assert (totals["requests"], totals["errors"], totals["total_cost"]) == (2, 1, 10_000)


def test_transactions_list_shows_money_movements_and_sums_usage_per_wallet_per_day(finance_client):
    org = make_org("Busy Co", balance_usd="10")
    for _ in range(3):
        money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=-250_000, type=TxType.usage))
    db.session.commit()
    html = finance_client.get("/admin/transactions/list/").get_data(as_text=True)
    listed = html.split('id="usage-per-day"')[0]
    assert "admin credit" in listed and ">usage<" not in listed
    summary = html.split('id="usage-per-day"')[1]
    assert "Busy Co" in summary and "<td>3</td>" in summary and "-$0.75" in summary
    every = finance_client.get("/admin/transactions/list/?rows=all").get_data(as_text=True)
    assert every.count("usage") >= 3 and 'id="usage-per-day"' not in every
    assert db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.type == TxType.usage)) is not None


def test_org_page_lists_money_movements_with_a_toggle_for_every_row(admin_client):
    org = make_org("Toggle Co", balance_usd="10")
    money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=-250_000, type=TxType.usage))
    db.session.commit()
    html = admin_client.get(f"/admin/orgs/{org.id}/").get_data(as_text=True)
    table = html.split('id="org-transactions"')[1].split("</table>")[0]
    assert "admin credit" in table and "<td>usage</td>" not in table
    assert 'id="usage-per-day"' in html
    table = admin_client.get(f"/admin/orgs/{org.id}/?tx_rows=all").get_data(as_text=True).split(
        'id="org-transactions"')[1].split("</table>")[0]
    assert "<td>usage</td>" in table


def test_a_transactions_detail_page_shows_the_exact_credits(finance_client):
    org = make_org()
    entry = money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=1_234_567, type=TxType.credit_gift))
    db.session.commit()
    html = finance_client.get(f"/admin/transactions/show/{entry.id}").get_data(as_text=True)
    assert "$1.23" in html and "1,234,567" in html and "Amount (credits, exact)" in html
