"""Rollups, dashboards, usage grouping and the streamed CSV exports."""
import csv
import datetime as dt
import io
import itertools

import pytest

from sqlalchemy import select, func

from app.billing import money
from app.extensions import db
from app.jobs import rollups as rollup_jobs
from app.models import AuditLog, LedgerEntry, TollgateUser, TxType, UsageDaily, UsageHourly, UsageLog, utcnow
from app.reporting import dashboards, metrics, rollups, usage
from tests.factories import make_key, make_org, make_user

_ids = itertools.count(1)


def _usage(org, user, key, model="gpt-x", when=None, status="success", cost=1_000, tokens=(100, 50)):
    db.session.add(UsageLog(
        request_id=f"req-{next(_ids)}", created_at=when or utcnow(), org_id=org.id, user_id=user.id,
        api_key_id=key.id, wallet_id=org.wallet.id, model=model, endpoint="chat", prompt_tokens=tokens[0],
        completion_tokens=tokens[1], input_cost=cost // 2, output_cost=cost // 2, total_cost=cost, status=status,
        http_status=200 if status == "success" else 502))


def _setup():
    user = make_user()
    org = make_org(owner=user)
    key, _ = make_key(user, org=org)
    return org, user, key


@pytest.mark.embedded
def test_rebuilding_a_period_twice_gives_the_same_rows(db):
    org, user, key = _setup()
    now = utcnow()
    for model in ("a", "a", "b"):
        _usage(org, user, key, model=model)
    _usage(org, user, key, model="a", status="error")
    db.session.commit()
    rollups.rebuild_recent(db.session, now)
    first = sorted((r.model, r.requests, r.errors, r.total_cost) for r in db.session.scalars(select(UsageHourly)))
    rollups.rebuild_recent(db.session, now)
    db.session.commit()
    second = sorted((r.model, r.requests, r.errors, r.total_cost) for r in db.session.scalars(select(UsageHourly)))
    assert first == second == [("a", 3, 1, 3_000), ("b", 1, 0, 1_000)]
    assert db.session.scalar(select(func.sum(UsageDaily.requests))) == 4


@pytest.mark.embedded
def test_org_metrics_windows_count_only_usage_inside_the_window(db):
    org, user, key = _setup()
    now = utcnow()
    _usage(org, user, key, when=now)
    _usage(org, user, key, when=now - dt.timedelta(days=3), cost=5_000)
    _usage(org, user, key, when=now - dt.timedelta(hours=1), status="error")
    db.session.commit()
    rollup_jobs.rebuild_period((now - dt.timedelta(days=4)).isoformat(), (now + dt.timedelta(hours=1)).isoformat())
    day = metrics.org_totals(org.id, "1d")
    week = metrics.org_totals(org.id, "7d")
    assert (day["requests"], day["errors"], day["tokens"]) == (2, 1, 300)
    assert day["error_rate"] == 0.5
    assert (week["requests"], week["total_cost"]) == (3, 7_000)
    assert metrics.org_top_models(org.id, "7d")[0]["model"] == "gpt-x"



@pytest.mark.embedded
@pytest.mark.parametrize("window", ["1h", "4h", "1d"])
def test_a_window_counts_its_current_and_its_oldest_hour(db, window):
    org, user, key = _setup()
    now = utcnow()
    hours = metrics.WINDOWS[window]
    oldest = rollups.hour_start(now) - dt.timedelta(hours=hours - 1)
    _usage(org, user, key, when=now, cost=1_000)
    _usage(org, user, key, when=oldest, cost=20_000)
    _usage(org, user, key, when=oldest - dt.timedelta(seconds=1), cost=300_000)  # just outside
    db.session.commit()
    rollup_jobs.rebuild_period((oldest - dt.timedelta(hours=1)).isoformat(), (now + dt.timedelta(hours=1)).isoformat())
    assert metrics.org_totals(org.id, window)["total_cost"] == 21_000

def test_usage_page_groups_by_org_then_model_and_charts_it(admin_client):
    org, user, key = _setup()
    _usage(org, user, key, model="m1")
    _usage(org, user, key, model="m2", cost=3_000)
    db.session.commit()
    rollup_jobs.refresh_recent()
    html = admin_client.get("/admin/usage/?group_by=org&then_by=model").get_data(as_text=True)
    assert org.name in html and "m1" in html and "m2" in html and 'id="usage-chart"' in html
    assert "/static/js/chart.umd.min.js" in html


@pytest.mark.embedded
@pytest.mark.parametrize("group_by", [("org", "model"), ("model", "day"), ("day", "org"), ("day", "")])
def test_the_org_and_model_rollup_gives_the_same_figures_as_the_full_daily_one(db, group_by):
    """Org/model/day groupings read usage_daily_org_model; they must equal usage_daily summed."""
    (org, user, key), (other, other_user, other_key) = _setup(), _setup()
    second_key, _ = make_key(user, org=org, name="second")
    for owner, k, model, cost in [(user, key, "m1", 1_000), (user, second_key, "m1", 2_000), (user, key, "m2", 7),
                                  (other_user, other_key, "m1", 5_000), (other_user, other_key, "m2", 3)]:
        _usage(org if owner is user else other, owner, k, model=model, cost=cost)
    _usage(org, user, key, model="m1", status="error", when=utcnow() - dt.timedelta(days=2))
    db.session.commit()
    now = utcnow()
    rollups.rebuild_range(db.session, now - dt.timedelta(days=3), now + dt.timedelta(hours=1))
    db.session.commit()
    query = usage.parse_query({"group_by": group_by[0], "then_by": group_by[1]})
    expected = sorted(tuple(r) for r in db.session.execute(_on_usage_daily(query)))
    assert sorted(tuple(r) for r in db.session.execute(usage.statement(query))) == expected
    assert len(expected) >= 2


def _on_usage_daily(query):
    dims = [getattr(UsageDaily, usage.DIMENSIONS[g]).label(g) for g in query["group_by"]]
    sums = [func.sum(getattr(UsageDaily, m)).label(m) for m in usage.METRICS]
    return select(*dims, *sums).where(UsageDaily.day >= query["start"], UsageDaily.day <= query["end"]).group_by(*dims)


def test_usage_page_names_a_bad_date_field(admin_client):
    response = admin_client.get("/admin/usage/?start=yesterday", follow_redirects=True)
    assert "Date range" in response.get_data(as_text=True)


def test_usage_csv_export_streams_every_group(admin_client):
    org, user, key = _setup()
    for model in ("m1", "m2", "m3"):
        _usage(org, user, key, model=model)
    db.session.commit()
    rollup_jobs.refresh_recent()
    response = admin_client.get("/admin/usage/export.csv?group_by=model&then_by=user")
    assert response.is_streamed and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(r["model"] for r in rows) == ["m1", "m2", "m3"]
    assert {r["user_label"] for r in rows} == {user.username}


def test_transactions_csv_filters_by_type(finance_client):
    org = make_org(balance_usd="10")
    money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=2_000_000, type=TxType.credit_gift))
    db.session.commit()
    text = finance_client.get("/admin/transactions/export.csv?type=credit_gift").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["type"], r["amount_usd"], r["amount_credits"]) for r in rows] == [("credit_gift", "2.00", "2000000")]
    assert finance_client.get("/admin/transactions/export.csv?type=nonsense").status_code == 400


def test_refund_takes_credits_back_up_to_the_top_up_and_is_audited(finance_client):
    org = make_org()
    topup = money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=10_000_000, type=TxType.credit_topup))
    db.session.commit()
    token = "refund-token-0123456789"
    too_much = finance_client.post(f"/admin/transactions/{topup.id}/refund",
                                   data={"amount_usd": "11", "comment": "x", "confirm_token": token})
    assert too_much.status_code == 400
    finance_client.post(f"/admin/transactions/{topup.id}/refund",
                        data={"amount_usd": "4", "comment": "closure", "confirm_token": token})
    refund = db.session.scalar(select(LedgerEntry).where(LedgerEntry.type == TxType.credit_refund))
    assert refund.amount == -4_000_000 and refund.details == {"refund_of": topup.id}
    second = finance_client.post(f"/admin/transactions/{topup.id}/refund",
                                 data={"amount_usd": "7", "comment": "x", "confirm_token": token + "2"})
    assert second.status_code == 400  # only $6 is left to refund
    assert db.session.scalar(select(AuditLog.details).where(AuditLog.action == "wallet.refund"))["amount"] == -4_000_000


@pytest.mark.embedded
def test_dashboards_show_today_and_platform_totals(admin_client):
    org, user, key = _setup()
    _usage(org, user, key, cost=2_500_000)
    money.post(db.session, money.Posting(wallet_id=org.wallet.id, amount=7_000_000, type=TxType.credit_topup))
    db.session.commit()
    rollup_jobs.refresh_recent()
    overview = admin_client.get("/admin/").get_data(as_text=True)
    assert "$2.50" in overview and "enterprise" in overview
    platform = admin_client.get("/admin/platform/").get_data(as_text=True)
    assert "$7.00" in platform and 'id="signups-chart"' in platform
    users = db.session.scalar(select(func.count(TollgateUser.id)))
    assert dashboards.daily_series(dt.date.today())["signups"] == [users]


def test_transactions_list_filters_by_wallet_id_in_the_url(finance_client):
    first, second = make_org("First", balance_usd="1"), make_org("Second", balance_usd="2")
    html = finance_client.get(f"/admin/transactions/list/?_flt_0_wallet={second.wallet.id}").get_data(as_text=True)
    assert "$2.00" in html and "$1.00" not in html


@pytest.mark.embedded
def test_org_metrics_in_one_pass_agree_with_the_totals_query(db):
    org, user, key = _setup()
    other_key, _ = make_key(user, org=org, name="second")
    for k, model, cost in [(key, "cheap", 10), (key, "dear", 5_000), (other_key, "dear", 2_000), (other_key, "mid", 300)]:
        _usage(org, user, k, model=model, cost=cost)
    _usage(org, user, key, model="cheap", status="error", cost=1, when=utcnow() - dt.timedelta(days=3))
    db.session.commit()
    now = utcnow()
    rollups.rebuild_range(db.session, now - dt.timedelta(days=4), now - dt.timedelta(hours=2))
    db.session.commit()
    figures = metrics.org_metrics(org.id, "7d", top=2)
    assert figures["totals"] == metrics.totals("7d", org.id)
    assert (figures["totals"]["requests"], figures["totals"]["errors"], figures["totals"]["total_cost"]) == (5, 1, 7_311)
    assert [(m["model"], m["total_cost"], m["requests"]) for m in figures["top_models"]] == [("dear", 7_000, 2),
                                                                                           ("mid", 300, 1)]
    assert sum(p["total_cost"] for p in figures["projects"].values()) == 7_311
