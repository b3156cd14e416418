"""POST /webhooks/stripe: verified, stored, processed once, in any order, through money.py."""
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import DiscountCode, Event, LedgerEntry, Notification, StripeEvent, Topup, TxStatus, Wallet
from tests.payments.conftest import deliver_at_once

TOPUPS = "/api/v1/me/billing/topups"
WEBHOOK = "/webhooks/stripe"


def start(client, buyer, amount="100", **extra):
    answer = client.post(TOPUPS, json={"amount_usd": amount, **extra}, headers=buyer.headers)
    assert answer.status_code == 201, answer.json
    return answer.json


def balance(buyer) -> int:
    db.session.expire_all()
    return db.session.get(Wallet, buyer.wallet_id).balance


def status(entry_id) -> TxStatus:
    db.session.expire_all()
    return db.session.get(LedgerEntry, entry_id).status


def post(client, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json", **({"Stripe-Signature": signature} if signature else {})}
    return client.post(WEBHOOK, data=body, headers=headers)


@pytest.mark.embedded
def test_paying_credits_face_value_plus_bonus_once_with_receipt_and_event(client, buyer, standin):
    topup = start(client, buyer, "100")
    standin.pay(topup["stripe_session_id"])  # payment_intent.succeeded, then checkout.session.completed
    assert balance(buyer) == 108_000_000 and status(topup["id"]) == TxStatus.completed
    row = db.session.scalar(select(Topup))
    assert row.receipt_url.startswith(standin.url + "/receipts/ch_test_") and row.stripe_payment_intent_id
    outcomes = sorted(db.session.scalars(select(StripeEvent.outcome)))
    assert outcomes == ["applied", "ignored"]
    received = db.session.scalars(select(Event).where(Event.type == "system.payment.received")).all()
    assert len(received) == 1 and received[0].data["amount_credits"] == 108_000_000
    assert received[0].org_id == buyer.org.id
    notice = db.session.scalar(select(Notification).where(Notification.org_id == buyer.org.id))
    assert notice.title == "Payment received: $108.00 of credits added"


def test_bad_missing_and_stale_signatures_are_400_and_change_nothing(client, buyer, standin):
    topup = start(client, buyer)
    completed = standin.pay(topup["stripe_session_id"], deliver=False)[1]
    body, signature = standin.signed(completed["id"])
    assert post(client, body, None).status_code == 400
    assert post(client, body, signature.replace("v1=", "v1=0")).status_code == 400
    assert post(client, body.replace(b'"amount_total": 10000', b'"amount_total": 99999'), signature).status_code == 400
    stale_body, stale = standin.signed(completed["id"], timestamp=int(time.time()) - 301)
    answer = post(client, stale_body, stale)
    assert answer.status_code == 400 and "signature" in answer.json["error"]["message"]
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0 and balance(buyer) == 0


@pytest.mark.embedded
def test_the_same_event_delivered_twice_credits_once(client, buyer, standin):
    topup = start(client, buyer, "20")
    completed = standin.pay(topup["stripe_session_id"], deliver=False)[1]
    body, signature = standin.signed(completed["id"])
    assert post(client, body, signature).json == {"received": True, "duplicate": False}
    assert post(client, body, signature).json == {"received": True, "duplicate": True}
    assert balance(buyer) == 21_000_000


def test_concurrent_deliveries_of_both_success_events_credit_once(client, buyer, standin, live_app):
    topup = start(client, buyer, "20")
    events = standin.pay(topup["stripe_session_id"], deliver=False)
    signed = [standin.signed(e["id"]) for e in events for _ in range(4)]
    assert deliver_at_once(live_app.url, signed) == [200] * len(signed)
    assert balance(buyer) == 21_000_000
    assert db.session.scalar(select(func.count(Event.id)).where(Event.type == "system.payment.received")) == 1


@pytest.mark.embedded
def test_a_decline_fails_the_topup_and_gives_back_the_discount_code(client, buyer, standin):
    db.session.add(DiscountCode(code="HALF", kind="percent", percent_bps=5000, usage_limit=1, active=True))
    db.session.commit()
    topup = start(client, buyer, "20", discount_code="HALF")
    standin.decline(topup["stripe_session_id"])
    assert status(topup["id"]) == TxStatus.failed and balance(buyer) == 0
    assert db.session.scalar(select(DiscountCode.redemption_count)) == 0
    assert db.session.scalar(select(func.count(Event.id)).where(Event.type == "system.payment.failed")) == 1
    notice = db.session.scalar(select(Notification).where(Notification.org_id == buyer.org.id))
    assert notice.title == "Top-up failed: $21.00 not added" and "Your card was declined." in notice.body
    assert start(client, buyer, "20", discount_code="HALF")["price_usd"] == 10.0  # usable again


def test_success_after_failure_credits_and_failure_after_success_changes_nothing(client, buyer, standin):
    first = start(client, buyer, "20")
    paid = standin.pay(first["stripe_session_id"], deliver=False)
    declined_elsewhere = {"type": "payment_intent.payment_failed"}
    # Out of order: Stripe's completion arrives, then a stale failure of the same intent.
    for event in paid:
        post(client, *standin.signed(event["id"]))
    intent = paid[0]["data"]["object"]
    failure = standin.app.extensions["stripe_standin"]["ledger"].event(
        declined_elsewhere["type"], {**intent, "status": "requires_payment_method",
                                     "last_payment_error": {"message": "Your card was declined."}})
    post(client, *standin.signed(failure["id"]))
    assert status(first["id"]) == TxStatus.completed and balance(buyer) == 21_000_000

    second = start(client, buyer, "20")
    pending = standin.control(f"sessions/{second['stripe_session_id']}/pay_async", deliver=False)["events"]
    failed = standin.control(f"sessions/{second['stripe_session_id']}/async_failed", deliver=False)["events"]
    post(client, *standin.signed(failed[1]["id"]))  # the failure arrives first
    assert status(second["id"]) == TxStatus.failed
    ledger = standin.app.extensions["stripe_standin"]["ledger"]
    late_success = ledger.event("checkout.session.async_payment_succeeded",
                                {**pending[0]["data"]["object"], "payment_status": "paid"})
    post(client, *standin.signed(late_success["id"]))
    assert status(second["id"]) == TxStatus.completed and balance(buyer) == 42_000_000


def test_an_amount_that_differs_from_the_pending_one_is_rejected(app, client, buyer, standin, caplog):
    topup = start(client, buyer, "20")
    ledger = standin.app.extensions["stripe_standin"]["ledger"]
    session = ledger.session(topup["stripe_session_id"])
    forged = ledger.event("checkout.session.completed", {**session, "payment_status": "paid", "amount_total": 500})
    assert post(client, *standin.signed(forged["id"])).status_code == 200
    assert status(topup["id"]) == TxStatus.pending and balance(buyer) == 0
    row = db.session.get(StripeEvent, forged["id"])
    assert row.outcome == "rejected" and "differs" in row.detail
    assert "not credited" in caplog.text
    from tests.admin.conftest import _role_client
    listing = _role_client(app, "Finance").get("/admin/stripe-events/list/").get_data(as_text=True)
    assert forged["id"] in listing and "differs from the top-up" in listing


def test_an_event_for_an_unknown_session_is_stored_and_rejected(client, buyer, standin):
    ledger = standin.app.extensions["stripe_standin"]["ledger"]
    stranger = ledger.create_session({"line_items": [{"price_data": {"unit_amount": 700}}],
                                      "success_url": "http://x.test", "cancel_url": "http://x.test"})
    event = ledger.event("checkout.session.completed", {**stranger, "payment_status": "paid"})
    assert post(client, *standin.signed(event["id"])).status_code == 200
    assert db.session.get(StripeEvent, event["id"]).outcome == "rejected"
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 0
