"""GET /api/v1/me/billing/transactions: keyset pages, filters, top-up fields, the CSV export streamed."""
import csv
import io

import pytest

from app.accounts import add_member
from app.extensions import db
from app.models import OrgRole
from tests.factories import fund, make_key, make_user

TX = "/api/v1/me/billing/transactions"


@pytest.mark.embedded
def test_pages_filters_and_topup_fields(client, buyer, standin):
    for usd in ("1", "2", "3"):
        fund(buyer.wallet_id, usd)
    paid = client.post("/api/v1/me/billing/topups", json={"amount_usd": "20"}, headers=buyer.headers).json
    standin.pay(paid["stripe_session_id"])
    client.post("/api/v1/me/billing/topups", json={"amount_usd": "30"}, headers=buyer.headers)

    first = client.get(f"{TX}?limit=2", headers=buyer.headers).json
    assert [r["type"] for r in first["data"]] == ["credit_topup", "credit_topup"]
    assert [r["status"] for r in first["data"]] == ["pending", "completed"]
    topup = first["data"][1]
    assert topup["credits"] == 21_000_000 and topup["amount_usd"] == 21.0 and topup["price_usd"] == 20.0
    assert topup["balance_after_usd"] == 27.0 and topup["stripe_payment_intent_id"].startswith("pi_test_")
    assert topup["receipt_url"].startswith(standin.url)
    rest = client.get(f"{TX}?limit=2&after={first['next_after']}", headers=buyer.headers).json
    assert [r["credits"] for r in rest["data"]] == [3_000_000, 2_000_000]
    pending = client.get(f"{TX}?status=pending", headers=buyer.headers).json["data"]
    assert len(pending) == 1 and pending[0]["balance_after_usd"] is None
    assert client.get(f"{TX}?type=admin_credit&to=2000-01-01", headers=buyer.headers).json["data"] == []
    bad = client.get(f"{TX}?from=yesterday", headers=buyer.headers)
    assert bad.status_code == 400 and bad.json["error"]["param"] == "from"


def test_members_are_refused_and_csv_streams_every_row(client, buyer):
    for _ in range(3):
        fund(buyer.wallet_id, "0.01")
    member = make_user()
    add_member(buyer.org, member, OrgRole.member)
    db.session.commit()
    _, secret = make_key(member, buyer.org)
    assert client.get(TX, headers={"Authorization": f"Bearer {secret}"}).status_code == 403
    export = client.get(f"{TX.replace('transactions', 'transactions.csv')}", headers=buyer.headers)
    assert export.is_streamed and export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0][:4] == ["id", "type", "status", "amount_usd"] and len(rows) == 4


def test_back_office_export_carries_the_price_and_stripe_payment(client, buyer, standin, app):
    from tests.admin.conftest import _role_client

    paid = client.post("/api/v1/me/billing/topups", json={"amount_usd": "20"}, headers=buyer.headers).json
    standin.pay(paid["stripe_session_id"])
    export = _role_client(app, "Finance").get(f"/admin/transactions/export.csv?wallet_id={buyer.wallet_id}")
    [row] = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert row["price_usd"] == "20.00" and row["amount_usd"] == "21.00" and row["amount_credits"] == "21000000"
    assert row["stripe_payment_intent_id"].startswith("pi_test_")
