"""Auto-recharge: the card saved at Checkout is charged off-session once per drop below the threshold."""
import threading

import requests
from sqlalchemy import func, select

from app.billing import auto_recharge, money
from app.extensions import db
from app.jobs.payments import auto_recharge_due
from app.models import LedgerEntry, Notification, Organization, OrgRole, TxStatus, TxType, Wallet
from tests.console.conftest import _fresh_login, login, verified_user  # noqa: F401 - fixture
from tests.factories import make_org


def funded_with_saved_card(client, buyer, standin):
    """A $20 top-up through Checkout (card saved), then spend down to $6, under a $10 threshold."""
    paid = client.post("/api/v1/me/billing/topups", json={"amount_usd": "20"}, headers=buyer.headers).json
    standin.pay(paid["stripe_session_id"])
    money.post(db.session, money.Posting(wallet_id=buyer.wallet_id, amount=-15_000_000, type=TxType.admin_debit))
    org = db.session.get(Organization, buyer.org.id)
    org.auto_recharge_threshold, org.auto_recharge_amount = 10_000_000, 20_000_000
    db.session.commit()
    return org


def charges(standin) -> int:
    return len([r for r in standin.requests() if r["method"] == "POST" and r["path"] == "/v1/payment_intents"])


def test_checkout_saves_the_card_on_the_orgs_customer(client, buyer, standin):
    org = funded_with_saved_card(client, buyer, standin)
    assert org.stripe_customer_id.startswith("cus_test_")
    customer = standin.app.extensions["stripe_standin"]["ledger"].customer(org.stripe_customer_id)
    assert customer["invoice_settings"]["default_payment_method"].startswith("pm_test_")


def test_fifty_simultaneous_triggers_charge_once(app, client, buyer, standin):
    org_id = funded_with_saved_card(client, buyer, standin).id
    outcomes, barrier = [], threading.Barrier(50)

    def trigger():
        with app.app_context():
            barrier.wait()
            outcomes.append(auto_recharge.recharge(db.engine, org_id))

    threads = [threading.Thread(target=trigger) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert charges(standin) == 1
    assert sum("credited" in o for o in outcomes) == 1 and len(outcomes) == 50
    db.session.expire_all()
    assert db.session.get(Wallet, buyer.wallet_id).balance == 6_000_000 + 21_000_000
    assert auto_recharge_due() == 0  # back above the threshold: nothing more


def test_a_declined_saved_card_fails_the_topup_turns_auto_recharge_off_and_tells_the_owner(client, buyer, standin):
    org = funded_with_saved_card(client, buyer, standin)
    requests.post(f"{standin.url}/_control/decline_off_session", json={"on": True})
    assert auto_recharge_due() == 1
    db.session.expire_all()
    failed = db.session.scalar(select(LedgerEntry).where(LedgerEntry.status == TxStatus.failed))
    assert failed.details["auto_recharge"] is True and db.session.get(Wallet, buyer.wallet_id).balance == 6_000_000
    assert db.session.get(Organization, org.id).auto_recharge_threshold is None
    notice = db.session.scalar(select(Notification).where(Notification.event == "system.payment.failed"))
    assert "auto-recharge is now off" in notice.body or "declined" in notice.body
    assert auto_recharge_due() == 0 and charges(standin) == 1


def test_only_the_owner_sets_auto_recharge_and_both_fields_go_together(app, db):
    owner, admin = verified_user("ar-owner"), verified_user("ar-admin")
    org = make_org(owner=owner)
    from app.accounts import add_member
    add_member(org, admin, OrgRole.admin)
    db.session.commit()
    url = f"/console/orgs/{org.id}/settings"
    as_admin = login(app, admin.username).post(url, data={"auto_recharge_threshold_usd": "10",
                                                          "auto_recharge_amount_usd": "50"})
    assert as_admin.status_code == 400 and "only the organization&#39;s owner" in as_admin.get_data(as_text=True)
    as_owner = login(app, owner.username)
    half = as_owner.post(url, data={"auto_recharge_threshold_usd": "10"})
    assert half.status_code == 400 and "set both auto-recharge fields" in half.get_data(as_text=True)
    too_big = as_owner.post(url, data={"auto_recharge_threshold_usd": "10", "auto_recharge_amount_usd": "5000"})
    assert too_big.status_code == 400 and "maximum top-up" in too_big.get_data(as_text=True)
    assert as_owner.post(url, data={"auto_recharge_threshold_usd": "10", "auto_recharge_amount_usd": "50"}).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Organization, org.id)
    assert (saved.auto_recharge_threshold, saved.auto_recharge_amount) == (10_000_000, 50_000_000)
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 0


def test_stripe_not_answering_fails_the_topup_but_keeps_auto_recharge_on(app, client, buyer, standin):
    org = funded_with_saved_card(client, buyer, standin)
    base = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    try:
        assert auto_recharge_due() == 1
    finally:
        app.config["STRIPE_API_BASE"] = base
    db.session.expire_all()
    failed = db.session.scalar(select(LedgerEntry).where(LedgerEntry.status == TxStatus.failed))
    assert failed.details["auto_recharge"] is True and charges(standin) == 0
    assert db.session.get(Organization, org.id).auto_recharge_threshold == 10_000_000  # the card may be fine
    assert auto_recharge_due() == 1 and charges(standin) == 1  # the next run charges it
    db.session.expire_all()
    assert db.session.get(Wallet, buyer.wallet_id).balance == 27_000_000  # $6 + $20 with the plan's 5%
