"""Pending top-ups reconciled against Stripe; refunds through Stripe's Refund API and from its dashboard."""
import datetime as dt

import pytest
from sqlalchemy import func, select, update

from app.billing import refunds
from app.extensions import db
from app.jobs.payments import reconcile_topups
from app.models import LedgerEntry, StripeEvent, Topup, TxStatus, TxType, Wallet, utcnow
from tests.factories import make_user

TOPUPS = "/api/v1/me/billing/topups"


def start(client, buyer, amount="100"):
    answer = client.post(TOPUPS, json={"amount_usd": amount}, headers=buyer.headers)
    assert answer.status_code == 201, answer.json
    return answer.json


def age(minutes: int, entry_id=None) -> None:
    stmt = update(LedgerEntry) if entry_id is None else update(LedgerEntry).where(LedgerEntry.id == entry_id)
    db.session.execute(stmt.values(created_at=utcnow() - dt.timedelta(minutes=minutes)))
    db.session.commit()


def status(entry_id):
    db.session.expire_all()
    return db.session.get(LedgerEntry, entry_id).status


def balance(buyer) -> int:
    db.session.expire_all()
    return db.session.get(Wallet, buyer.wallet_id).balance


@pytest.mark.embedded
def test_reconciliation_follows_stripe_for_topups_pending_over_five_minutes(client, buyer, standin):
    paid, declined, open_, young = (start(client, buyer, "20") for _ in range(4))
    standin.pay(paid["stripe_session_id"], deliver=False)  # Stripe has it, its webhooks never came
    standin.decline(declined["stripe_session_id"], deliver=False)
    age(6)
    standin.pay(young["stripe_session_id"], deliver=False)
    age(0, young["id"])
    assert reconcile_topups() == 2
    assert status(paid["id"]) == TxStatus.completed and status(declined["id"]) == TxStatus.failed
    assert status(open_["id"]) == TxStatus.pending and status(young["id"]) == TxStatus.pending
    assert balance(buyer) == 21_000_000
    assert db.session.get(Topup, paid["topup_id"]).receipt_url.startswith(standin.url)
    assert reconcile_topups() == 0  # nothing changes twice


def paid_topup(client, buyer, standin, amount="100") -> Topup:
    topup = start(client, buyer, amount)
    standin.pay(topup["stripe_session_id"])
    db.session.expire_all()
    return db.session.get(Topup, topup["topup_id"])


@pytest.mark.embedded
def test_partial_then_full_refund_removes_every_credit_once(client, buyer, standin):
    topup = paid_topup(client, buyer, standin)  # $100 paid, 108 credits-dollars delivered
    admin = make_user()
    first = refunds.refund_topup(db.session, topup, 40_000_000, actor_id=admin.id, comment="partial",
                                 idempotency_key="t1")
    db.session.commit()
    assert first.amount == -43_200_000 and balance(buyer) == 64_800_000
    with pytest.raises(refunds.RefundRefused, match="at most 60.00 USD"):
        refunds.refund_topup(db.session, topup, 60_010_000, actor_id=admin.id, comment="x", idempotency_key="t2")
    db.session.rollback()
    refunds.refund_topup(db.session, topup, 60_000_000, actor_id=admin.id, comment="rest", idempotency_key="t3")
    db.session.commit()
    assert balance(buyer) == 0
    # Stripe's charge.refunded events (sent by the stand-in for each refund) book nothing more.
    standin.app.extensions["stripe_standin"]["sender"].wait()
    assert db.session.scalar(select(func.count(StripeEvent.id)).where(StripeEvent.type == "charge.refunded")) == 2
    count = db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.type == TxType.credit_refund))
    assert count == 2


def test_a_refund_larger_than_what_the_wallet_still_holds_is_refused_before_stripe(client, buyer, standin):
    topup = paid_topup(client, buyer, standin, "20")
    from app.billing import money
    money.post(db.session, money.Posting(wallet_id=buyer.wallet_id, amount=-15_000_000, type=TxType.admin_debit))
    db.session.commit()
    with pytest.raises(refunds.RefundRefused, match="wallet holds 6,000,000"):
        refunds.refund_topup(db.session, topup, 20_000_000, actor_id=None, comment="x", idempotency_key="t")
    db.session.rollback()
    assert not [r for r in standin.requests() if r["path"] == "/v1/refunds"]


@pytest.mark.embedded
def test_a_refund_made_in_stripes_dashboard_is_booked_once(client, buyer, standin):
    topup = paid_topup(client, buyer, standin, "20")
    events = standin.control(f"charges/{topup.stripe_charge_id}/refund", amount=1000)["events"]
    from tests.payments.test_stripe_webhooks import post
    post(client, *standin.signed(events[0]["id"]))  # redelivered
    assert balance(buyer) == 21_000_000 - 10_500_000
    assert db.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.type == TxType.credit_refund)) == 1


def test_back_office_refund_goes_through_stripe_and_is_audited(client, buyer, standin, app):
    from app.models import AuditLog
    from tests.admin.conftest import _role_client

    topup = paid_topup(client, buyer, standin, "20")
    finance = _role_client(app, "Finance")
    answer = finance.post(f"/admin/transactions/{topup.ledger_entry_id}/refund",
                          data={"amount_usd": "10", "comment": "accidental top-up", "confirm_token": "tok-0123456789ab"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert [r for r in standin.requests() if r["path"] == "/v1/refunds"]
    assert balance(buyer) == 10_500_000
    audit = db.session.scalar(select(AuditLog.details).where(AuditLog.action == "wallet.refund"))
    assert audit["amount"] == -10_500_000 and audit["stripe_refund_id"].startswith("re_test_")
    too_much = finance.post(f"/admin/transactions/{topup.ledger_entry_id}/refund",
                            data={"amount_usd": "10.01", "comment": "x", "confirm_token": "tok-0123456789ac"})
    assert too_much.status_code == 400 and "at most 10.00 USD" in too_much.get_data(as_text=True)


def test_a_pending_refund_is_booked_when_stripe_says_it_succeeded(client, buyer, standin):
    from tests.payments.test_stripe_webhooks import post

    topup = paid_topup(client, buyer, standin, "20")
    ledger = standin.app.extensions["stripe_standin"]["ledger"]
    refund, charge = ledger.refund({"charge": topup.stripe_charge_id, "amount": "2000"})
    pending = {**refund, "status": "pending"}
    charge_event = ledger.event("charge.refunded", {**charge, "refunds": {"object": "list", "data": [pending]}})
    post(client, *standin.signed(charge_event["id"]))
    assert balance(buyer) == 21_000_000
    post(client, *standin.signed(ledger.event("charge.refund.updated", refund)["id"]))
    post(client, *standin.signed(ledger.event("charge.refund.updated", refund)["id"]))  # a second notice
    assert balance(buyer) == 0
