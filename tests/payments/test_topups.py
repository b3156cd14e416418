"""Top-ups: bounds, the bonus ladder with the plan's bonus, discount codes, and the pending entry."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.accounts import add_member
from app.extensions import db
from app.models import DiscountCode, DiscountRedemption, LedgerEntry, OrgRole, Topup, TxStatus, TxType, Wallet
from tests.factories import make_key, make_user

TOPUPS = "/api/v1/me/billing/topups"


def quote(client, buyer, amount, code=None):
    params = {"amount_usd": amount, **({"discount_code": code} if code else {})}
    return client.get(f"{TOPUPS}/quote", query_string=params, headers=buyer.headers)


@pytest.mark.parametrize("amount, field_text", [
    ("4.99", "minimum top-up of $5.00"), ("1250.01", "maximum top-up of $1,250.00"), ("-20", "minimum"),
    ("0", "minimum"), ("ten", "USD amount"), ("20.001", "whole cents"), (None, "required"), (True, "required"),
    ("1e999999999", "USD amount"),  # overflowed Decimal's context: a 500
    ("1e999990", "USD amount"),  # took 30 s of CPU to become an int before the bound refused it
])
def test_out_of_bounds_and_malformed_amounts_are_400_naming_the_field(client, buyer, standin, amount, field_text):
    answer = client.post(TOPUPS, json={"amount_usd": amount}, headers=buyer.headers)
    assert answer.status_code == 400
    assert answer.json["error"]["param"] == "amount_usd" and field_text in answer.json["error"]["message"]
    assert db.session.scalar(select(LedgerEntry.id)) is None and standin.requests() == []


@pytest.mark.parametrize("amount, ladder, credits", [
    ("20", "0", 21_000_000),  # plan only: 20 x 1.05
    ("99.98", "0", 104_979_000),
    ("99.99", "3", 107_989_200),  # 99.99 x (1 + 3% + 5%)
    ("499.99", "5", 549_989_000),
    ("999.99", "8", 1_129_988_700),
    ("1250", "11.2", 1_452_500_000),  # 1250 x (1 + 11.2% + 5%)
])
def test_quote_adds_the_ladder_and_the_plan_bonus_to_the_credit(client, buyer, amount, ladder, credits):
    answer = quote(client, buyer, amount)
    assert answer.status_code == 200, answer.json
    assert answer.json["ladder_bonus_percent"] == ladder and answer.json["plan_bonus_percent"] == "5"
    assert answer.json["credits"] == credits and answer.json["price_usd"] == float(amount)


def test_free_plan_individual_gets_the_ladder_alone(client, db):
    user = make_user()
    _, secret = make_key(user)
    answer = client.get(f"{TOPUPS}/quote", query_string={"amount_usd": "500"}, headers={"Authorization": f"Bearer {secret}"})
    assert answer.json["credits"] == 525_000_000 and answer.json["plan_bonus_percent"] == "0"


def test_creating_a_topup_writes_a_pending_entry_and_a_checkout_session(client, buyer, standin):
    answer = client.post(TOPUPS, json={"amount_usd": "100"}, headers=buyer.headers)
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "pending" and answer.json["checkout_url"].startswith(standin.url + "/pay/cs_test_")
    entry = db.session.get(LedgerEntry, answer.json["id"])
    assert entry.type == TxType.credit_topup and entry.status == TxStatus.pending and entry.amount == 108_000_000
    assert db.session.get(Wallet, buyer.wallet_id).balance == 0
    topup = db.session.scalar(select(Topup))
    assert topup.stripe_session_id == answer.json["stripe_session_id"] and topup.price == 100_000_000


def test_only_the_org_owner_tops_up(client, buyer, standin):
    admin = make_user()
    add_member(buyer.org, admin, OrgRole.admin)
    db.session.commit()
    _, secret = make_key(admin, buyer.org)
    answer = client.post(TOPUPS, json={"amount_usd": "20"}, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "insufficient_role"


def test_stripe_down_leaves_nothing_pending(client, buyer, app):
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    try:
        answer = client.post(TOPUPS, json={"amount_usd": "20"}, headers=buyer.headers)
    finally:
        app.config["STRIPE_API_BASE"] = None
    assert answer.status_code == 502 and answer.json["error"]["code"] == "payments_unavailable"
    assert db.session.scalar(select(LedgerEntry.id)) is None


def make_code(code="SAVE10", **fields):
    row = DiscountCode(code=code, **{"kind": "percent", "percent_bps": 1000, "active": True, **fields})
    db.session.add(row)
    db.session.commit()
    return row


def test_percent_code_lowers_the_price_not_the_credits(client, buyer, standin):
    make_code()
    answer = client.post(TOPUPS, json={"amount_usd": "100", "discount_code": "save10"}, headers=buyer.headers)
    assert answer.status_code == 201, answer.json
    assert answer.json["price_usd"] == 90.0 and answer.json["credits"] == 108_000_000
    assert answer.json["discount_usd"] == 10.0
    redemption = db.session.scalar(select(DiscountRedemption))
    assert redemption.amount == 10_000_000 and db.session.scalar(select(DiscountCode.redemption_count)) == 1


def test_fixed_code_takes_its_amount_off(client, buyer):
    make_code("FIVE", kind="fixed", percent_bps=None, amount=5_000_000)
    assert quote(client, buyer, "20", "FIVE").json["price_usd"] == 15.0


@pytest.mark.parametrize("fields, reason", [
    ({"active": False}, "does not exist or is not active"),
    ({"expires_at": dt.datetime(2020, 1, 1)}, "has expired"),
    ({"usage_limit": 1, "redemption_count": 1}, "has been used up"),
])
def test_unusable_codes_are_400_with_the_reason(client, buyer, fields, reason):
    make_code(**fields)
    answer = quote(client, buyer, "20", "SAVE10")
    assert answer.status_code == 400 and answer.json["error"]["param"] == "discount_code"
    assert reason in answer.json["error"]["message"]
    assert quote(client, buyer, "20", "NOPE").json["error"]["message"].endswith("is not active")


def test_a_code_is_used_once_per_org(client, buyer, standin):
    make_code()
    assert client.post(TOPUPS, json={"amount_usd": "20", "discount_code": "SAVE10"}, headers=buyer.headers).status_code == 201
    again = client.post(TOPUPS, json={"amount_usd": "20", "discount_code": "SAVE10"}, headers=buyer.headers)
    assert again.status_code == 400 and "already used by this account" in again.json["error"]["message"]


def test_admin_edits_the_ladder_and_quotes_follow(client, buyer, app):
    from app.models import BonusTier
    from tests.admin.conftest import _role_client

    admin = _role_client(app, "Admin")
    tier = db.session.scalar(select(BonusTier).where(BonusTier.bonus_bps == 300))
    try:
        answer = admin.post(f"/admin/bonus-ladder/edit/{tier.id}", data={"min_amount_usd": "50", "bonus_percent": "4"})
        assert answer.status_code == 302
        assert quote(client, buyer, "50").json["ladder_bonus_percent"] == "4"
    finally:
        db.session.expire_all()
        tier = db.session.get(BonusTier, tier.id)
        tier.min_amount, tier.bonus_bps = 99_990_000, 300  # the ladder is kept between tests
        db.session.commit()
